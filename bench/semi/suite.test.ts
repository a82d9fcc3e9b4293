import assert from "node:assert/strict";
import { describe, it } from "node:test";
import { failed, fakePart } from "../segmentation/_testing/parts.js";
import { bestStrategy, semiResult, semiSuite } from "./suite.js";

describe("semi suite report", () => {
  it("RESULT: best strategy at 16 and 8 labels over full supervision, best named at 16", () => {
    const parts = new Map(
      [
        fakePart("la-all", { left_atrium: 0.9 }),
        fakePart("la16-supervised", { left_atrium: 0.8 }), // a lower bound is not a strategy
        fakePart("la16-mean-teacher", { left_atrium: 0.81 }),
        fakePart("la16-fba", { left_atrium: 0.882 }),
        failed("la16-bcp"),
        fakePart("la8-supervised", { left_atrium: 0.95 }),
        fakePart("la8-cross-pseudo", { left_atrium: 0.855 }),
        fakePart("la8-fba", { left_atrium: 0.81 }),
      ].map((p) => [p.row, p]),
    );
    assert.deepEqual(bestStrategy(parts, "la16"), { kind: "fba", dice: 0.882 });
    assert.equal(semiResult(parts), "RESULT semi la20_ratio=0.980 la10_ratio=0.950 best=fba");
  });

  it("RESULT says n/a when the upper bound or every strategy is missing", () => {
    assert.equal(semiResult(new Map()), "RESULT semi la20_ratio=n/a la10_ratio=n/a best=n/a");
    const onlyStrategies = new Map([fakePart("la16-bcp", { left_atrium: 0.8 })].map((p) => [p.row, p]));
    assert.equal(semiResult(onlyStrategies), "RESULT semi la20_ratio=n/a la10_ratio=n/a best=bcp");
  });

  it("has the bounds and every strategy at both left-atrium settings; quick rows are a subset", () => {
    for (const prefix of ["la8", "la16"]) {
      for (const kind of ["supervised", "mean-teacher", "cross-pseudo", "bcp", "fba", "dual-contrast"]) assert.ok(semiSuite.rows.includes(`${prefix}-${kind}`), `${prefix}-${kind}`);
    }
    assert.ok(semiSuite.rows.includes("la-all") && semiSuite.rows.includes("hip-all") && semiSuite.rows.includes("hip10-fba"));
  });
});
