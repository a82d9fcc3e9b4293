import assert from "node:assert/strict";
import { spawnSync } from "node:child_process";
import { mkdir, mkdtemp, readFile, rm, stat, writeFile } from "node:fs/promises";
import { tmpdir } from "node:os";
import path from "node:path";
import { after, test } from "node:test";
import { fileURLToPath } from "node:url";
import { decodePng, pngStats } from "../evaluation/_testing/png.js";
import { ballPhantom } from "../inference/_testing/models.js";
import { writeNifti } from "../io/index.js";
import { Volume } from "../volume/index.js";

const bin = fileURLToPath(new URL("../../../bin/labelwise.js", import.meta.url));
const cli = (...args: string[]) => spawnSync(process.execPath, [bin, ...args], { encoding: "utf8" });

let root = "";
after(async () => {
  if (root) await rm(root, { recursive: true, force: true });
});

test("labelwise evaluate writes per-case CSV and JSON, a Markdown summary and a PNG box plot that decodes", async () => {
  root = await mkdtemp(path.join(tmpdir(), "labelwise-cli-eval-"));
  const pred = path.join(root, "pred");
  const ref = path.join(root, "ref");
  await mkdir(pred);
  await mkdir(ref);
  const shape = [24, 20, 16] as const;
  for (let n = 0; n < 5; n++) {
    const truth = ballPhantom(shape, [[11, 10, 8, 6, 1], [13, 9, 7, 2.5, 2]], { seed: n + 1 }).labels;
    // Predictions: the same balls moved by n/2 voxels and grown by n/3, so scores spread.
    const guess = ballPhantom(shape, [[11 + n / 2, 10, 8, 6 + n / 3, 1], [13, 9 - n / 2, 7, 2.5, 2]], { seed: n + 1 }).labels;
    await writeNifti(path.join(ref, `case_${n}.nii.gz`), new Volume({ data: truth, shape }), { fsync: false });
    await writeNifti(path.join(pred, `case_${n}.nii.gz`), new Volume({ data: guess, shape }), { fsync: false });
  }
  await writeFile(path.join(pred, "case_0.done.json"), "{}"); // done markers next to predictions are ignored
  const labels = path.join(root, "dataset.json");
  await writeFile(labels, JSON.stringify({ channel_names: { "0": "MRI" }, labels: { background: 0, Anterior: 1, Posterior: 2 }, numTraining: 5, file_ending: ".nii.gz" }));
  const out = path.join(root, "report");
  const r = cli("evaluate", "--pred", pred, "--ref", ref, "--labels", labels, "--out", out, "--title", "Hippocampus test");
  assert.equal(r.status, 0, r.stderr);
  assert.match(r.stdout, /^# Hippocampus test/);
  assert.match(r.stdout, /\| Anterior \(1\) \| 0\.\d{3} ± 0\.\d{3} \|/);
  assert.match(r.stdout, /\| Posterior \(2\) \|/);
  assert.match(r.stderr, /wrote .*cases\.csv/);

  const csv = (await readFile(path.join(out, "cases.csv"), "utf8")).trim().split("\n");
  assert.equal(csv.length, 1 + 5 * 2);
  assert.match(csv[1]!, /^case_0,1,Anterior,1,1,0,0,1,/);
  const json = JSON.parse(await readFile(path.join(out, "evaluation.json"), "utf8")) as { cases: unknown[]; classes: { name: string; metrics: { dice: { mean: number } } }[] };
  assert.equal(json.cases.length, 5);
  assert.deepEqual(json.classes.map((c) => c.name), ["Anterior", "Posterior"]);
  assert.ok(json.classes[0]!.metrics.dice.mean > 0.5 && json.classes[0]!.metrics.dice.mean < 1);
  const md = await readFile(path.join(out, "summary.md"), "utf8");
  assert.match(md, /HD95 \(mm\)/);
  assert.match(md, /Empty masks/);
  const png = decodePng(new Uint8Array(await readFile(path.join(out, "boxplots.png"))));
  const stats = pngStats(png);
  assert.ok(png.width > 300 && png.height > 200, `${png.width}x${png.height}`);
  assert.ok(stats.colors > 20 && stats.inked > 0.03, `the plot looks blank: ${JSON.stringify(stats)}`);
  assert.ok((await stat(path.join(out, "boxplots.png"))).size > 5000);

  const help = cli("evaluate", "--help");
  assert.equal(help.status, 0);
  assert.match(help.stdout, /--pred <dir>/);
  const none = cli("evaluate", "--pred", ref, "--ref", path.join(root, "nothing"));
  assert.equal(none.status, 1);
  assert.match(none.stderr, /Cannot list .*nothing: no such folder/);
});
