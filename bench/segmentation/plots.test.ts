// The suites' plots render to PNG (a spec Vega-Lite rejects would fail here, not after hours of training).
import assert from "node:assert/strict";
import { describe, it } from "node:test";
import { renderVegaLitePng } from "../../src/evaluation/index.js";
import { machineInfo } from "../harness/index.js";
import { semiReport, semiRows } from "../semi/suite.js";
import { weakReport, weakRows } from "../weak/suite.js";
import { fakePart } from "./_testing/parts.js";

const PNG = [0x89, 0x50, 0x4e, 0x47];

async function assertPng(spec: Record<string, unknown> | null | undefined): Promise<void> {
  assert.ok(spec, "the report has a plot");
  const png = await renderVegaLitePng(spec);
  assert.deepEqual([...png.subarray(0, 4)], PNG);
  assert.ok(png.length > 5000, `a drawn plot, not an empty canvas (${png.length} bytes)`);
}

describe("accuracy plots", () => {
  const machine = machineInfo(".");

  it("semi: Dice against the labelled share renders", async () => {
    const parts = new Map(
      [
        fakePart("la-all", { left_atrium: 0.9 }, { labelled: 64, unlabelled: 0, boxes: 0 }),
        fakePart("la8-supervised", { left_atrium: 0.7 }, { labelled: 8, unlabelled: 56, boxes: 0 }),
        fakePart("la8-fba", { left_atrium: 0.8 }, { labelled: 8, unlabelled: 56, boxes: 0 }),
        fakePart("la16-fba", { left_atrium: 0.86 }, { labelled: 16, unlabelled: 48, boxes: 0 }),
      ].map((p) => [p.row, p]),
    );
    const r = semiReport(parts, semiRows("full", "."), "full", machine);
    assert.match(r.markdown, /\| la8-fba \| left-atrium \| 8 \(13 %\) \| fba \| \*\*0\.800\*\*/);
    await assertPng(r.plot);
  });

  it("weak: Dice per organ renders", async () => {
    const parts = new Map(
      [fakePart("hip-full", { anterior: 0.9, posterior: 0.85 }), fakePart("hip-box-emb", { anterior: 0.8, posterior: 0.7 }), fakePart("la-box-proj", { left_atrium: 0.6 })].map((p) => [p.row, p]),
    );
    const r = weakReport(parts, weakRows("full", "."), "full", machine);
    assert.match(r.markdown, /\| hip-box-emb \| box: \+ contrastive pairwise \| 0\.800 \/ 3\.0 \| 0\.700 \/ 3\.0 \| \*\*0\.750\*\* \|/);
    assert.match(r.markdown, /btcv-full \(not run\)/);
    await assertPng(r.plot);
  });
});
