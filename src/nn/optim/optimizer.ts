// The Optimizer base class: parameter groups, a learning rate the schedules set, per-parameter
// state that the optimizer owns, and a state dict for exact resume. Subclasses only write the
// per-parameter update rule.
import { type Tensor, keep, noGrad, tidy } from "../../tensor/index.js";
import { StateDictError, type StateDictMismatch } from "../state-dict.js";

/** Hyper-parameters of one group: JSON-able values only (they go into the state dict). */
export type Hyper<H> = { [K in keyof H]: number | boolean | readonly number[] };

/** A group of parameters sharing hyper-parameters; its lr is the optimizer's lr times lrScale. */
export type ParamGroup<H extends Hyper<H>> = { params: readonly Tensor[]; lrScale?: number } & Partial<H>;

interface Group<H extends Hyper<H>> {
  readonly params: readonly Tensor[];
  lrScale: number;
  hyper: H;
}

/** What an optimizer keeps for one parameter. */
export interface ParamState {
  /** Updates applied to this parameter (steps where it had no gradient are not counted). */
  step: number;
  readonly tensors: Map<string, Tensor>;
}

/** An optimizer's serialisable state: owned-by-the-optimizer tensors plus JSON-able metadata. */
export interface OptimizerState {
  /** Keyed "<parameter index>.<name>", e.g. "3.exp_avg"; indices count through the groups in order. */
  tensors: Map<string, Tensor>;
  meta: Record<string, unknown>;
}

function isGroupList<H extends Hyper<H>>(p: readonly Tensor[] | readonly ParamGroup<H>[]): p is readonly ParamGroup<H>[] {
  return p.length > 0 && "params" in (p[0] as object);
}

export abstract class Optimizer<H extends Hyper<H>> implements Disposable {
  /** Identifies the update rule in state dicts ("sgd", "adam", "adamw"). */
  abstract readonly kind: string;
  /** Names of the per-parameter state tensors this optimizer may create. */
  protected abstract readonly stateNames: readonly string[];

  readonly #groups: Group<H>[];
  readonly #state = new Map<Tensor, ParamState>();
  #lr: number;
  #stepCount = 0;
  #disposed = false;

