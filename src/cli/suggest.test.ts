// `labelwise suggest` end to end: two tiny networks trained briefly by the Trainer (different
// seeds) are written as the two modules of one training checkpoint, and the CLI ranks scans by
// their disagreement. The numbers must equal the library's in process; identical networks must
// score 0; a one-network run must be refused for a network committee and accepted with flips.
import assert from "node:assert/strict";
import { spawnSync } from "node:child_process";
import { mkdir, mkdtemp, readFile, rm } from "node:fs/promises";
import { tmpdir } from "node:os";
import path from "node:path";
import { after, before, test } from "node:test";
import { fileURLToPath } from "node:url";
import { sphereCase } from "../data/_testing/pipeline-fixtures.js";
import { discoverCases, formCommittee, loadInferenceModel, scoreVolume, readCaseScan } from "../inference/index.js";
import { testPlan } from "../inference/_testing/models.js";
import { writeNifti } from "../io/index.js";
import { Adam, constantLr, type JsonObject, unetConfig } from "../nn/index.js";
import { SupervisedStrategy } from "../strategies/index.js";
import { setNumThreads, streamGenerator } from "../tensor/index.js";
import { type Strategy, type StrategyEnv, Trainer, saveCheckpoint } from "../training/index.js";
import { batchSource } from "../training/_testing/setup.js";
import { makeTestDataset, type TestDataset } from "../server/_testing/fixtures.js";
import { Volume } from "../volume/index.js";

setNumThreads(1);

const bin = fileURLToPath(new URL("../../../bin/labelwise.js", import.meta.url));
// LABELWISE_DIST (inherited) points bin/labelwise.js at a private build.
const cli = (...args: string[]) => spawnSync(process.execPath, [bin, ...args, "--threads", "1"], { encoding: "utf8" });

// The sphere cases the training helpers sample from: intensities ≈ label value, 1 mm voxels.
const PLAN = testPlan({ patchSize: [16, 16, 8] });
const RUN_META = (): JsonObject =>
  ({ config: { plan: "3d_fullres" }, plan: PLAN, plans: { labels: { background: 0, sphere: 1, corner: 2 }, channels: ["MRI"], numClasses: 3, ignoreLabel: null }, dataset: "spheres", fold: 0 }) as unknown as JsonObject;

let root = "";
let ds: TestDataset;
const runs = { pair: "", same: "", single: "" };

async function trainNetwork(seed: number): Promise<{ strategy: SupervisedStrategy; optimizer: Adam }> {
  const env: StrategyEnv = {
    network: unetConfig({ inChannels: 1, numClasses: 3, levels: 2, baseFilters: 4, strides: [[1, 1, 1], [2, 2, 2]] }),
    numClasses: 3,
    inChannels: 1,
    ignoreLabel: null,
    batchSize: 2,
    totalIterations: 40,
    iterationsPerEpoch: 4,
    generator: (s) => streamGenerator(seed, s),
  };
  const strategy = new SupervisedStrategy({ kind: "supervised", deepSupervision: false, loss: { diceWeight: 1, ceWeight: 1, batchDice: true, includeBackground: false, denominator: "linear" } }, env);
  const optimizer = new Adam(strategy.parameters(), { lr: 1e-2 });
  const runDir = path.join(root, `train-${seed}`);
  await new Trainer({ strategy, optimizer, generator: streamGenerator(seed, "trainer"), schedule: constantLr(1e-2), batches: batchSource(), epochs: 10, iterationsPerEpoch: 4, runDir, run: {}, seed }).run();
  return { strategy, optimizer };
}

/** A checkpoint whose modules are the given networks (what a two-network strategy writes). */
async function writeRun(name: string, nets: Record<string, SupervisedStrategy>, optimizer: Adam): Promise<string> {
  const runDir = path.join(root, "runs", name);
  const modules = Object.fromEntries(Object.entries(nets).map(([k, s]) => [k, s.network]));
  const strategy = {
    name: `test-${name}`,
    modules: () => modules,
    describe: () => ({ networks: Object.fromEntries(Object.entries(nets).map(([k, s]) => [k, s.network.config as unknown as JsonObject])), predictWith: Object.keys(nets) }),
  } as unknown as Strategy;
  await saveCheckpoint(runDir, ["final"], { strategy, optimizer, generators: {}, state: { iteration: 40, samplerPosition: 40, best: null, elapsedSeconds: 0 }, run: RUN_META() });
  return runDir;
}

