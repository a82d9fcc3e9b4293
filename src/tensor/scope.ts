// Dynamic memory scopes: every tensor created while a scope is open belongs to it, and `tidy`
// disposes all of them except what its function returns. Native memory is invisible to V8, so
// deterministic release (not the garbage collector) is what keeps a training loop's RSS flat.

/** Anything a scope can own and release. */
export interface ScopedResource {
  dispose(): void;
  readonly isDisposed: boolean;
}

type Scope = Set<ScopedResource>;

const scopes: Scope[] = [];

/** Registers a freshly created tensor with the innermost open scope (no-op outside scopes). */
export function track<T extends ScopedResource>(t: T): T {
  const s = scopes[scopes.length - 1];
  if (s) s.add(t);
  return t;
}

/** Removes `t` from every open scope so it survives them all; the caller now owns it. */
export function keep<T extends ScopedResource>(t: T): T {
  for (const s of scopes) s.delete(t);
  return t;
}

/** Collects the disposables reachable from a scope's return value (arrays, maps, plain objects). */
function collect(value: unknown, into: Set<ScopedResource>, seen: Set<unknown>): void {
  if (value === null || typeof value !== "object" || seen.has(value)) return;
  seen.add(value);
  if (isDisposable(value)) {
    into.add(value);
    return;
  }
  if (Array.isArray(value)) {
    for (const v of value) collect(v, into, seen);
  } else if (value instanceof Map) {
    for (const v of value.values()) collect(v, into, seen);
  } else if (Object.getPrototypeOf(value) === Object.prototype) {
    for (const v of Object.values(value)) collect(v, into, seen);
  }
}

function isDisposable(v: object): v is ScopedResource {
  return typeof (v as ScopedResource).dispose === "function" && "isDisposed" in v;
}

/**
 * Runs `fn` in a new scope, disposes every tensor created inside except those reachable from the
 * return value, and hands the survivors to the enclosing scope.
 * `fn` must be synchronous: a scope cannot follow work across an await.
 * @example const loss = tidy(() => logits.softmax(1).mul(target).sum());
 */
export function tidy<T>(fn: () => T): T {
  const scope: Scope = new Set();
  scopes.push(scope);
  let result: T;
  try {
    result = fn();
  } catch (e) {
    scopes.pop();
    for (const t of scope) t.dispose();
    throw e;
  }
  scopes.pop();
  if (result instanceof Promise) {
    for (const t of scope) t.dispose();
    // The caller gets the TypeError below; the abandoned promise must not also surface as an
    // unhandled rejection (which terminates Node).
    result.catch(() => {});
    throw new TypeError("tidy() cannot run an async function: tensors would be freed before the await resumes");
  }
  const kept = new Set<ScopedResource>();
  collect(result, kept, new Set());
  for (const t of scope) {
    if (!kept.has(t)) t.dispose();
  }
  const outer = scopes[scopes.length - 1];
  if (outer) {
    for (const t of kept) if (!t.isDisposed && scope.has(t)) outer.add(t);
  }
  return result;
}

/** How many scopes are open (for tests and debugging). */
export function scopeDepth(): number {
  return scopes.length;
}
