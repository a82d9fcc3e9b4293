// The Module base class: a tree of named parameters, buffers and child modules that it owns.
// Parameters are plain Tensors that require grad; the module keeps them out of every scope (so a
// model built inside tidy() survives it) and frees them in dispose(). Subclasses read their
// tensors through the registry (param()/buffer()) rather than fields, so that to() can swap them.
import { type DType, type Device, type Tensor, isFloatingDType, keep, noGrad } from "../tensor/index.js";
import { loadInto } from "./state-dict.js";

interface BufferSlot {
  tensor: Tensor | null;
  persistent: boolean;
}

export interface LoadStateDictOptions {
  /** Fail on missing and unexpected keys (shape and dtype mismatches always fail). @default true */
  strict?: boolean;
}

export interface ModuleToOptions {
  device?: Device;
  /** Casts floating-point parameters and buffers only (integer counters keep their type). */
  dtype?: DType;
}

const NAME = /^[A-Za-z0-9_]+$/;

export abstract class Module implements Disposable {
  readonly #params = new Map<string, Tensor | null>();
  readonly #buffers = new Map<string, BufferSlot>();
  readonly #children = new Map<string, Module>();
  #training = true;
  #disposed = false;

  /** Runs the layer; subclasses narrow the signature, e.g. `forward(x: Tensor): Tensor`. */
  abstract forward(...args: never[]): unknown;

  // ---- registration (for subclasses) ----------------------------------------------------------

