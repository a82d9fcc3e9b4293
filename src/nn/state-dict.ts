// Checking and copying named tensor collections (module weights, optimizer state). Loading is all
// or nothing: every problem is found before the first value is copied, so a failed load never
// leaves a half-updated model behind.
import { type Tensor, copyInPlace, noGrad } from "../tensor/index.js";

/** One entry whose tensor does not fit the slot it should be copied into. */
export interface StateDictMismatch {
  readonly key: string;
  readonly kind: "shape" | "dtype";
  readonly expected: string;
  readonly received: string;
}

/** A state dict did not match its target; the message lists every problem at once. */
export class StateDictError extends Error {
  override readonly name = "StateDictError";
  constructor(
    readonly missing: readonly string[],
    readonly unexpected: readonly string[],
    readonly mismatched: readonly StateDictMismatch[],
    target = "module",
  ) {
    super(formatMessage(target, missing, unexpected, mismatched));
  }
}

function plural(n: number, word: string, many = `${word}s`): string {
  return `${n} ${n === 1 ? word : many}`;
}

function formatMessage(target: string, missing: readonly string[], unexpected: readonly string[], mismatched: readonly StateDictMismatch[]): string {
  const counts: string[] = [];
  if (missing.length) counts.push(plural(missing.length, "missing key"));
  if (unexpected.length) counts.push(plural(unexpected.length, "unexpected key"));
  if (mismatched.length) counts.push(plural(mismatched.length, "mismatch", "mismatches"));
  const lines = [`Cannot load state dict into ${target}: ${counts.join(", ")}.`];
  for (const k of missing) lines.push(`  missing key: ${k}`);
  for (const k of unexpected) lines.push(`  unexpected key: ${k}`);
  for (const m of mismatched) lines.push(`  ${m.kind} mismatch for ${m.key}: expected ${m.expected}, received ${m.received}`);
  return lines.join("\n");
}

const shapeText = (s: readonly number[]): string => `[${s.join(",")}]`;

/** The problems found when loading `given` into `target` (both keyed by name). */
export function diffStateDict(
  target: ReadonlyMap<string, Tensor>,
  given: ReadonlyMap<string, Tensor>,
): { missing: string[]; unexpected: string[]; mismatched: StateDictMismatch[] } {
  const missing: string[] = [];
  const mismatched: StateDictMismatch[] = [];
  for (const [key, dst] of target) {
    const src = given.get(key);
    if (src === undefined) {
      missing.push(key);
      continue;
    }
    const a = dst.shape;
    const b = src.shape;
    if (a.length !== b.length || a.some((d, i) => d !== b[i])) {
      mismatched.push({ key, kind: "shape", expected: shapeText(a), received: shapeText(b) });
    }
    if (dst.dtype !== src.dtype) mismatched.push({ key, kind: "dtype", expected: dst.dtype, received: src.dtype });
  }
  const unexpected = [...given.keys()].filter((k) => !target.has(k));
  return { missing, unexpected, mismatched };
}

/**
 * Copies every entry of `given` into the tensor of the same name in `target`, in place and
 * without recording gradients. Throws StateDictError (before copying anything) on shape or dtype
 * mismatches, and, when `strict`, on missing or unexpected keys.
 */
export function loadInto(target: ReadonlyMap<string, Tensor>, given: ReadonlyMap<string, Tensor>, strict: boolean, what: string): void {
  const { missing, unexpected, mismatched } = diffStateDict(target, given);
  if (mismatched.length > 0 || (strict && (missing.length > 0 || unexpected.length > 0))) {
    throw new StateDictError(strict ? missing : [], strict ? unexpected : [], mismatched, what);
  }
  noGrad(() => {
    for (const [key, dst] of target) {
      const src = given.get(key);
      if (src !== undefined) copyInPlace(dst, src);
    }
  });
}
