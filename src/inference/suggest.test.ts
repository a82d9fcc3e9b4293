import assert from "node:assert/strict";
import { mkdtemp, rm } from "node:fs/promises";
import { tmpdir } from "node:os";
import path from "node:path";
import { after, test } from "node:test";
import { writeNifti } from "../io/index.js";
import { SegmentationNetwork, unetConfig } from "../nn/index.js";
import { Generator, conv3d, expectNoLeakAsync, noGrad, rand, setNumThreads, tensor, tidy } from "../tensor/index.js";
import { Volume } from "../volume/index.js";
import { fakeModel, pointwisePredictor, testPlan } from "./_testing/models.js";
import { discoverCases } from "./cases.js";
import { formCommittee } from "./committee.js";
import { type InferenceModel, networkPredictor } from "./model.js";
import type { Predictor } from "./sliding-window.js";
import { rankCases, scoreVolume, suggestCases } from "./suggest.js";

setNumThreads(1);

const owned: { dispose(): void }[] = [];
const dirs: string[] = [];
after(async () => {
  owned.forEach((t) => t.dispose());
  for (const d of dirs) await rm(d, { recursive: true, force: true });
});

const SHAPE = [12, 10, 9] as const;
const PLAN = testPlan({ patchSize: [8, 8, 8] });

/** A scan: background 1, a ball of radius 3 at `intensity`, a zero border of one voxel (cropped away). */
function ballScan(intensity: number): { volume: Volume; ball: number } {
  const [nx, ny, nz] = SHAPE;
  const data = new Float32Array(nx * ny * nz);
  let ball = 0;
  for (let k = 0, o = 0; k < nz; k++)
    for (let j = 0; j < ny; j++)
      for (let i = 0; i < nx; i++, o++) {
        const inside = i > 0 && j > 0 && k > 0 && i < nx - 1 && j < ny - 1 && k < nz - 1;
        const inBall = (i - 6) ** 2 + (j - 5) ** 2 + (k - 4) ** 2 <= 9;
        if (inside && inBall) ball++;
        data[o] = !inside ? 0 : inBall ? intensity : 1;
      }
  return { volume: new Volume({ data, shape: SHAPE }), ball };
}

/** Two-class thresholding: logits (0, x − t), so p(foreground) = σ(x − t). */
const threshold = (t: number) => pointwisePredictor([0, 1], [0, -t], owned);
const sigmoid = (x: number) => 1 / (1 + Math.exp(-x));
const entropy = (p: readonly number[]) => -p.reduce((s, x) => s + x * Math.log(x), 0);
const jsOf = (p: readonly number[], q: readonly number[]) => entropy(p.map((x, k) => (x + q[k]!) / 2)) - (entropy(p) + entropy(q)) / 2;

/** One model whose two named networks threshold at 5 and at 15. */
function twoNetworkModel(): InferenceModel {
  const base = fakeModel(threshold(5), 2, PLAN, "pair");
  return { ...base, predictors: [threshold(5), threshold(15)], moduleNames: ["low", "high"] };
}

test("scoreVolume(): two networks that disagree exactly on the ball give the known JS and 1 − Dice = 1; agreeing ones give ~0", () => {
  const model = twoNetworkModel();
  const committee = formCommittee([model], "auto");
  assert.equal(committee.kind, "networks");
  assert.deepEqual(committee.members.map((m) => m.name), ["low", "high"]);

  // Ball at 11: "low" says foreground (σ(6)), "high" background (σ(−4)): they disagree on every ball voxel.
  const hard = ballScan(11);
  const d = scoreVolume(hard.volume, [model], committee);
  assert.equal(d.foregroundVoxels, hard.ball, "the region is the ball");
  const p = [1 - sigmoid(6), sigmoid(6)];
  const q = [1 - sigmoid(-4), sigmoid(-4)];
  assert.ok(Math.abs(d.js - jsOf(p, q)) < 1e-5, `js ${d.js} vs ${jsOf(p, q)}`);
  assert.equal(d.dice, 1, "class 1 only in one label map");
  assert.ok(Math.abs(d.foregroundMl - hard.ball / 1000) < 1e-12, "1 mm voxels");

  // Ball at 21: both say foreground; they only differ in confidence.
  const easy = scoreVolume(ballScan(21).volume, [model], committee);
  assert.equal(easy.dice, 0);
  assert.ok(easy.js < d.js / 100, `easy ${easy.js} vs hard ${d.js}`);
});

test("formCommittee(): one network refuses a network committee by name, votes with its flips under tta; flips of a pointwise model agree", () => {
  const single = fakeModel(threshold(5), 2, PLAN, "single");
  assert.throws(() => formCommittee([single], "networks"), /the model has one network \(network\), and disagreement needs two .*Use --members tta/);
  assert.throws(() => formCommittee([single], "models"), /one model given \(single\); name more runs with --ensemble/);
  const tta = formCommittee([single], "auto");
  assert.equal(tta.kind, "tta");
  assert.deepEqual(tta.members.map((m) => m.name), ["identity", "flip-x", "flip-y", "flip-z"]);
  assert.throws(() => formCommittee([{ ...single, mirrorAxes: [] }], "tta"), /trained without mirroring/);
  // A voxel-wise model commutes with mirroring: the committee agrees exactly.
  const d = scoreVolume(ballScan(11).volume, [single], tta);
  assert.ok(d.js < 1e-7 && d.dice === 0, JSON.stringify(d));
});

