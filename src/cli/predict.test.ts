import assert from "node:assert/strict";
import { spawn, spawnSync } from "node:child_process";
import { mkdir, mkdtemp, readFile, readdir, rm, writeFile } from "node:fs/promises";
import { tmpdir } from "node:os";
import path from "node:path";
import { after, before, test } from "node:test";
import { fileURLToPath } from "node:url";
import type { Plans } from "../data/index.js";
import { loadInferenceModel, networkPredictor, predictVolume } from "../inference/index.js";
import { ballPhantom, fakeModel, testPlan } from "../inference/_testing/models.js";
import { readNifti, writeNifti } from "../io/index.js";
import { SGD, SegmentationNetwork, saveModuleState, unetConfig } from "../nn/index.js";
import { SupervisedConfigSchema, createSupervisedStrategy, type SupervisedStrategy } from "../strategies/index.js";
import { Generator } from "../tensor/index.js";
import { saveCheckpoint } from "../training/index.js";
import { composeAffine, Volume } from "../volume/index.js";

const bin = fileURLToPath(new URL("../../../bin/labelwise.js", import.meta.url));
const cli = (...args: string[]) => spawnSync(process.execPath, [bin, ...args], { encoding: "utf8" });

let root = "";
const SHAPE = [20, 18, 14] as const;
const AFFINE = composeAffine({ spacing: [0.9, 1.1, 1.3], origin: [12, -30, 4], direction: [[-1, 0, 0], [0, 0, 1], [0, -1, 0]] });
const PLAN = testPlan({ spacing: [1, 1, 1.2], patchSize: [8, 8, 8], normalization: [{ scheme: "zscore", channel: 0, name: "MRI", useNonzeroMask: false }] });

before(async () => {
  root = await mkdtemp(path.join(tmpdir(), "labelwise-cli-predict-"));
  // A tiny untrained U-Net: the test is about plumbing (loading, geometry, markers), not accuracy.
  for (const [seed, dir] of [[1, "run_a"], [2, "run_b"]] as const) {
    const net = new SegmentationNetwork(unetConfig({ levels: 2, baseFilters: 4, numClasses: 3 }), { generator: new Generator(seed) });
    const ckptDir = path.join(root, "runs", "ds", "3d_fullres", dir, "checkpoints");
    await mkdir(ckptDir, { recursive: true });
    // run_a carries its plan in the checkpoint; run_b relies on the dataset's plans.json above it.
    await saveModuleState(path.join(ckptDir, "checkpoint_final.safetensors"), net, seed === 1 ? { network: net.config as never, plan: PLAN as never } : { network: net.config as never });
    net.dispose();
  }
  const plans: Plans = {
    format: "labelwise-plans",
    version: 1,
    dataset: "ds",
    planner: { name: "default", version: 1, options: {} },
    fingerprintSha256: "0".repeat(64),
    channels: ["MRI"],
    labels: { background: 0, anterior: 1, posterior: 2 },
    ignoreLabel: null,
    numClasses: 3,
    configurations: { "3d_fullres": PLAN },
  };
  await writeFile(path.join(root, "runs", "ds", "plans.json"), JSON.stringify(plans));
  const images = path.join(root, "imagesTs");
  await mkdir(images);
  for (const id of ["hip_001", "hip_002"]) {
    const { image } = ballPhantom(SHAPE, [[9, 9, 7, 5, 1], [11, 8, 6, 2, 2]], { border: 1, seed: id.length + Number(id.slice(-1)) });
    await writeNifti(path.join(images, `${id}_0000.nii.gz`), new Volume({ data: image, shape: SHAPE, affine: AFFINE }), { fsync: false });
  }
});
after(async () => {
  await rm(root, { recursive: true, force: true });
});

test("labelwise predict: a folder with a run directory, outputs on the input grid, done markers on a rerun", async () => {
  const runA = path.join(root, "runs", "ds", "3d_fullres", "run_a");
  const out = path.join(root, "pred");
  const r = cli("predict", "-i", path.join(root, "imagesTs"), "-o", out, "-m", runA, "--threads", "1", "--json");
  assert.equal(r.status, 0, r.stderr);
  const events = r.stdout.trim().split("\n").map((l) => JSON.parse(l) as { type: string; id?: string; done?: string[] });
  assert.deepEqual(events.filter((e) => e.type === "done").map((e) => e.id), ["hip_001", "hip_002"]);
  const input = await readNifti(path.join(root, "imagesTs", "hip_001_0000.nii.gz"));
  const pred = await readNifti(path.join(out, "hip_001.nii.gz"));
  assert.deepEqual(pred.volume.affine, input.volume.affine);
  assert.deepEqual(pred.volume.shape, SHAPE);
  assert.equal(pred.volume.dtype, "uint8");

  // In process, the same model gives the same labels (the CLI adds nothing but I/O).
  const model = await loadInferenceModel(runA);
  const again = predictVolume(input.volume, [model]);
  model.dispose();
  assert.deepEqual([...again.labels.data], [...(pred.volume.data as Uint8Array)]);

  const rerun = cli("predict", "-i", path.join(root, "imagesTs"), "-o", out, "-m", runA, "--threads", "1");
  assert.equal(rerun.status, 0, rerun.stderr);
  assert.match(rerun.stderr, /already done \(valid marker\), skipped/);
  assert.match(rerun.stderr, /predicted 0, skipped 2, failed 0 of 2 case\(s\)/);
});

