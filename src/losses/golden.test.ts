// Every loss case of test/golden/losses.safetensors (written by test/golden/gen_losses.py from
// independent float64 references, torch's F.cross_entropy among them) through the TypeScript
// functions in float64: loss values and gradients with respect to the logits.
import assert from "node:assert/strict";
import { existsSync, readFileSync } from "node:fs";
import path from "node:path";
import { describe, test } from "node:test";
import { fileURLToPath } from "node:url";
import { type RawTensor, type Tensor, decodeSafetensors, expectNoLeak, fromRawTensor, grad, tidy } from "../tensor/index.js";
import { type CrossEntropyLossOptions, type DiceCELossOptions, type DiceLossOptions, crossEntropyLoss, diceCELoss, diceLoss } from "./index.js";
import { assertCloseToRaw, loadGoldenFixture } from "../tensor/_testing/golden-fixture.js";

interface CaseMeta {
  key: string;
  fn: "diceLoss" | "crossEntropyLoss" | "diceCELoss";
  opts: Record<string, unknown>;
  target_kind: string;
  has_mask: boolean;
}

const fixture = loadGoldenFixture("losses.safetensors", "gen_losses.py");
const cases = fixture.cases<CaseMeta[]>();
const raw = fixture.raw;

function load(name: string): Tensor {
  return fromRawTensor(raw(name));
}

const close = (label: string, got: Tensor, want: RawTensor): void => assertCloseToRaw(label, got, want);

const RUN: Record<CaseMeta["fn"], (logits: Tensor, target: Tensor, opts: Record<string, unknown>) => Tensor> = {
  diceLoss: (l, t, o) => diceLoss(l, t, o as DiceLossOptions),
  crossEntropyLoss: (l, t, o) => crossEntropyLoss(l, t, o as CrossEntropyLossOptions),
  diceCELoss: (l, t, o) => diceCELoss(l, t, o as DiceCELossOptions),
};

describe("losses match float64 references (test/golden/losses.safetensors)", () => {
  test("the fixture records its torch version and has cases for every loss", () => {
    assert.match(fixture.metadata.torch_version ?? "", /^1\.13/);
    assert.deepEqual([...new Set(cases.map((c) => c.fn))].sort(), ["crossEntropyLoss", "diceCELoss", "diceLoss"]);
  });

  for (const c of cases) {
    test(`${c.fn}: ${c.key}`, () => {
      expectNoLeak(() =>
        tidy(() => {
          const logits = load(`${c.key}/logits`).setRequiresGrad(true);
          const target = load(`${c.key}/target`);
          const opts = c.has_mask ? { ...c.opts, mask: load(`${c.key}/mask`) } : c.opts;
          const loss = RUN[c.fn](logits, target, opts);
          close("loss", loss, raw(`${c.key}/loss`));
          const [g] = grad([loss.sum()], [logits], { allowUnused: true });
          close("gradient", g ?? logits.mul(0), raw(`${c.key}/grad`));
        }),
      );
    });
  }
});
