/** The text of config.schema.json, exactly as scripts/write-config-schema.mjs writes it. */
import { configurationJsonSchema } from "./config-schema.js";

export function configurationJsonSchemaText(): string {
  return `${JSON.stringify(configurationJsonSchema(), null, 2)}\n`;
}
