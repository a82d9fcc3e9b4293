// Module and optimizer state files, tested with tiny hand-made objects that implement only the
// structural interfaces (the real Module/Optimizer live in src/nn/module.ts and src/nn/optim/).
import assert from "node:assert/strict";
import { mkdtemp, rm } from "node:fs/promises";
import { tmpdir } from "node:os";
import path from "node:path";
import { after, before, describe, it } from "node:test";
import { type DType, type Tensor, expectNoLeakAsync, fromRawTensor, memory, tensor } from "../../tensor/index.js";
import {
  type ModuleStateLike,
  type OptimizerStateDict,
  type OptimizerStateLike,
  StateFileError,
  loadModuleState,
  loadOptimizerState,
  saveModuleState,
  saveOptimizerState,
} from "./index.js";

let root: string;
let n = 0;
const file = () => path.join(root, `state-${n++}.safetensors`);

before(async () => {
  root = await mkdtemp(path.join(tmpdir(), "labelwise-modstate-"));
});
after(async () => {
  await rm(root, { recursive: true, force: true });
});

type Init = Record<string, { shape: number[]; values: number[]; dtype?: DType }>;

/** A stand-in for Module: owns its tensors, lends them out, copies loaded ones in. */
class TinyModule implements ModuleStateLike {
  readonly params = new Map<string, Tensor>();
  loads = 0;
  failNextLoad = false;
  constructor(init: Init) {
    for (const [k, v] of Object.entries(init)) this.params.set(k, tensor(v.values, v.shape, { dtype: v.dtype ?? "float32" }));
  }
  stateDict(): ReadonlyMap<string, Tensor> {
    return this.params;
  }
  loadStateDict(state: Map<string, Tensor>, opts: { strict: boolean }): void {
    this.loads++;
    if (this.failNextLoad) throw new Error("loadStateDict failed");
    if (opts.strict) assert.deepEqual([...state.keys()].sort(), [...this.params.keys()].sort());
    for (const [k, t] of state) {
      const old = this.params.get(k);
      if (!old) continue;
      this.params.set(k, t.clone()); // a copy: the loader disposes `t` after this call
      old.dispose();
    }
  }
  values(name: string): number[] {
    return (this.params.get(name) as Tensor).toArray();
  }
  dispose(): void {
    for (const t of this.params.values()) t.dispose();
  }
}

class TinyOptimizer implements OptimizerStateLike {
  tensors = new Map<string, Tensor>();
  meta: Record<string, unknown> = { lr: 0.01, step: 0, betas: [0.9, 0.999] };
  stateDict() {
    return { tensors: this.tensors, meta: this.meta };
  }
  loadStateDict(state: OptimizerStateDict): void {
    for (const t of this.tensors.values()) t.dispose();
    this.tensors = new Map([...state.tensors].map(([k, t]) => [k, t.clone()]));
    this.meta = structuredClone(state.meta);
  }
  dispose(): void {
    for (const t of this.tensors.values()) t.dispose();
  }
}

const unet = (w: number[], b: number[]): Init => ({
  "enc.weight": { shape: [2, 2], values: w },
  "enc.bias": { shape: [2], values: b },
  "bn.num_batches_tracked": { shape: [], values: [3], dtype: "int64" },
});

