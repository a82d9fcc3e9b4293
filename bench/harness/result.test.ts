import assert from "node:assert/strict";
import { describe, it } from "node:test";
import { resultLine } from "./index.js";

describe("resultLine()", () => {
  it("writes the suite and key=value pairs with per-key decimals", () => {
    assert.equal(
      resultLine("hippocampus", [["dice_mean", 0.89123], ["train_minutes", 27.46]], { digits: { train_minutes: 1 } }),
      "RESULT hippocampus dice_mean=0.891 train_minutes=27.5",
    );
  });

  it("prints n/a for missing or non-finite values and strings as they are", () => {
    assert.equal(resultLine("semi", [["la20_ratio", null], ["la10_ratio", Number.NaN], ["best", "fba"], ["x", undefined]]), "RESULT semi la20_ratio=n/a la10_ratio=n/a best=fba x=n/a");
  });

  it("refuses values and keys that would break the space-separated line", () => {
    assert.throws(() => resultLine("semi", [["best", "mean teacher"]]), /must not contain spaces.*best="mean teacher"/);
    assert.throws(() => resultLine("semi", [["la ratio", 1]]), /RESULT keys/);
  });
});