test("formCommittee() tta: a model that looks along +x disagrees with its x-mirrored copy", () => {
  // logit_fg = x[i + 1] − x[i] (a one-sided edge detector along x): not mirror-symmetric.
  const w = tensor(Float32Array.from([0, 0, -1, 1]), [2, 1, 1, 1, 2]);
  owned.push(w);
  const edge: Predictor = (x) => conv3d(x, w, null, { padding: [0, 0, 1] }).slice(4, 1);
  const model = fakeModel(edge, 2, PLAN, "edge");
  const x = formCommittee([{ ...model, mirrorAxes: [0] }], "tta");
  assert.deepEqual(x.members.map((m) => m.name), ["identity", "flip-x"]);
  const d = scoreVolume(ballScan(11).volume, [model], x);
  assert.ok(d.js > 0.05 && d.dice > 0.5, JSON.stringify(d));
});

test("formCommittee(): the decoders of a multi-decoder network (FBA-Net+) vote separately; networkPredictor(net, k) is decoder k", () => {
  const net = new SegmentationNetwork(unetConfig({ levels: 2, baseFilters: 4, numClasses: 2, decoders: [{ upsample: "transposed" }, { upsample: "trilinear" }] }), { generator: new Generator(3) });
  owned.push(net);
  net.eval();
  const base = fakeModel(networkPredictor(net), 2, PLAN, "fba");
  const model: InferenceModel = { ...base, decoderPredictors: [[networkPredictor(net, 0), networkPredictor(net, 1)]] };
  const c = formCommittee([model]);
  assert.equal(c.kind, "decoders");
  assert.deepEqual(c.members.map((m) => m.name), ["network/decoder0", "network/decoder1"]);
  assert.throws(() => formCommittee([base], "decoders"), /the model has one network with one decoder \(network\).*Use --members tta/);
  noGrad(() =>
    tidy(() => {
      const x = rand([1, 1, 8, 8, 8], { generator: new Generator(4) });
      const all = net.forward(x, { embedding: false, deepSupervision: false });
      for (const [k, out] of [all, ...(all.otherDecoders ?? [])].entries()) {
        const mine = networkPredictor(net, k)(x);
        assert.deepEqual([...(mine.dataSync() as Float32Array)], [...(out.logits.dataSync() as Float32Array)], `decoder ${k}`);
      }
    }),
  );
  const d = scoreVolume(ballScan(11).volume, [model], c, { region: "all" });
  assert.ok(d.js > 0, "two differently initialised decoders disagree");
});

test("suggestCases(): ranks the disputed scan first, reports a failing case and goes on, leaks nothing", async () => {
  const dir = await mkdtemp(path.join(tmpdir(), "labelwise-suggest-"));
  dirs.push(dir);
  await writeNifti(path.join(dir, "agreed.nii.gz"), ballScan(21).volume, { fsync: false });
  await writeNifti(path.join(dir, "disputed.nii.gz"), ballScan(11).volume, { fsync: false });
  const bad = ballScan(11).volume;
  (bad.data as Float32Array)[40] = NaN;
  await writeNifti(path.join(dir, "broken.nii.gz"), bad, { fsync: false });
  const model = twoNetworkModel();
  const committee = formCommittee([model]);
  const events: string[] = [];
  await expectNoLeakAsync(async () => {
    const r = await suggestCases(await discoverCases(dir, 1), [model], committee, "js", { onEvent: (e) => events.push(`${e.type}:${e.id}`) });
    assert.deepEqual(r.ranking.map((s) => [s.rank, s.id]), [[1, "disputed"], [2, "agreed"]]);
    assert.equal(r.ranking[0]!.score, r.ranking[0]!.js);
    assert.deepEqual(r.failed.map((f) => f.id), ["broken"]);
    assert.match(r.failed[0]!.error.message, /NaN/);
    const byDice = rankCases(r.ranking.map((s) => ({ id: s.id, scores: s, seconds: s.seconds })), "dice");
    assert.deepEqual(byDice.map((s) => [s.id, s.score]), [["disputed", 1], ["agreed", 0]]);
  }, "suggestCases");
  assert.ok(events.includes("fail:broken") && events.includes("done:disputed") && events.includes("windows:agreed"), events.join(" "));
});

test("rankCases(): equal scores keep a stable order by case id", () => {
  const scores = { js: 0.1, kl: 0.2, dice: 0.3, regionVoxels: 1, foregroundVoxels: 1, voxels: 2, foregroundMl: 0.001 };
  const r = rankCases([{ id: "b", scores, seconds: 0 }, { id: "a", scores, seconds: 0 }, { id: "c", scores: { ...scores, js: 0.5 }, seconds: 0 }], "js");
  assert.deepEqual(r.map((s) => s.id), ["c", "a", "b"]);
});
