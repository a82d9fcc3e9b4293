// The RESULT line every suite prints last: `RESULT <suite> key=value ...`. One formatter, so that
// missing values read the same everywhere ("n/a", never "NaN" or "undefined") and values never
// contain spaces (the line is parsed by splitting on them).

export type ResultValue = number | string | null | undefined;

/**
 * Formats the RESULT line. Numbers get `digits` decimals (default 3); null, undefined and
 * non-finite numbers print as "n/a"; strings are written as they are (spaces are refused).
 * @example resultLine("hippocampus", [["dice_mean", 0.8912], ["train_minutes", 27.4]], { digits: { train_minutes: 1 } })
 *   // "RESULT hippocampus dice_mean=0.891 train_minutes=27.4"
 */
export function resultLine(suite: string, fields: readonly (readonly [string, ResultValue])[], opts: { digits?: Readonly<Record<string, number>> } = {}): string {
  const parts = [`RESULT ${suite}`];
  for (const [key, value] of fields) {
    if (!/^[A-Za-z0-9_]+$/.test(key)) throw new RangeError(`RESULT keys are [A-Za-z0-9_]. Received: ${JSON.stringify(key)}`);
    let text: string;
    if (typeof value === "number") text = Number.isFinite(value) ? value.toFixed(opts.digits?.[key] ?? 3) : "n/a";
    else if (value === null || value === undefined || value === "") text = "n/a";
    else text = value;
    if (/\s/.test(text)) throw new RangeError(`RESULT values must not contain spaces. Received ${key}=${JSON.stringify(text)}`);
    parts.push(`${key}=${text}`);
  }
  return parts.join(" ");
}