before(async () => {
  root = await mkdtemp(path.join(tmpdir(), "labelwise-cli-suggest-"));
  const a = await trainNetwork(1);
  const b = await trainNetwork(2);
  runs.pair = await writeRun("pair", { a: a.strategy, b: b.strategy }, a.optimizer);
  runs.same = await writeRun("same", { a: a.strategy, b: a.strategy }, a.optimizer);
  runs.single = await writeRun("single", { network: a.strategy }, a.optimizer);
  for (const s of [a, b]) {
    s.optimizer.dispose();
    s.strategy.dispose();
  }
  // Scans to rank: spheres like the training cases, one shifted and brightened.
  const images = path.join(root, "scans");
  await mkdir(images);
  const cases = [
    sphereCase("centred", { shape: [24, 20, 16], image: "textured" }),
    sphereCase("offset", { shape: [22, 22, 14], centre: [7, 14, 6], radius: 5, image: "textured" }),
    sphereCase("bright", { shape: [20, 24, 12], centre: [12, 10, 6], image: "textured" }),
  ];
  for (const c of cases) {
    const data = Float32Array.from(c.image, (v) => (c.id === "bright" ? 1.8 * v + 0.3 : v));
    await writeNifti(path.join(images, `${c.id}.nii.gz`), new Volume({ data, shape: c.shape }), { fsync: false });
  }
  ds = await makeTestDataset();
});
after(async () => {
  await ds?.cleanup();
  await rm(root, { recursive: true, force: true });
});

interface Row {
  rank: number;
  id: string;
  score: number;
  js: number;
  kl: number;
  dice: number;
  foregroundVoxels: number;
}

test("labelwise suggest: a two-network run ranks scans (table, JSON file, JSON-lines progress) with the library's numbers", async () => {
  const out = path.join(root, "out", "suggest.json");
  const r = cli("suggest", "-m", runs.pair, "-i", path.join(root, "scans"), "-o", out);
  assert.equal(r.status, 0, r.stderr);
  const json = JSON.parse(await readFile(out, "utf8")) as { format: string; committee: { kind: string; members: string[] }; measure: string; ranking: Row[] };
  assert.equal(json.format, "labelwise-suggestions");
  assert.deepEqual(json.committee, { kind: "networks", members: ["a", "b"] });
  assert.equal(json.measure, "js");
  const ranking = json.ranking;
  assert.deepEqual(ranking.map((x) => x.rank), [1, 2, 3]);
  assert.deepEqual([...ranking.map((x) => x.id)].sort(), ["bright", "centred", "offset"]);
  for (let i = 1; i < ranking.length; i++) assert.ok(ranking[i - 1]!.js >= ranking[i]!.js, "highest first");
  assert.ok(ranking.every((x) => x.score === x.js && x.js >= 0 && x.kl >= 0 && x.dice >= 0 && x.dice <= 1));
  assert.ok(ranking[0]!.js > 0, "two differently seeded networks disagree somewhere");

  // The table on stdout lists the cases in rank order.
  const lines = r.stdout.trim().split("\n");
  assert.match(lines[0]!, /^rank\s+case\s+JS \(nats\)\s+sym\. KL\s+1 − Dice\s+foreground mL$/);
  assert.deepEqual(lines.slice(1, 4).map((l) => l.split(/\s+/)[1]), ranking.map((x) => x.id));
  assert.match(r.stdout, /ranked by JS \(nats\), highest first/);
  // Progress: JSON lines on stderr (not a terminal), a start and a done per case.
  const events = r.stderr.split("\n").filter((l) => l.startsWith("{")).map((l) => JSON.parse(l) as { type: string; id: string });
  for (const id of ["bright", "centred", "offset"]) {
    assert.ok(events.some((e) => e.type === "start" && e.id === id) && events.some((e) => e.type === "done" && e.id === id), `events for ${id}`);
  }

  // In process, the library gives the same scores.
  const model = await loadInferenceModel(runs.pair, { modules: "networks" });
  try {
    const committee = formCommittee([model]);
    for (const c of await discoverCases(path.join(root, "scans"), 1)) {
      const s = scoreVolume((await readCaseScan(c)).volume, [model], committee);
      const row = ranking.find((x) => x.id === c.id)!;
      assert.ok(Math.abs(s.js - row.js) < 1e-9 && Math.abs(s.kl - row.kl) < 1e-9 && s.dice === row.dice, `${c.id}: ${JSON.stringify(s)} vs ${JSON.stringify(row)}`);
    }
  } finally {
    model.dispose();
  }
});