test("labelwise predict on many machines: --claim workers share one output folder, --num-parts/--part-id split it statically", async () => {
  const runA = path.join(root, "runs", "ds", "3d_fullres", "run_a");
  const images = path.join(root, "imagesTs");
  const out = path.join(root, "pred-shared");
  // Two workers started together (as on two machines mounting the same folders).
  const worker = () =>
    new Promise<{ code: number | null; stdout: string; stderr: string }>((resolve) => {
      const child = spawn(process.execPath, [bin, "predict", "-i", images, "-o", out, "-m", runA, "--threads", "1", "--json", "--claim"], { stdio: ["ignore", "pipe", "pipe"] });
      let stdout = "";
      let stderr = "";
      child.stdout.on("data", (d: Buffer) => (stdout += d.toString()));
      child.stderr.on("data", (d: Buffer) => (stderr += d.toString()));
      child.on("exit", (code) => resolve({ code, stdout, stderr }));
    });
  const results = await Promise.all([worker(), worker()]);
  const done = results.flatMap((r) => {
    assert.equal(r.code, 0, r.stderr);
    return r.stdout.trim().split("\n").map((l) => JSON.parse(l) as { type: string; id?: string }).filter((e) => e.type === "done").map((e) => e.id);
  });
  assert.deepEqual(done.sort(), ["hip_001", "hip_002"], "each case predicted by exactly one worker");
  assert.deepEqual(await readdir(path.join(out, ".labelwise-claims")), [], "no claim left behind");

  const parts = [0, 1].map((k) => cli("predict", "-i", images, "-o", path.join(root, `pred-part${k}`), "-m", runA, "--threads", "1", "--num-parts", "2", "--part-id", String(k)));
  for (const r of parts) assert.equal(r.status, 0, r.stderr);
  assert.match(parts[0]!.stderr, /predicted 1, skipped 0, failed 0 of 1 case\(s\) \(part 0 of 2: 1 of 2\)/);
  assert.deepEqual(await readdir(path.join(root, "pred-part1")).then((f) => f.filter((n) => n.endsWith(".nii.gz"))), ["hip_002.nii.gz"]);

  const lonely = cli("predict", "-i", images, "-o", out, "-m", runA, "--num-parts", "2");
  assert.notEqual(lonely.status, 0);
  assert.match(lonely.stderr, /--num-parts and --part-id go together/);
  const beyond = cli("predict", "-i", images, "-o", out, "-m", runA, "--num-parts", "2", "--part-id", "2");
  assert.match(beyond.stderr, /--part-id must be below --num-parts \(2\). Received: 2/);
  const fresh = cli("predict", "-i", images, "-o", out, "-m", runA, "--claim", "--no-resume");
  assert.match(fresh.stderr, /--claim cannot be combined with --no-resume/);
  // An action's argument error is printed too (it used to exit 1 silently).
  const badLabels = cli("predict", "-i", images, "-o", out, "-m", runA, "--labels", path.join(root, "no-such.json"));
  assert.equal(badLabels.status, 1);
  assert.match(badLabels.stderr, /labelwise: Cannot read labels from .*no-such\.json/);
});

test("labelwise predict: one file to one file, an ensemble (plan from plans.json), TTA and lcc", async () => {
  const ckptB = path.join(root, "runs", "ds", "3d_fullres", "run_b", "checkpoints", "checkpoint_final.safetensors");
  const runA = path.join(root, "runs", "ds", "3d_fullres", "run_a");
  const file = path.join(root, "single", "out.nii.gz");
  const r = cli("predict", "-i", path.join(root, "imagesTs", "hip_002_0000.nii.gz"), "-o", file, "-m", runA, "--ensemble", ckptB, "--tta-axes", "x", "--postprocess", "lcc", "--threads", "1");
  assert.equal(r.status, 0, r.stderr);
  assert.match(r.stderr, /\[1\/1\] hip_002 done in/);
  const pred = await readNifti(file);
  assert.deepEqual(pred.volume.shape, SHAPE);
  const marker = JSON.parse(await readFile(path.join(root, "single", "hip_002.done.json"), "utf8")) as { outputs: { file: string }[] };
  assert.deepEqual(marker.outputs.map((o) => o.file), ["out.nii.gz"]);
});

