/**
 * The logger the services write to: pino's call shape, so a pino logger (with its redaction of
 * secrets) is passed as it is, and tests can pass a small recorder.
 */
import { pino } from "pino";

export interface ServiceLogger {
  info(fields: Record<string, unknown>, message: string): void;
  warn(fields: Record<string, unknown>, message: string): void;
  error(fields: Record<string, unknown>, message: string): void;
}

/** Paths pino blanks in every line: passwords, macaroons, runes, tokens, wherever they appear. */
export const redactedPaths = [
  "password",
  "*.password",
  "macaroon",
  "*.macaroon",
  "rune",
  "*.rune",
  "token",
  "*.token",
  "cert",
  "*.cert",
  "authorization",
  "*.authorization",
];

export interface ServiceLoggerOptions {
  readonly level?: string;
  readonly destination?: NodeJS.WritableStream;
  /**
   * Secret values (passwords, runes, macaroons, tokens) to blank wherever they appear in a line,
   * even inside a message or an error's text: the second guard behind the path redaction.
   */
  readonly secrets?: readonly string[];
}

export function createServiceLogger(options: ServiceLoggerOptions = {}) {
  const secrets = [...new Set((options.secrets ?? []).filter((secret) => secret.length >= 4))];
  return pino(
    {
      level: options.level ?? "info",
      redact: { paths: redactedPaths, censor: "[redacted]" },
      ...(secrets.length > 0
        ? {
            hooks: {
              streamWrite: (line: string) =>
                secrets.reduce((text, secret) => text.split(secret).join("[redacted]"), line),
            },
          }
        : {}),
    },
    options.destination ?? process.stderr,
  );
}