  /**
   * @param defaults every hyper-parameter's default value (its keys are the valid option names)
   * @param options the caller's values, overriding the defaults for all groups
   */
  constructor(params: readonly Tensor[] | readonly ParamGroup<H>[], lr: number, defaults: H, options: Partial<H>) {
    this.#lr = checkLr(lr);
    const known = Object.keys(defaults);
    const checkKeys = (o: object, where: string) => {
      const bad = Object.keys(o).filter((k) => !known.includes(k));
      if (bad.length) throw new TypeError(`${this.constructor.name}: unknown ${where} option(s) ${bad.join(", ")}. Known: lr, ${known.join(", ")}${where === "group" ? ", lrScale" : ""}`);
    };
    checkKeys(options, "optimizer");
    const base = { ...defaults, ...options };
    const specs: readonly ParamGroup<H>[] = isGroupList(params) ? params : [{ params: params as readonly Tensor[] } as ParamGroup<H>];
    const seen = new Set<Tensor>();
    this.#groups = specs.map((spec) => {
      const { params: ps, lrScale, ...overrides } = spec;
      for (const p of ps) {
        if (seen.has(p)) throw new TypeError("Optimizer: a parameter appears in more than one group (or twice in one)");
        seen.add(p);
      }
      checkKeys(overrides, "group");
      const hyper = { ...base, ...(overrides as unknown as Partial<H>) } as H;
      this.validate(hyper);
      return { params: [...ps], lrScale: checkLr(lrScale ?? 1, "lrScale"), hyper };
    });
    if (seen.size === 0) throw new TypeError("Optimizer: got no parameters to optimise");
  }

  /** Throws RangeError/TypeError if hyper-parameters are invalid. */
  protected abstract validate(h: H): void;

  /** Applies one update to `p` given its gradient; runs under noGrad inside a scope. */
  protected abstract update(p: Tensor, grad: Tensor, state: ParamState, h: H, lr: number): void;

  /** The base learning rate (group i uses lr * lrScale). Schedules set this before each step. */
  get lr(): number {
    return this.#lr;
  }

  set lr(v: number) {
    this.#lr = checkLr(v);
  }

  /** The number of step() calls so far (restored by loadStateDict). */
  get stepCount(): number {
    return this.#stepCount;
  }

  /** The groups: their parameters (borrowed), lr multiplier and hyper-parameters. */
  get paramGroups(): readonly { readonly params: readonly Tensor[]; readonly lrScale: number; readonly hyper: Readonly<H> }[] {
    return this.#groups;
  }

  /** Updates every parameter that has a gradient; parameters without one are skipped. */
  step(): void {
    if (this.#disposed) throw new Error("Cannot step a disposed optimizer");
    noGrad(() =>
      tidy(() => {
        for (const g of this.#groups) {
          const lr = this.#lr * g.lrScale;
          for (const p of g.params) {
            const grad = p.grad;
            if (grad === null) continue;
            let st = this.#state.get(p);
            if (!st) {
              st = { step: 0, tensors: new Map() };
              this.#state.set(p, st);
            }
            this.update(p, grad, st, g.hyper, lr);
          }
        }
      }),
    );
    this.#stepCount++;
  }

  /** Stores `t` as state `name` of a parameter; the optimizer now owns it. */
  protected setState(state: ParamState, name: string, t: Tensor): Tensor {
    state.tensors.set(name, keep(t));
    return t;
  }

  /** Drops every optimised parameter's gradient (sets it to null). */
  zeroGrad(): void {
    for (const g of this.#groups) for (const p of g.params) p.setGrad(null);
  }

  #flatParams(): Tensor[] {
    return this.#groups.flatMap((g) => g.params);
  }

  /** The state for checkpoints: tensors are borrowed (do not dispose), meta is JSON-able. */
  stateDict(): OptimizerState {
    const tensors = new Map<string, Tensor>();
    const paramSteps: (number | null)[] = [];
    this.#flatParams().forEach((p, i) => {
      const st = this.#state.get(p);
      paramSteps.push(st ? st.step : null);
      if (st) for (const [name, t] of st.tensors) tensors.set(`${i}.${name}`, t);
    });
    const groups = this.#groups.map((g) => ({ size: g.params.length, lrScale: g.lrScale, ...g.hyper }));
    return { tensors, meta: { kind: this.kind, lr: this.#lr, stepCount: this.#stepCount, groups, paramSteps } };
  }

  /**
   * Restores a state from stateDict() of an optimizer of the same kind over the same parameter
   * layout: hyper-parameters, lr, step counts and (copies of) the state tensors.
   * @throws StateDictError for unknown state keys or tensors that do not fit their parameter.
   */
  loadStateDict(state: OptimizerState): void {
    const params = this.#flatParams();
    const meta = this.#checkMeta(state.meta, params.length);
    this.#checkTensors(state.tensors, params);
    this.#clearState();
    meta.paramSteps.forEach((step, i) => {
      if (step !== null) this.#state.set(params[i] as Tensor, { step, tensors: new Map() });
    });
    noGrad(() =>
      tidy(() => {
        for (const [key, t] of state.tensors) {
          const [index, name] = parseKey(key);
          const p = params[index] as Tensor;
          let st = this.#state.get(p);
          if (!st) {
            st = { step: 0, tensors: new Map() };
            this.#state.set(p, st);
          }
          st.tensors.set(name, keep(t.clone()));
        }
      }),
    );
    this.#groups.forEach((g, i) => {
      const saved = meta.groups[i] as SavedGroup<H>;
      g.hyper = saved.hyper;
      g.lrScale = saved.lrScale;
    });
    this.#lr = meta.lr;
    this.#stepCount = meta.stepCount;
  }

  /** Validates saved metadata against this optimizer (kind, group layout, hyper-parameters). */
  #checkMeta(meta: Record<string, unknown>, nParams: number): { groups: SavedGroup<H>[]; paramSteps: (number | null)[]; lr: number; stepCount: number } {
    if (meta.kind !== this.kind) throw new TypeError(`Cannot load a "${String(meta.kind)}" optimizer state into a "${this.kind}" optimizer`);
    const groups = meta.groups as ({ size: number; lrScale: number } & H)[] | undefined;
    const sizes = this.#groups.map((g) => g.params.length);
    if (!Array.isArray(groups) || groups.length !== sizes.length || groups.some((g, i) => g.size !== sizes[i])) {
      throw new RangeError(`Cannot load optimizer state: group sizes differ. Expected: [${sizes.join(",")}], received: ${JSON.stringify(groups?.map((g) => g.size))}`);
    }
    const paramSteps = meta.paramSteps as (number | null)[] | undefined;
    if (!Array.isArray(paramSteps) || paramSteps.length !== nParams) throw new RangeError("Cannot load optimizer state: meta.paramSteps does not list every parameter");
    const saved = groups.map(({ size: _size, lrScale, ...h }) => {
      const hyper = h as unknown as H;
      this.validate(hyper);
      return { lrScale: checkLr(lrScale, "lrScale"), hyper };
    });
    return { groups: saved, paramSteps, lr: checkLr(meta.lr as number), stepCount: Number(meta.stepCount ?? 0) };
  }

  /** Throws StateDictError unless every tensor is a known state of an existing parameter and fits it. */
  #checkTensors(tensors: ReadonlyMap<string, Tensor>, params: readonly Tensor[]): void {
    const unexpected: string[] = [];
    const mismatched: StateDictMismatch[] = [];
    for (const [key, t] of tensors) {
      const [index, name] = parseKey(key);
      const p = params[index];
      if (!p || !this.stateNames.includes(name)) {
        unexpected.push(key);
        continue;
      }
      if (p.shape.join(",") !== t.shape.join(",")) mismatched.push({ key, kind: "shape", expected: `[${p.shape.join(",")}]`, received: `[${t.shape.join(",")}]` });
      if (p.dtype !== t.dtype) mismatched.push({ key, kind: "dtype", expected: p.dtype, received: t.dtype });
    }
    if (unexpected.length || mismatched.length) throw new StateDictError([], unexpected, mismatched, `${this.kind} optimizer`);
  }

  #clearState(): void {
    for (const st of this.#state.values()) for (const t of st.tensors.values()) t.dispose();
    this.#state.clear();
  }

  get isDisposed(): boolean {
    return this.#disposed;
  }

  /** Frees the optimizer's state tensors (not the parameters, which the model owns). Idempotent. */
  dispose(): void {
    if (this.#disposed) return;
    this.#disposed = true;
    this.#clearState();
  }

  [Symbol.dispose](): void {
    this.dispose();
  }
}

interface SavedGroup<H> {
  lrScale: number;
  hyper: H;
}

/** "3.exp_avg" -> [3, "exp_avg"]; an unparsable key gives index -1. */
function parseKey(key: string): [number, string] {
  const dot = key.indexOf(".");
  const index = dot > 0 ? Number(key.slice(0, dot)) : -1;
  return [Number.isInteger(index) ? index : -1, key.slice(dot + 1)];
}

function checkLr(v: number, what = "lr"): number {
  if (!(typeof v === "number" && v >= 0 && Number.isFinite(v))) throw new RangeError(`Optimizer ${what} must be a finite number >= 0. Received: ${v}`);
  return v;
}

/** Throws unless 0 <= v < 1 (betas, momentum-like coefficients). */
export function checkUnit(v: number, what: string, closed = false): void {
  if (!(v >= 0 && (closed ? v <= 1 : v < 1))) throw new RangeError(`${what} must be in [0, ${closed ? "1]" : "1)"}. Received: ${v}`);
}
