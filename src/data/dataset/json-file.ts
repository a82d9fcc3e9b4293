// Reads a JSON document and validates it against a zod schema at the boundary: parse errors and
// every schema issue become one ConfigError, so users fix a file in one pass.
import { readFile } from "node:fs/promises";
import type { z } from "zod";
import { ConfigError } from "../errors.js";

/** Validates already-parsed JSON; `source` names the document in the error. */
export function parseWith<S extends z.ZodType>(schema: S, value: unknown, source: string): z.infer<S> {
  const r = schema.safeParse(value);
  if (!r.success) throw ConfigError.fromZod(source, r.error.issues);
  return r.data;
}

/** Parses JSON text; a syntax error becomes a ConfigError naming the document. */
export function parseJsonText(text: string, source: string): unknown {
  try {
    return JSON.parse(text) as unknown;
  } catch (e) {
    throw new ConfigError(source, [{ path: "", message: `not valid JSON (${(e as Error).message})` }], { cause: e });
  }
}

/**
 * Reads and validates a JSON file.
 * @throws ConfigError for invalid JSON or schema issues; the fs error (ENOENT, EACCES…) otherwise.
 */
export async function readJsonFile<S extends z.ZodType>(schema: S, path: string, source = path): Promise<z.infer<S>> {
  const text = await readFile(path, "utf8");
  return parseWith(schema, parseJsonText(text, source), source);
}
