// Leak assertions for tests: compare the native live-tensor count before and after a function.
import { memory } from "./engine.js";

/**
 * Runs `fn` without an enclosing scope and throws if it leaves native tensors alive that it did
 * not return. Returned tensors are disposed after the check.
 */
export function expectNoLeak(fn: () => unknown, label = "function"): void {
  const before = memory().liveTensors;
  const result = fn();
  const owned = [...new Set(collectTensors(result))]; // a tensor returned twice counts once
  const leaked = memory().liveTensors - before - owned.length;
  for (const t of owned) t.dispose();
  if (leaked !== 0) {
    throw new Error(`${label} leaked ${leaked} native tensor(s) (live count ${before} before, ${before + leaked + owned.length} after, ${owned.length} returned)`);
  }
}

function collectTensors(v: unknown, out: { dispose(): void; isDisposed: boolean }[] = []) {
  if (v && typeof v === "object") {
    if ("dispose" in v && "isDisposed" in v) {
      if (!(v as { isDisposed: boolean }).isDisposed) out.push(v as { dispose(): void; isDisposed: boolean });
    } else if (Array.isArray(v)) for (const e of v) collectTensors(e, out);
    else if (Object.getPrototypeOf(v) === Object.prototype) for (const e of Object.values(v)) collectTensors(e, out);
  }
  return out;
}

/**
 * The async form of expectNoLeak, for work that awaits (file I/O). Results are not inspected: the
 * function must dispose what it creates, and the live count must return to where it started.
 */
export async function expectNoLeakAsync(fn: () => Promise<unknown>, label = "function"): Promise<void> {
  const before = memory().liveTensors;
  await fn();
  const leaked = memory().liveTensors - before;
  if (leaked !== 0) throw new Error(`${label} leaked ${leaked} native tensor(s) (live count ${before} before, ${before + leaked} after)`);
}
