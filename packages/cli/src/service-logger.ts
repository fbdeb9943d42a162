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

export function createServiceLogger(options: { level?: string; destination?: NodeJS.WritableStream } = {}) {
  return pino(
    { level: options.level ?? "info", redact: { paths: redactedPaths, censor: "[redacted]" } },
    options.destination ?? process.stderr,
  );
}
