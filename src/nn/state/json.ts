// Metadata must survive JSON exactly: JSON.stringify would silently turn NaN into null, drop
// undefined and functions, flatten a Date to a string and lose a Map, so such values are refused
// at save time instead of coming back different at load time.

/** A value that round-trips through JSON unchanged. */
export type JsonValue = null | boolean | number | string | JsonValue[] | { [key: string]: JsonValue };

/** A JSON object (the form of state-file metadata). */
export type JsonObject = { [key: string]: JsonValue };

/**
 * Throws a TypeError naming the first value (by its path, e.g. `meta.schedule[2].lr`) that would
 * not round-trip through JSON: non-finite numbers, undefined, bigint, functions, symbols, class
 * instances (Date, Map, typed arrays, ...) and cycles.
 */
export function assertJsonObject(value: unknown, where: string): asserts value is JsonObject {
  if (!isPlainObject(value)) throw new TypeError(`${where} must be a plain JSON object. Received: ${describe(value)}`);
  check(value, where, new Set());
}

function isPlainObject(v: unknown): v is Record<string, unknown> {
  if (v === null || typeof v !== "object") return false;
  const proto = Object.getPrototypeOf(v) as unknown;
  return proto === Object.prototype || proto === null;
}

function describe(v: unknown): string {
  if (v === null) return "null";
  if (typeof v === "number") return String(v);
  if (typeof v === "object") return Array.isArray(v) ? "an array" : `a ${(v as object).constructor?.name ?? "null-prototype object"}`;
  return typeof v;
}

function check(v: unknown, where: string, open: Set<unknown>): void {
  if (v === null || typeof v === "boolean" || typeof v === "string") return;
  if (typeof v === "number") {
    if (!Number.isFinite(v)) throw new TypeError(`${where} is ${v}, which JSON cannot hold`);
    return;
  }
  const bad = () => new TypeError(`${where} is ${describe(v)}, which JSON cannot hold unchanged`);
  if (typeof v !== "object") throw bad();
  if (open.has(v)) throw new TypeError(`${where} refers back to itself (a cycle)`);
  open.add(v);
  if (Array.isArray(v)) {
    // An index loop, not forEach: holes would be skipped here but written as null by JSON.
    for (let i = 0; i < v.length; i++) check(v[i], `${where}[${i}]`, open);
  } else if (isPlainObject(v)) for (const [k, e] of Object.entries(v)) check(e, `${where}.${k}`, open);
  else throw bad();
  open.delete(v);
}
