import assert from "node:assert/strict";
import { mkdtemp, rm } from "node:fs/promises";
import { tmpdir } from "node:os";
import path from "node:path";
import { after, test } from "node:test";
import { readNifti, writeNifti, axcodesOf } from "../io/index.js";
import { dice } from "../metrics/index.js";
import { expectNoLeakAsync } from "../tensor/index.js";
import { composeAffine, Volume, type Mat3, type Mat4 } from "../volume/index.js";
import { ballPhantom, fakeModel, pointwisePredictor, testPlan } from "./_testing/models.js";
import { discoverCases } from "./cases.js";
import { predictCases } from "./batch.js";
import { NonFiniteInputError } from "./non-finite.js";
import { prepareCase } from "./preprocess.js";
import { predictVolume } from "./predict.js";

const owned: { dispose(): void }[] = [];
const dirs: string[] = [];
after(async () => {
  owned.forEach((t) => t.dispose());
  for (const d of dirs) await rm(d, { recursive: true, force: true });
});
async function tempDir(): Promise<string> {
  const d = await mkdtemp(path.join(tmpdir(), "labelwise-predict-"));
  dirs.push(d);
  return d;
}

/** Rotation about z by `a` degrees, then about x by `b`, with x and y negated (an LPS-like, oblique scan). */
function obliqueLps(a: number, b: number): Mat3 {
  const ca = Math.cos((a * Math.PI) / 180);
  const sa = Math.sin((a * Math.PI) / 180);
  const cb = Math.cos((b * Math.PI) / 180);
  const sb = Math.sin((b * Math.PI) / 180);
  const rz = [[ca, -sa, 0], [sa, ca, 0], [0, 0, 1]];
  const rx = [[1, 0, 0], [0, cb, -sb], [0, sb, cb]];
  const m = rz.map((row) => [0, 1, 2].map((j) => row.reduce((s, v, k) => s + v * rx[k]![j]!, 0)));
  return [[-m[0]![0]!, -m[0]![1]!, -m[0]![2]!], [-m[1]![0]!, -m[1]![1]!, -m[1]![2]!], [m[2]![0]!, m[2]![1]!, m[2]![2]!]] as unknown as Mat3;
}

const threshold = () => pointwisePredictor([0, 1, 2], [0, -5, -20], owned);
const BALLS = [
  [6, 7, 5, 5, 1],
  [9, 6, 8, 3, 2],
] as const;

test("an LPS, oblique scan is predicted into its own geometry: same affine, same voxels as its segmentation", async () => {
  const shape = [15, 13, 11] as const;
  const { image, labels } = ballPhantom(shape, BALLS, { border: 2 });
  const direction = obliqueLps(20, 10);
  const affine: Mat4 = composeAffine({ spacing: [1, 1, 1], origin: [40, -12, 7], direction });
  assert.equal(axcodesOf(affine)[0], "L");
  const scan = new Volume({ data: image, shape, affine });
  const model = fakeModel(threshold(), 3, testPlan({ patchSize: [6, 8, 6] }));
  const prep = prepareCase(scan, model.plan);
  assert.ok(prep.inverse.croppedShape.every((n, a) => n < shape[a]!), "the zero border was cropped away");
  assert.notDeepEqual(prep.inverse.orientation.original, "RAS");
  const out = predictVolume(scan, [model], { overlap: 0.5 });
  assert.equal(out.restoredBy, "none");
  assert.deepEqual(out.labels.shape, shape);
  assert.deepEqual(out.labels.affine, affine);
  assert.deepEqual([...out.labels.data], [...labels]);

  // The same through files: the written NIfTI carries exactly the input's affine.
  const dir = await tempDir();
  await writeNifti(path.join(dir, "scan_0000.nii.gz"), scan, { fsync: false });
  const cases = await discoverCases(dir, 1);
  assert.deepEqual(cases.map((c) => c.id), ["scan"]);
  const summary = await predictCases(cases, path.join(dir, "pred"), [model], { fsync: false });
  assert.deepEqual(summary.done, ["scan"]);
  const written = await readNifti(path.join(dir, "pred", "scan.nii.gz"));
  const input = await readNifti(path.join(dir, "scan_0000.nii.gz"));
  assert.deepEqual(written.volume.affine, input.volume.affine);
  assert.equal(written.volume.dtype, "uint8");
  assert.deepEqual([...(written.volume.data as Uint8Array)], [...labels]);
});

