import assert from "node:assert/strict";
import path from "node:path";
import { describe, it } from "node:test";
import { machineInfo } from "../harness/index.js";
import { failed, fakePart } from "../segmentation/_testing/parts.js";
import { hippocampusReport, hippocampusRows } from "./suite.js";

describe("hippocampus suite report", () => {
  const machine = machineInfo(".");
  const rows = hippocampusRows("full", "/repo");

  it("tables every class and the mean, names the model and ends with the RESULT line", () => {
    const part = { ...fakePart("supervised-unet", { anterior: 0.9, posterior: 0.86 }), trainMinutes: 27.46 };
    const r = hippocampusReport(new Map([[part.row, part]]), rows, "full", machine, "/repo");
    assert.equal(r.result, "RESULT hippocampus dice_mean=0.880 train_minutes=27.5");
    assert.match(r.markdown, /\| anterior \| 0\.900 ± 0\.000 \|/);
    assert.match(r.markdown, /\*\*mean over classes\*\* \| \*\*0\.880\*\*/);
    assert.match(r.markdown, /goal \(mean Dice ≥ 0\.88 with ≤ 30 min of training\): met/);
    assert.match(r.markdown, /predict -i <scan or folder> -o <out> --model bench\/work\/x\/supervised-unet/);
    assert.equal(r.plotFile, path.resolve("/repo", "bench/work/x/supervised-unet", "evaluation", "boxplots.png"));
  });

  it("misses the goal when training took too long, and says n/a without a finished row", () => {
    const slow = { ...fakePart("supervised-unet", { anterior: 0.95, posterior: 0.95 }), trainMinutes: 31 };
    assert.match(hippocampusReport(new Map([[slow.row, slow]]), rows, "full", machine, "/repo").markdown, /: MISSED/);
    const r = hippocampusReport(new Map([["supervised-unet", failed("supervised-unet")]]), rows, "full", machine, "/repo");
    assert.equal(r.result, "RESULT hippocampus dice_mean=n/a train_minutes=n/a");
    assert.match(r.markdown, /supervised-unet FAILED: strategy kind/);
  });

  it("trains on the shared hippocampus data with a fixed split and 2 threads", () => {
    const [row] = rows;
    assert.equal(row?.dataset, path.join(path.resolve("/repo", "..", "shared", "data"), "hippocampus"));
    assert.deepEqual((row?.config as { split: unknown }).split, { folds: 5, fold: 0, seed: 12345 });
    assert.equal((row?.config as { training: { threads: number } }).training.threads, 2);
  });
});
