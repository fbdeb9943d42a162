/**
 * Loads the configuration: the file (JSON or YAML), then flags on top, validated in one go against
 * the zod schema before anything starts. A wrong configuration gives ONE PeerpayError
 * (INVALID_CONFIG) whose message names the key path and what is wrong, and never repeats a value
 * (a connection string may hold a password).
 */
import { existsSync, readFileSync } from "node:fs";
import { join } from "node:path";
import { PeerpayError } from "@peerpay/core";
import { parse as parseYaml } from "yaml";
import type { z } from "zod";
import {
  type Configuration,
  type DaemonRole,
  expandHome,
  homeOf,
  resolveConfiguration,
} from "./config-resolve.js";
import { configurationSchema, type ParsedConfiguration } from "./config-schema.js";

export interface LoadConfigurationOptions {
  /** The file named by --config; else PEERPAY_CONFIG; else ~/.config/peerpay/config.{yaml,yml,json} if present. */
  readonly file?: string;
  /** Flag overrides as key paths ("seller.listen.port") and values; they win over the file. */
  readonly overrides?: Readonly<Record<string, unknown>>;
  /** The roles the command runs: decides what is required. */
  readonly roles: readonly DaemonRole[];
  readonly environment?: NodeJS.ProcessEnv;
}

export function loadConfiguration(options: LoadConfigurationOptions): Configuration {
  const environment = options.environment ?? process.env;
  const file = findConfigurationFile(options.file, environment);
  const raw = file ? readConfigurationFile(file) : {};
  for (const [path, value] of Object.entries(options.overrides ?? {})) {
    if (value !== undefined) setPath(raw, path, value);
  }
  const parsed = configurationSchema.safeParse(raw, { reportInput: true });
  if (!parsed.success)
    throw configurationError(file, describeIssue(parsed.error), parsed.error.issues.length);
  try {
    return resolveConfiguration(parsed.data as ParsedConfiguration, {
      roles: options.roles,
      environment,
      ...(file ? { file } : {}),
    });
  } catch (error) {
    if (error instanceof PeerpayError && error.code === "INVALID_CONFIG") {
      throw configurationError(file, error.message, 1);
    }
    throw error;
  }
}

export function findConfigurationFile(
  explicit: string | undefined,
  environment: NodeJS.ProcessEnv,
): string | undefined {
  const named = explicit ?? environment.PEERPAY_CONFIG;
  if (named) {
    const path = expandHome(named, environment);
    if (!existsSync(path)) throw configurationError(undefined, `config file ${path} does not exist`, 1);
    return path;
  }
  const directory = join(environment.XDG_CONFIG_HOME || join(homeOf(environment), ".config"), "peerpay");
  for (const name of ["config.yaml", "config.yml", "config.json"]) {
    if (existsSync(join(directory, name))) return join(directory, name);
  }
  return undefined;
}

function readConfigurationFile(path: string): Record<string, unknown> {
  let text: string;
  try {
    text = readFileSync(path, "utf8");
  } catch (error) {
    throw configurationError(path, `cannot be read (${(error as NodeJS.ErrnoException).code ?? "error"})`, 1);
  }
  let value: unknown;
  try {
    value = path.endsWith(".json") ? JSON.parse(text) : parseYaml(text);
  } catch (error) {
    const where = error instanceof Error ? (error.message.split("\n")[0] ?? "").replace(/:$/, "") : "";
    throw configurationError(path, `is not valid ${path.endsWith(".json") ? "JSON" : "YAML"}: ${where}`, 1);
  }
  if (value === null || value === undefined) return {};
  if (typeof value !== "object" || Array.isArray(value)) {
    throw configurationError(path, "must hold an object of keys (client, lightning, seller, …)", 1);
  }
  return value as Record<string, unknown>;
}

/** The first problem, as "key.path: what is wrong". */
export function describeIssue(error: z.ZodError): string {
  const issue = error.issues[0];
  if (!issue) return "is not valid";
  const path = issue.path.map(String);
  if (issue.code === "unrecognized_keys") {
    const key = [...path, issue.keys[0] ?? ""].join(".");
    return `${key}: unknown key (see config.schema.json for the keys there are)`;
  }
  if (issue.code === "invalid_union") {
    // Report the branch that matched the value's type (e.g. the string's pattern), not "invalid input".
    const branches = issue.errors.flat();
    const specific = branches.find((branch) => branch.code !== "invalid_type");
    if (specific)
      return `${[...path, ...specific.path.map(String)].join(".") || "(top level)"}: ${specific.message}`;
    const expected = [...new Set(branches.map((branch) => ("expected" in branch ? branch.expected : "")))];
    return `${path.join(".") || "(top level)"}: expected ${expected.filter(Boolean).join(" or ")}`;
  }
  if (issue.code === "invalid_type") {
    const received =
      issue.input === undefined ? "nothing" : Array.isArray(issue.input) ? "array" : typeof issue.input;
    return `${path.join(".") || "(top level)"}: expected ${issue.expected}, got ${received}`;
  }
  return `${path.join(".") || "(top level)"}: ${issue.message}`;
}

function configurationError(file: string | undefined, message: string, count: number): PeerpayError {
  const more = count > 1 ? ` (and ${count - 1} more problem${count > 2 ? "s" : ""})` : "";
  const where = file ? `config ${file}` : "config";
  return new PeerpayError("INVALID_CONFIG", `${where}: ${message}${more}`, { details: { file } });
}

function setPath(target: Record<string, unknown>, path: string, value: unknown): void {
  const keys = path.split(".");
  let node: Record<string, unknown> = target;
  for (const key of keys.slice(0, -1)) {
    const next = node[key];
    if (typeof next !== "object" || next === null || Array.isArray(next)) node[key] = {};
    node = node[key] as Record<string, unknown>;
  }
  node[keys[keys.length - 1] as string] = value;
}