describe("module state files", () => {
  it("round-trip a module's state and meta, leaving the source module intact", async () => {
    const f = file();
    const src = new TinyModule(unet([1, 2, 3, 4], [5, 6]));
    const info = await saveModuleState(f, src, { epoch: 3 });
    assert.equal(info.kind, "module");
    assert.deepEqual(src.values("enc.weight"), [1, 2, 3, 4], "saving must not dispose borrowed tensors");

    const dst = new TinyModule(unet([0, 0, 0, 0], [0, 0]));
    await expectNoLeakAsync(async () => {
      const r = await loadModuleState(f, dst);
      assert.deepEqual(r.meta, { epoch: 3 });
      assert.equal(r.info.saveId, info.saveId);
    });
    assert.deepEqual(dst.values("enc.weight"), [1, 2, 3, 4]);
    assert.deepEqual(dst.values("enc.bias"), [5, 6]);
    assert.deepEqual(dst.values("bn.num_batches_tracked"), [3]);
    src.dispose();
    dst.dispose();
  });

  it("a strict load into a different architecture lists every difference and changes nothing", async () => {
    const f = file();
    const src = new TinyModule(unet([1, 2, 3, 4], [5, 6]));
    await saveModuleState(f, src);
    src.dispose();
    const other = new TinyModule({
      "enc.weight": { shape: [4], values: [0, 0, 0, 0] },
      "enc.bias": { shape: [2], values: [0, 0], dtype: "float64" },
      "head.weight": { shape: [1], values: [0] },
    });
    await expectNoLeakAsync(async () => {
      await assert.rejects(loadModuleState(f, other), (e: unknown) => {
        assert.ok(e instanceof StateFileError);
        assert.equal(e.reason, "mismatch");
        assert.deepEqual(e.problems, [
          "missing tensor 'head.weight' (expected [1] float32)",
          "unexpected tensor 'bn.num_batches_tracked' ([] int64) not among the 3 expected",
          "tensor 'enc.weight': shape mismatch, expected [4], file has [2,2]",
          "tensor 'enc.bias': dtype mismatch, expected float64, file has float32",
        ]);
        return true;
      });
    });
    assert.equal(other.loads, 0, "the module was not touched");
    other.dispose();
  });

  it("a non-strict load fills the common names", async () => {
    const f = file();
    const src = new TinyModule(unet([1, 2, 3, 4], [5, 6]));
    await saveModuleState(f, src);
    src.dispose();
    const bigger = new TinyModule({ ...unet([0, 0, 0, 0], [0, 0]), "head.weight": { shape: [1], values: [9] } });
    await expectNoLeakAsync(() => loadModuleState(f, bigger, { strict: false }));
    assert.deepEqual(bigger.values("enc.bias"), [5, 6]);
    assert.deepEqual(bigger.values("head.weight"), [9]);
    bigger.dispose();
  });

  it("frees the loaded tensors even when loadStateDict throws", async () => {
    const f = file();
    const m = new TinyModule(unet([1, 2, 3, 4], [5, 6]));
    await saveModuleState(f, m);
    m.failNextLoad = true;
    await expectNoLeakAsync(() => assert.rejects(loadModuleState(f, m), /loadStateDict failed/));
    m.dispose();
  });
});

describe("optimizer state files", () => {
  it("round-trip tensors and settings", async () => {
    const f = file();
    const src = new TinyOptimizer();
    src.tensors.set("0.exp_avg", fromRawTensor({ dtype: "float32", shape: [2], data: new Float32Array([0.5, -0.5]) }));
    src.meta = { lr: 0.002, step: 41, betas: [0.9, 0.999], groups: [{ weightDecay: 0 }] };
    await saveOptimizerState(f, src, { epoch: 7 });
    const dst = new TinyOptimizer();
    const live = memory().liveTensors;
    const r = await loadOptimizerState(f, dst);
    assert.deepEqual(r.meta, { epoch: 7 });
    // The optimizer started empty and now owns one copy; the loaded tensor itself was freed.
    assert.equal(memory().liveTensors - live, dst.tensors.size);
    assert.deepEqual(dst.meta, src.meta);
    assert.deepEqual((dst.tensors.get("0.exp_avg") as Tensor).toArray(), [0.5, -0.5]);
    src.dispose();
    dst.dispose();
  });

  it("refuses settings JSON cannot hold, and files of the wrong kind", async () => {
    const opt = new TinyOptimizer();
    opt.meta = { lr: Number.POSITIVE_INFINITY };
    await assert.rejects(saveOptimizerState(file(), opt), /optimizer\.stateDict\(\)\.meta\.lr is Infinity/);

    const f = file();
    const m = new TinyModule(unet([1, 2, 3, 4], [5, 6]));
    await saveModuleState(f, m);
    await assert.rejects(loadOptimizerState(f, opt), (e: unknown) => e instanceof StateFileError && e.reason === "format" && /holds module state, not optimizer state/.test(e.message));
    const g = file();
    await saveOptimizerState(g, new TinyOptimizer());
    await assert.rejects(loadModuleState(g, m), /holds optimizer state, not module state/);
    m.dispose();
  });
});