  #checkName(name: string): void {
    if (!NAME.test(name)) throw new TypeError(`Module names must match ${NAME}. Received: "${name}"`);
    if (this.#params.has(name) || this.#buffers.has(name) || this.#children.has(name)) {
      throw new TypeError(`Module already has a parameter, buffer or child named "${name}"`);
    }
  }

  /** Takes ownership of `t` (a leaf) as a trainable parameter; null declares an absent one (e.g. bias=false). */
  protected registerParameter(name: string, t: Tensor | null): void {
    this.#checkName(name);
    if (t !== null) keep(t).setRequiresGrad(true);
    this.#params.set(name, t);
  }

  /** Takes ownership of `t` as state that is not trained (running statistics, counters). */
  protected registerBuffer(name: string, t: Tensor | null, opts: { persistent?: boolean } = {}): void {
    this.#checkName(name);
    if (t !== null) keep(t);
    this.#buffers.set(name, { tensor: t, persistent: opts.persistent ?? true });
  }

  /** Takes ownership of a child module; its tensors appear under `name.`. Returns the child. */
  protected registerModule<M extends Module>(name: string, m: M): M {
    this.#checkName(name);
    this.#children.set(name, m);
    return m;
  }

  /** A registered parameter (throws if it was declared absent). */
  protected param(name: string): Tensor {
    const t = this.#params.get(name);
    if (!t) throw new Error(`${this.constructor.name} has no parameter "${name}"`);
    return t;
  }

  protected optionalParam(name: string): Tensor | null {
    return this.#params.get(name) ?? null;
  }

  protected buffer(name: string): Tensor {
    const t = this.#buffers.get(name)?.tensor;
    if (!t) throw new Error(`${this.constructor.name} has no buffer "${name}"`);
    return t;
  }

  protected optionalBuffer(name: string): Tensor | null {
    return this.#buffers.get(name)?.tensor ?? null;
  }

  // ---- traversal -------------------------------------------------------------------------------

  /** Direct children with their names, in registration order. */
  namedChildren(): Map<string, Module> {
    return new Map(this.#children);
  }

  /**
   * This module and all descendants, keyed by dotted path ("" for this one), depth first. A module
   * registered at several places (shared weights) is listed once, at its first path, as in PyTorch.
   */
  namedModules(prefix = "", seen = new Set<Module>()): Map<string, Module> {
    const out = new Map<string, Module>();
    if (seen.has(this)) return out;
    seen.add(this);
    out.set(prefix, this);
    for (const [name, child] of this.#children) {
      for (const [k, m] of child.namedModules(prefix ? `${prefix}.${name}` : name, seen)) out.set(k, m);
    }
    return out;
  }

  modules(): Module[] {
    return [...this.namedModules().values()];
  }

  #collect(kind: "params" | "buffers", persistentOnly: boolean): Map<string, Tensor> {
    const out = new Map<string, Tensor>();
    for (const [path, m] of this.namedModules()) {
      const entries: [string, Tensor | null][] =
        kind === "params"
          ? [...m.#params]
          : [...m.#buffers].filter(([, s]) => s.persistent || !persistentOnly).map(([k, s]) => [k, s.tensor]);
      for (const [name, t] of entries) if (t !== null) out.set(path ? `${path}.${name}` : name, t);
    }
    return out;
  }

  /** Every parameter keyed by its dotted name, e.g. "enc.0.conv.weight" (borrowed references). */
  namedParameters(): Map<string, Tensor> {
    return this.#collect("params", false);
  }

  /** Every parameter (borrowed references), in namedParameters() order. */
  parameters(): Tensor[] {
    return [...this.namedParameters().values()];
  }

  /** Every buffer keyed by its dotted name, non-persistent ones included (borrowed references). */
  namedBuffers(): Map<string, Tensor> {
    return this.#collect("buffers", false);
  }

  /** The number of trainable elements. */
  parameterCount(): number {
    return this.parameters().reduce((n, p) => n + p.size, 0);
  }

  // ---- modes and gradients ---------------------------------------------------------------------

  /** True in training mode (dropout active, batch norm uses batch statistics). */
  get training(): boolean {
    return this.#training;
  }

  /** Sets training mode on this module and every descendant. */
  train(on = true): this {
    for (const m of this.modules()) m.#training = on;
    return this;
  }

  /** Evaluation mode: train(false). */
  eval(): this {
    return this.train(false);
  }

  /** Drops every parameter's gradient (sets it to null). */
  zeroGrad(): void {
    for (const p of this.parameters()) p.setGrad(null);
  }

  /** Freezes (false) or unfreezes (true) every parameter, e.g. for an EMA teacher. */
  setRequiresGrad(on: boolean): this {
    for (const p of this.parameters()) p.setRequiresGrad(on);
    return this;
  }

  // ---- state -----------------------------------------------------------------------------------

  /**
   * Parameters and persistent buffers keyed by dotted name, in PyTorch's order and naming
   * (weight, bias, running_mean, ...). Borrowed references: the caller must not dispose them.
   */
  stateDict(): Map<string, Tensor> {
    const out = new Map<string, Tensor>();
    for (const [path, m] of this.namedModules()) {
      const key = (name: string) => (path ? `${path}.${name}` : name);
      for (const [name, t] of m.#params) if (t !== null) out.set(key(name), t);
      for (const [name, s] of m.#buffers) if (s.tensor !== null && s.persistent) out.set(key(name), s.tensor);
    }
    return out;
  }

  /**
   * Copies `state` into this module's tensors in place (no gradient recorded).
   * @throws StateDictError listing every missing/unexpected key and shape/dtype mismatch; nothing is copied then.
   */
  loadStateDict(state: ReadonlyMap<string, Tensor>, opts: LoadStateDictOptions = {}): void {
    loadInto(this.stateDict(), state, opts.strict ?? true, this.constructor.name);
  }

  /**
   * Moves (and optionally casts) every parameter and buffer. Parameter handles change, so move the
   * model before building its optimizer.
   */
  to(opts: ModuleToOptions): this {
    noGrad(() => {
      for (const m of this.modules()) {
        for (const [name, p] of m.#params) {
          if (p === null) continue;
          const moved = convert(p, opts);
          if (moved === p) continue;
          moved.setRequiresGrad(p.requiresGrad);
          const g = p.grad;
          if (g) {
            const gm = convert(g, opts);
            moved.setGrad(gm);
            if (gm !== g) gm.dispose();
            g.dispose();
          }
          p.dispose();
          m.#params.set(name, moved);
        }
        for (const slot of m.#buffers.values()) {
          if (slot.tensor === null) continue;
          const moved = convert(slot.tensor, opts);
          if (moved === slot.tensor) continue;
          slot.tensor.dispose();
          slot.tensor = moved;
        }
      }
    });
    return this;
  }

  // ---- lifetime --------------------------------------------------------------------------------

  get isDisposed(): boolean {
    return this.#disposed;
  }

  /** Frees every parameter and buffer of this module and its descendants. Idempotent. */
  dispose(): void {
    if (this.#disposed) return;
    this.#disposed = true;
    for (const t of this.#params.values()) t?.dispose();
    for (const s of this.#buffers.values()) s.tensor?.dispose();
    for (const c of this.#children.values()) c.dispose();
  }

  [Symbol.dispose](): void {
    this.dispose();
  }

  toString(): string {
    return `${this.constructor.name}(${[...this.#children.keys()].join(", ")})`;
  }
}

/** `t` converted to the requested device/dtype as a new detached leaf, or `t` itself if nothing changes. */
function convert(t: Tensor, opts: ModuleToOptions): Tensor {
  const device = opts.device ?? t.device;
  const dtype = opts.dtype !== undefined && isFloatingDType(t.dtype) ? opts.dtype : t.dtype;
  if (device === t.device && dtype === t.dtype) return t;
  const cast = dtype === t.dtype ? t : t.to(dtype);
  const moved = device === cast.device ? cast : cast.toDevice(device);
  const out = keep(moved.detach());
  if (cast !== t) cast.dispose();
  if (moved !== cast) moved.dispose();
  return out;
}
