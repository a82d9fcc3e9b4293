import assert from "node:assert/strict";
import { describe, it } from "node:test";
import { failed, fakePart } from "../segmentation/_testing/parts.js";
import { BTCV_ORGANS, bestBoxRow, weakResult, weakSuite } from "./suite.js";

const organs = (v: number, extra: Record<string, number> = {}) => ({ ...Object.fromEntries(BTCV_ORGANS.map((o) => [o, v])), gallbladder: 0.1, ...extra });

describe("weak suite report", () => {
  it("RESULT: best box row over full supervision per dataset; BTCV as the mean of per-organ ratios", () => {
    const parts = new Map(
      [
        fakePart("hip-full", { anterior: 0.9, posterior: 0.8 }),
        fakePart("hip-box-proj", { anterior: 0.7, posterior: 0.6 }),
        fakePart("hip-box-emb", { anterior: 0.85, posterior: 0.85 }),
        failed("hip-box-gray"),
        fakePart("la-full", { left_atrium: 0.9 }),
        fakePart("la-box-emb-prior", { left_atrium: 0.72 }),
        fakePart("btcv-full", organs(0.8, { liver: 0.9 })),
        // Best on the five organs although worse on the mean over all classes (gallbladder).
        fakePart("btcv-box-emb", organs(0.6, { liver: 0.72, gallbladder: 0 })),
        fakePart("btcv-box-proj", organs(0.5, { gallbladder: 0.9 })),
      ].map((p) => [p.row, p]),
    );
    assert.equal(bestBoxRow({ key: "btcv", organs: BTCV_ORGANS }, parts)?.row, "btcv-box-emb");
    assert.equal(bestBoxRow({ key: "hip", organs: null }, parts)?.row, "hip-box-emb");
    // hippocampus 0.85 / 0.85; left atrium 0.72 / 0.9; BTCV: liver 0.72/0.9 = 0.8, four organs 0.6/0.8 = 0.75 → 0.76.
    assert.equal(weakResult(parts), "RESULT weak ratio_hippocampus=1.000 ratio_la=0.800 ratio_btcv=0.760");
  });

  it("RESULT says n/a for a dataset without a full-supervision or any box row", () => {
    const parts = new Map([fakePart("hip-box-emb", { anterior: 0.8, posterior: 0.8 })].map((p) => [p.row, p]));
    assert.equal(weakResult(parts), "RESULT weak ratio_hippocampus=n/a ratio_la=n/a ratio_btcv=n/a");
  });

  it("has the five ablation rows and projection + prior on each dataset", () => {
    for (const d of ["hip", "la", "btcv"]) {
      for (const v of ["full", "box-proj", "box-gray", "box-emb", "box-emb-prior", "box-proj-prior", "box-gray-prior"]) assert.ok(weakSuite.rows.includes(`${d}-${v}`), `${d}-${v}`);
    }
  });
});