test("labelwise predict: clear errors for a missing model, a bad flag and a NaN scan", async () => {
  const missing = cli("predict", "-i", path.join(root, "imagesTs"), "-o", path.join(root, "x"), "-m", path.join(root, "nowhere"));
  assert.equal(missing.status, 1);
  assert.match(missing.stderr, /Cannot load model .*nowhere: no such file or folder/);
  const bad = cli("predict", "-i", "a", "-o", "b", "-m", "c", "--overlap", "1");
  assert.notEqual(bad.status, 0);
  assert.match(bad.stderr, /--overlap must be a number in \[0, 1\)/);
  const nanDir = path.join(root, "nan");
  await mkdir(nanDir);
  const data = new Float32Array(SHAPE[0] * SHAPE[1] * SHAPE[2]).fill(1);
  data[5] = NaN;
  await writeNifti(path.join(nanDir, "n.nii.gz"), new Volume({ data, shape: SHAPE }), { fsync: false });
  const runA = path.join(root, "runs", "ds", "3d_fullres", "run_a");
  const nan = cli("predict", "-i", nanDir, "-o", path.join(root, "nan-out"), "-m", runA, "--threads", "1");
  assert.equal(nan.status, 1);
  assert.match(nan.stderr, /n FAILED: Cannot predict: the scan has 1 NaN\/Inf voxel\(s\), the first at \(i, j, k\) = \(5, 0, 0\)/);
  const fixed = cli("predict", "-i", nanDir, "-o", path.join(root, "nan-out"), "-m", runA, "--threads", "1", "--nan-policy", "zero");
  assert.equal(fixed.status, 0, fixed.stderr);
  const help = cli("predict", "--help");
  assert.equal(help.status, 0);
  assert.match(help.stdout, /--ensemble <paths>/);
});

test("labelwise predict loads a training run folder written by the trainer (pointer, module/<name>/ tensors, plan in the run metadata)", async () => {
  const runDir = path.join(root, "runs", "ds", "3d_fullres", "supervised", "fold_0");
  const strategy = createSupervisedStrategy(SupervisedConfigSchema.parse({ kind: "supervised" }), {
    network: unetConfig({ levels: 2, baseFilters: 4, numClasses: 3 }),
    numClasses: 3,
    inChannels: 1,
    ignoreLabel: null,
    batchSize: 2,
    totalIterations: 1,
    iterationsPerEpoch: 1,
    generator: () => new Generator(5),
  });
  const network = (strategy as SupervisedStrategy).network;
  const optimizer = new SGD(network.parameters(), { lr: 0.01, momentum: 0.9 });
  const trainer = new Generator(1);
  await saveCheckpoint(runDir, ["final", "latest"], {
    strategy,
    optimizer,
    generators: { trainer },
    state: { iteration: 1, samplerPosition: 1, best: null, elapsedSeconds: 0 },
    // The shape src/experiment's train-experiment records.
    run: { config: { plan: "3d_fullres" }, plan: PLAN as never, plans: { labels: { background: 0, anterior: 1, posterior: 2 }, channels: ["MRI"], numClasses: 3, ignoreLabel: null }, dataset: "ds", fold: 0 },
  });
  const input = await readNifti(path.join(root, "imagesTs", "hip_001_0000.nii.gz"));
  // What the strategy's own network predicts, in process...
  const reference = predictVolume(input.volume, [fakeModel(networkPredictor(network.eval()), 3, PLAN)]);
  optimizer.dispose();
  strategy.dispose();
  // ...equals what the CLI predicts from the run folder.
  const out = path.join(root, "pred-run");
  const r = cli("predict", "-i", path.join(root, "imagesTs"), "-o", out, "-m", runDir, "--checkpoint", "final", "--threads", "1");
  assert.equal(r.status, 0, r.stderr);
  const pred = await readNifti(path.join(out, "hip_001.nii.gz"));
  assert.deepEqual([...(pred.volume.data as Uint8Array)], [...reference.labels.data]);
  const missing = cli("predict", "-i", path.join(root, "imagesTs"), "-o", out, "-m", runDir, "--checkpoint", "best");
  assert.equal(missing.status, 1);
  assert.match(missing.stderr, /the run has no checkpoint_best\.json/);
});
