import assert from "node:assert/strict";
import { mkdir, mkdtemp, readFile, rm } from "node:fs/promises";
import { tmpdir } from "node:os";
import path from "node:path";
import { after, test } from "node:test";
import { writeNifti } from "../io/index.js";
import { composeAffine, Volume } from "../volume/index.js";
import { decodePng, pngStats } from "./_testing/png.js";
import { evaluateFolders } from "./evaluate-folders.js";
import { reportCsv, reportJson, reportMarkdown, writeEvaluationReport } from "./report.js";

const dirs: string[] = [];
after(async () => {
  for (const d of dirs) await rm(d, { recursive: true, force: true });
});

const SHAPE = [12, 10, 8] as const;
const AFFINE = composeAffine({ spacing: [2, 1, 1], origin: [0, 0, 0], direction: [[1, 0, 0], [0, 1, 0], [0, 0, 1]] });

/** Label 1: an x-range box; label 2: a small box (left out when `two` is false). */
function labels(x0: number, two: boolean): Volume<"uint8"> {
  const [nx, ny, nz] = SHAPE;
  const d = new Uint8Array(nx * ny * nz);
  for (let k = 2; k < 6; k++)
    for (let j = 2; j < 6; j++)
      for (let i = 0; i < nx; i++) {
        const o = i + nx * (j + ny * k);
        if (i >= x0 && i < x0 + 4) d[o] = 1;
        if (two && i >= 9 && i < 11 && j >= 7 && j < 9 && k >= 5 && k < 7) d[o] = 2;
      }
  for (let i = 9; i < 11; i++) for (let j = 7; j < 9; j++) for (let k = 5; k < 7; k++) if (two) d[i + nx * (j + ny * k)] = 2;
  return new Volume({ data: d, shape: SHAPE, affine: AFFINE });
}

async function folders(): Promise<{ pred: string; ref: string; root: string }> {
  const root = await mkdtemp(path.join(tmpdir(), "labelwise-eval-"));
  dirs.push(root);
  const pred = path.join(root, "pred");
  const ref = path.join(root, "ref");
  await mkdir(pred);
  await mkdir(ref);
  // case_1: label 1 shifted by one voxel along x (Dice 0.75), label 2 exact.
  await writeNifti(path.join(ref, "case_1.nii.gz"), labels(2, true), { fsync: false });
  await writeNifti(path.join(pred, "case_1.nii.gz"), labels(3, true), { fsync: false });
  // case_2: label 1 exact, label 2 missing from the prediction (Dice 0, distances NaN).
  await writeNifti(path.join(ref, "case_2.nii.gz"), labels(4, true), { fsync: false });
  await writeNifti(path.join(pred, "case_2.nii.gz"), labels(4, false), { fsync: false });
  // case_3 has no prediction; extra.nii.gz has no reference.
  await writeNifti(path.join(ref, "case_3.nii.gz"), labels(4, true), { fsync: false });
  await writeNifti(path.join(pred, "extra.nii.gz"), labels(4, true), { fsync: false });
  return { pred, ref, root };
}

test("evaluateFolders() pairs cases, computes per-class metrics in mm and summarises them with the empty-mask policy", async () => {
  const { pred, ref, root } = await folders();
  const report = await evaluateFolders(pred, ref, { names: new Map([[1, "liver"], [2, "tumour"]]) });
  assert.deepEqual(report.cases.map((c) => c.case), ["case_1", "case_2"]);
  assert.deepEqual(report.missing, ["case_3"]);
  assert.deepEqual(report.extra, ["extra"]);
  const [c1, c2] = report.cases as [(typeof report.cases)[0], (typeof report.cases)[0]];
  assert.equal(c1.classes[0]!.dice, 0.75);
  assert.equal(c1.classes[0]!.name, "liver");
  assert.equal(c1.classes[0]!.hd, 2, "a one-voxel shift along x is 2 mm at 2 mm spacing");
  assert.equal(c1.classes[1]!.dice, 1);
  assert.equal(c2.classes[1]!.dice, 0);
  assert.ok(Number.isNaN(c2.classes[1]!.hd95));
  const liver = report.classes[0]!;
  assert.equal(liver.metrics.dice.mean, (0.75 + 1) / 2);
  assert.equal(liver.metrics.dice.std, 0.125);
  const tumour = report.classes[1]!;
  assert.equal(tumour.metrics.hd95.n, 1);
  assert.equal(tumour.metrics.hd95.excluded, 1);
  assert.equal(report.overall.dice, (0.875 + 0.5) / 2);

  const csv = reportCsv(report).trim().split("\n");
  assert.equal(csv.length, 1 + 2 * 2);
  assert.match(csv[0]!, /^case,label,name,dice,jaccard,hd95,asd,nsd,/);
  assert.match(csv[4]!, /^case_2,2,tumour,0,0,NaN,NaN,0,/);
  const json = reportJson(report) as { cases: { classes: { hd95: number | null }[] }[] };
  assert.equal(json.cases[1]!.classes[1]!.hd95, null);
  const md = reportMarkdown(report, "Test");
  assert.match(md, /^# Test/);
  assert.match(md, /\| liver \(1\) \| 0\.875 ± 0\.125 \|/);
  assert.match(md, /\(1 excl\.\)/);
  assert.match(md, /present in only one of them scores Dice = Jaccard = 0/);
  assert.match(md, /## References without a prediction \(1\)\n\ncase_3\n/);
  assert.match(md, /## Predictions without a reference \(1\)\n\nextra\n/);
  const many = reportMarkdown({ ...report, missing: Array.from({ length: 25 }, (_, i) => `c${i}`) });
  assert.match(many, /## References without a prediction \(25\)\n\nc0, c1, .*, c19 and 5 more \(all in evaluation\.json\)\n/);
  assert.ok(!many.includes("c20"), "names past the 20th are left to evaluation.json");

  const files = await writeEvaluationReport(report, path.join(root, "report"), { fsync: false });
  const png = decodePng(new Uint8Array(await readFile(files.png)));
  const stats = pngStats(png);
  assert.ok(png.width > 200 && png.height > 150, `${png.width}x${png.height}`);
  assert.ok(stats.colors > 20 && stats.inked > 0.02, JSON.stringify(stats));
});

test("evaluateFolders() reports cases on another grid instead of scoring them", async () => {
  const { pred, ref } = await folders();
  const moved = labels(3, true).withAffine(composeAffine({ spacing: [2, 1, 1], origin: [5, 0, 0], direction: [[1, 0, 0], [0, 1, 0], [0, 0, 1]] }));
  await writeNifti(path.join(pred, "case_1.nii.gz"), moved, { fsync: false });
  const report = await evaluateFolders(pred, ref, { classes: [1, 2] });
  assert.deepEqual(report.failed.map((f) => f.case), ["case_1"]);
  assert.match(report.failed[0]!.error, /another grid/);
  assert.deepEqual(report.cases.map((c) => c.case), ["case_2"]);
  await assert.rejects(evaluateFolders(path.join(pred, "nope"), ref), /no such folder/);
});
