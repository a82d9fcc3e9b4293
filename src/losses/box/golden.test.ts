// Every case of test/golden/box.safetensors (written by test/golden/gen_box.py from float64
// references of the recipe) through the TypeScript functions in float64: values and gradients.
import assert from "node:assert/strict";
import { existsSync, readFileSync } from "node:fs";
import path from "node:path";
import { describe, test } from "node:test";
import { fileURLToPath } from "node:url";
import { type RawTensor, type Tensor, decodeSafetensors, expectNoLeak, fromRawTensor, grad, setNumThreads, tidy } from "../../tensor/index.js";
import { type PairwiseLossOptions, boxAreaLoss, chamferDistance, pairwiseLoss, projectionLoss, supConLoss } from "./index.js";
import { assertCloseToRaw, loadGoldenFixture } from "../../tensor/_testing/golden-fixture.js";

setNumThreads(1); // tiny tensors: intra-op threads only add hand-offs

interface CaseMeta {
  key: string;
  fn: "projectionLoss" | "pairwiseLoss" | "supConLoss" | "chamferDistance" | "boxAreaLoss";
  opts: Record<string, unknown>;
  inputs: string[];
  grads: string[];
}

const fixture = loadGoldenFixture("box.safetensors", "gen_box.py");
const cases = fixture.cases<CaseMeta[]>();
const raw = fixture.raw;

const close = (label: string, got: Tensor, want: RawTensor): void => assertCloseToRaw(label, got, want);

type Inputs = Record<string, Tensor>;

/** The fixture's options use the TypeScript names, except the pairwise affinity, given by kind. */
function pairwiseOptions(o: Record<string, unknown>, t: Inputs): PairwiseLossOptions {
  const { affinity, scale, channels2: _unused, ...rest } = o;
  const aff: PairwiseLossOptions["affinity"] =
    affinity === "embedding" ? { kind: "embedding", embedding: t.embedding as Tensor } : { kind: "intensity", image: t.image as Tensor, scale: scale as number | undefined };
  return { ...(rest as Partial<PairwiseLossOptions>), affinity: aff, weights: t.weights ?? null };
}

const RUN: Record<CaseMeta["fn"], (t: Inputs, o: Record<string, unknown>) => Tensor> = {
  projectionLoss: (t, o) => projectionLoss(t.logits as Tensor, t.mask as Tensor, { ...o, weights: t.weights ?? null }),
  pairwiseLoss: (t, o) => pairwiseLoss(t.logits as Tensor, t.mask as Tensor, pairwiseOptions(o, t)),
  supConLoss: (t, o) => supConLoss(t.features as Tensor, t.labels as Tensor, o),
  chamferDistance: (t) => chamferDistance(t.x as Tensor, t.y as Tensor),
  boxAreaLoss: (t, o) => boxAreaLoss(t.logits as Tensor, t.mask as Tensor, { ...o, weights: t.weights ?? null }),
};

describe("box losses match float64 references (test/golden/box.safetensors)", () => {
  test("the fixture records its torch version and has cases for every function", () => {
    assert.match(fixture.metadata.torch_version ?? "", /^1\.13/);
    assert.deepEqual([...new Set(cases.map((c) => c.fn))].sort(), ["boxAreaLoss", "chamferDistance", "pairwiseLoss", "projectionLoss", "supConLoss"]);
  });

  for (const c of cases) {
    test(`${c.fn}: ${c.key}`, () => {
      expectNoLeak(() =>
        tidy(() => {
          const inputs: Inputs = {};
          for (const name of c.inputs) inputs[name] = fromRawTensor(raw(`${c.key}/${name}`));
          const leaves = c.grads.map((name) => (inputs[name] as Tensor).setRequiresGrad(true));
          const loss = RUN[c.fn](inputs, c.opts);
          close("loss", loss, raw(`${c.key}/loss`));
          const grads = grad([loss], leaves, { allowUnused: true });
          grads.forEach((g, i) => close(`gradient of ${c.grads[i]}`, g ?? (leaves[i] as Tensor).mul(0), raw(`${c.key}/grad_${c.grads[i]}`)));
        }),
      );
    });
  }
});
