#!/usr/bin/env node
// Writes config.schema.json from the zod schema in src/config-schema.ts (build first: npx tsc -b).
// config-schema.test.ts fails when the checked-in file differs from what this writes.
import { writeFileSync } from "node:fs";
import { dirname, join } from "node:path";
import { fileURLToPath } from "node:url";
import { configurationJsonSchemaText } from "../dist/config-json-schema.js";

const target = join(dirname(fileURLToPath(import.meta.url)), "..", "config.schema.json");
writeFileSync(target, configurationJsonSchemaText());
console.log(`wrote ${target}`);