test("labelwise suggest: identical networks score 0 everywhere; CSV output and --measure dice", async () => {
  const out = path.join(root, "same.csv");
  const r = cli("suggest", "-m", runs.same, "-i", path.join(root, "scans"), "-o", out, "--measure", "dice", "--no-progress");
  assert.equal(r.status, 0, r.stderr);
  assert.equal(r.stderr.includes("{"), false, "no progress lines with --no-progress");
  const [head, ...rows] = (await readFile(out, "utf8")).trim().split("\n");
  assert.equal(head, "rank,case,annotation,score,js,kl,dice_disagreement,foreground_ml,foreground_voxels,region_voxels,voxels,seconds");
  assert.equal(rows.length, 3);
  for (const row of rows) {
    const [, , , score, js, kl, dice] = row.split(",").map(Number);
    assert.ok(Math.abs(js!) < 1e-7 && Math.abs(kl!) < 1e-6 && dice === 0 && score === 0, row);
  }
  // Equal scores: ranked by case id.
  assert.deepEqual(rows.map((l) => l.split(",")[1]), ["bright", "centred", "offset"]);
});

test("labelwise suggest: a one-network run is refused for a network committee and ranked with flips; a dataset's unlabelled cases only", async () => {
  const refused = cli("suggest", "-m", runs.single, "-i", path.join(root, "scans"), "--members", "networks");
  assert.equal(refused.status, 1);
  assert.match(refused.stderr, /Cannot form a committee of networks: the model has one network \(network\).*Use --members tta/);
  const flips = cli("suggest", "-m", runs.single, "-d", ds.root, "--no-progress");
  assert.equal(flips.status, 0, flips.stderr);
  const rows = flips.stdout.trim().split("\n").slice(1, -1);
  // The fixture marks one training case unlabelled; the labelled ones and the test scan are not ranked.
  assert.equal(rows.length, 1, flips.stdout);
  assert.match(rows[0]!, new RegExp(`^1\\s+${ds.ids[2]}\\s+unlabelled\\s`));
  // The two-network run on the phantom dataset, labelled cases included.
  const out = path.join(root, "phantom.json");
  const all = cli("suggest", "-m", runs.pair, "-d", ds.root, "--include-labelled", "--top", "2", "--no-progress", "-o", out);
  assert.equal(all.status, 0, all.stderr);
  assert.match(all.stdout, /… 1 more below rank 2 \(not shown: --top\)/);
  const json = JSON.parse(await readFile(out, "utf8")) as { committee: { kind: string }; ranking: (Row & { annotation: string })[] };
  assert.equal(json.committee.kind, "networks");
  assert.deepEqual(json.ranking.map((r) => r.id).sort(), [...ds.ids].sort());
  assert.deepEqual(json.ranking.map((r) => r.annotation).sort(), ["labelled", "labelled", "unlabelled"]);
});

test("labelwise suggest: runs of an ensemble vote as models (--members models) or network by network", async () => {
  const out = path.join(root, "ensemble.json");
  const models = cli("suggest", "-m", runs.single, "--ensemble", runs.pair, "-i", path.join(root, "scans"), "--members", "models", "-o", out, "--no-progress");
  assert.equal(models.status, 0, models.stderr);
  const json = JSON.parse(await readFile(out, "utf8")) as { committee: { kind: string; members: string[] }; models: { source: string }[]; ranking: Row[] };
  assert.equal(json.committee.kind, "models");
  assert.equal(json.committee.members.length, 2);
  assert.deepEqual(json.models.map((m) => path.relative(root, m.source).split(path.sep)[1]), ["single", "pair"]);
  assert.equal(json.ranking.length, 3);
  const networks = cli("suggest", "-m", runs.single, "--ensemble", runs.pair, "-i", path.join(root, "scans"), "-o", out, "--no-progress");
  assert.equal(networks.status, 0, networks.stderr);
  const all = JSON.parse(await readFile(out, "utf8")) as { committee: { kind: string; members: string[] } };
  assert.equal(all.committee.kind, "networks");
  assert.deepEqual(all.committee.members.map((m) => m.split("#")[1]), ["network", "a", "b"]);
});

test("labelwise suggest: argument errors name what is wrong; --help lists the options", () => {
  const both = cli("suggest", "-m", runs.pair, "-i", path.join(root, "scans"), "-d", ds.root);
  assert.notEqual(both.status, 0);
  assert.match(both.stderr, /exactly one of -i\/--input <path> or -d\/--dataset <dir>/);
  const measure = cli("suggest", "-m", runs.pair, "-i", path.join(root, "scans"), "--measure", "entropy");
  assert.notEqual(measure.status, 0);
  assert.match(measure.stderr, /Allowed choices are js, kl, dice/);
  const help = spawnSync(process.execPath, [bin, "suggest", "--help"], { encoding: "utf8" });
  assert.equal(help.status, 0);
  for (const flag of ["--members <kind>", "--measure <m>", "--region <r>", "--dataset <dir>", "--output <file>", "--ensemble <paths>"]) assert.ok(help.stdout.includes(flag), flag);
});
