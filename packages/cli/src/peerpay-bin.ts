#!/usr/bin/env node
import { isPeerpayError } from "@peerpay/core";
import { createProgram } from "./cli-program.js";

try {
  await createProgram().parseAsync(process.argv);
} catch (error) {
  const message = isPeerpayError(error)
    ? `${error.code}: ${error.message}`
    : error instanceof Error
      ? error.message
      : String(error);
  process.stderr.write(`peerpay: ${message}\n`);
  process.exitCode = 1;
}