test("with resampling, both ways back (labels and probabilities) land on the scan's grid close to the truth", () => {
  const shape = [24, 22, 20] as const;
  const { image, labels } = ballPhantom(shape, [[11, 11, 10, 7, 1], [13, 10, 11, 3.5, 2]], { border: 1 });
  const affine = composeAffine({ spacing: [0.8, 0.8, 1.2], origin: [-5, 3, 2], direction: obliqueLps(0, 0) });
  const scan = new Volume({ data: image, shape, affine });
  const model = fakeModel(threshold(), 3, testPlan({ spacing: [1.1, 1.1, 1.5], patchSize: [8, 8, 8] }));
  for (const how of ["labels", "probabilities"] as const) {
    const out = predictVolume(scan, [model], { resampleOutput: how });
    assert.equal(out.restoredBy, how);
    assert.deepEqual(out.labels.shape, shape);
    assert.deepEqual(out.labels.affine, affine);
    assert.ok(out.networkShape.some((n, a) => n !== shape[a]));
    for (const label of [1, 2]) {
      const d = dice({ data: out.labels.data, shape }, { data: labels, shape }, { label });
      assert.ok(d > 0.93, `${how}: Dice of class ${label} = ${d}`);
    }
  }
});

test("NaN/Inf input: an error naming the first voxel by default, replaced on request", () => {
  const shape = [8, 8, 8] as const;
  const { image } = ballPhantom(shape, [[4, 4, 4, 2, 1]]);
  image[3 + 8 * (2 + 8 * 5)] = NaN;
  image[100] = Infinity;
  const scan = new Volume({ data: image, shape });
  const model = fakeModel(threshold(), 3);
  assert.throws(
    () => predictVolume(scan, [model]),
    (e: unknown) => e instanceof NonFiniteInputError && e.count === 2 && /2 NaN\/Inf voxel\(s\), the first at \(i, j, k\) = \(4, 4, 1\)/.test(e.message),
  );
  const out = predictVolume(scan, [model], { nonFinite: "zero" });
  assert.equal(out.nonFinite, 2);
  assert.equal(out.labels.data[3 + 8 * (2 + 8 * 5)], 0);
});

test("TTA with a flip-symmetric model, post-processing and ensemble checks through predictVolume", () => {
  const shape = [16, 14, 12] as const;
  const { image, labels } = ballPhantom(shape, BALLS, { border: 1 });
  // A lone voxel of class 1 far from the ball: largest-component post-processing removes it.
  const stray = 14 + 16 * (12 + 14 * 10);
  image[stray] = 11;
  const scan = new Volume({ data: image, shape });
  const model = fakeModel(threshold(), 3, testPlan({ patchSize: [8, 8, 8] }));
  const plain = predictVolume(scan, [model]);
  assert.equal(plain.labels.data[stray], 1);
  const tta = predictVolume(scan, [model], { tta: true });
  assert.deepEqual([...tta.labels.data], [...plain.labels.data]);
  const clean = predictVolume(scan, [model], { postprocess: { largestComponent: true } });
  assert.equal(clean.labels.data[stray], 0);
  assert.deepEqual([...clean.labels.data], [...labels]);
  const other = fakeModel(threshold(), 3, testPlan({ patchSize: [12, 8, 8] }), "other");
  assert.throws(() => predictVolume(scan, [model, other]), /different plans/);
  assert.throws(() => predictVolume(scan, [model, fakeModel(threshold(), 4)]), /predicts 4 classes/);
  assert.throws(() => predictVolume(new Volume({ data: new Float32Array(2 * 8 * 8 * 8), shape: [8, 8, 8], channels: 2 }), [model]), /takes 1 channel/);
});

test("predictCases leaks no tensor", async () => {
  const dir = await tempDir();
  const shape = [10, 9, 8] as const;
  const { image } = ballPhantom(shape, [[5, 4, 4, 3, 1]]);
  await writeNifti(path.join(dir, "a.nii.gz"), new Volume({ data: image, shape }), { fsync: false });
  const model = fakeModel(threshold(), 3);
  await expectNoLeakAsync(async () => {
    const s = await predictCases(await discoverCases(path.join(dir, "a.nii.gz"), 1), path.join(dir, "out"), [model], { fsync: false, resume: false });
    assert.equal(s.done.length, 1);
  });
});
