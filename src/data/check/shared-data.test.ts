// Integration: the real datasets in ../shared/data (beside the repository). Users and some
// machines lack them, so each test skips with the reason when its folder is absent.
import assert from "node:assert/strict";
import { existsSync } from "node:fs";
import { cp, mkdir, readFile, writeFile } from "node:fs/promises";
import path from "node:path";
import { test } from "node:test";
import { fileURLToPath } from "node:url";
import { checkDataset, formatProblems, formatSummary } from "./index.js";
import { readNifti, writeNifti } from "../../io/index.js";
import { composeAffine } from "../../volume/index.js";
import { makeSplits, openDataset, splitCases } from "../dataset/index.js";
import { removeDir, tempDir } from "../_testing/fixtures.js";

const shared = (name: string) => fileURLToPath(new URL(`../../../../../shared/data/${name}`, import.meta.url));
const skipUnless = (dir: string) => (existsSync(dir) ? false : `${dir} is not present (the shared datasets live beside the repository)`);
const hippocampus = shared("hippocampus");
const skip = skipUnless(hippocampus);

// Each takes 1-2 s here (2 cores); the timeout leaves room for slow disks.
for (const [name, cases] of [["hippocampus", 208], ["left-atrium", 80], ["btcv-abdomen", 24]] as const) {
  test(`labelwise check passes on the shared ${name} dataset (${cases} cases)`, { skip: skipUnless(shared(name)), timeout: 120_000 }, async () => {
    const r = await checkDataset(shared(name));
    assert.deepEqual(formatProblems(r), []);
    assert.equal(r.cases.training, cases);
    assert.ok(r.ok, formatSummary(r));
  });
}

test("the shared hippocampus dataset opens and splits 5-fold with 10 % labelled", { skip }, async () => {
  const ds = await openDataset(hippocampus);
  assert.equal(ds.training.length, 208);
  assert.deepEqual(ds.channels, ["MRI"]);
  const s = makeSplits(splitCases(ds), { folds: 5, seed: 12345, labelled: { fraction: 0.1 } });
  for (const f of s.splits) {
    assert.ok(f.val.length === 41 || f.val.length === 42);
    assert.equal(f.train.labelled.length, Math.round(0.1 * (208 - f.val.length)));
  }
});

test("three hippocampus cases copied, one label's spacing damaged: check names case, file and both values", { skip }, async () => {
  const dir = await tempDir();
  try {
    const ids = ["hippocampus_001", "hippocampus_003", "hippocampus_004"];
    for (const sub of ["imagesTr", "labelsTr"]) await mkdir(path.join(dir, sub));
    for (const id of ids) {
      await cp(path.join(hippocampus, `imagesTr/${id}_0000.nii.gz`), path.join(dir, `imagesTr/${id}_0000.nii.gz`));
      await cp(path.join(hippocampus, `labelsTr/${id}.nii.gz`), path.join(dir, `labelsTr/${id}.nii.gz`));
    }
    const json = JSON.parse(await readFile(path.join(hippocampus, "dataset.json"), "utf8")) as Record<string, unknown>;
    await writeFile(path.join(dir, "dataset.json"), JSON.stringify({ ...json, numTraining: 3 }));
    assert.deepEqual(formatProblems(await checkDataset(dir)), []);
    const label = (await readNifti(path.join(dir, "labelsTr/hippocampus_001.nii.gz"))).volume;
    const g = label.geometry;
    await writeNifti(path.join(dir, "labelsTr/hippocampus_001.nii.gz"), label.withAffine(composeAffine({ ...g, spacing: [g.spacing[0], g.spacing[1], 2] })), { fsync: false });
    assert.deepEqual(formatProblems(await checkDataset(dir)), ["ERROR hippocampus_001 labelsTr/hippocampus_001.nii.gz spacing: image [1,1,1] vs label [1,1,2]"]);
  } finally {
    await removeDir(dir);
  }
});
