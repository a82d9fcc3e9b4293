import assert from "node:assert/strict";
import { mkdtemp, rm, writeFile } from "node:fs/promises";
import { tmpdir } from "node:os";
import path from "node:path";
import { test } from "node:test";
import { ConfigError, applyOverrides, loadExperimentConfig, parseExperimentConfig, resumeConflicts } from "./index.js";

test("parseExperimentConfig({}) fills every default (supervised, SGD + poly, nnU-Net-like augmentation)", () => {
  const c = parseExperimentConfig({});
  assert.equal(c.strategy.kind, "supervised");
  assert.equal(c.strategy.deepSupervision, true);
  assert.deepEqual(c.strategy.loss, { diceWeight: 1, ceWeight: 1, batchDice: true, includeBackground: false, denominator: "linear" });
  assert.deepEqual(c.optimizer, { kind: "sgd", lr: 0.01, momentum: 0.99, nesterov: true, weightDecay: 3e-5 });
  assert.deepEqual(c.schedule, { kind: "poly", exponent: 0.9, warmupIterations: 0 });
  assert.equal(c.training.iterationsPerEpoch, 250);
  assert.equal(c.data.foregroundOversampling, 0.33);
  assert.equal(c.data.augmentation.rotation.p, 0.2);
  assert.deepEqual(c.data.augmentation.rotation.degrees, [-30, 30]);
  assert.equal(c.split.folds, 5);
});

test("parseExperimentConfig: unknown keys are errors at every level, and every issue is listed with its path", () => {
  const bad = {
    trainig: {},
    training: { epohcs: 3, epochs: 0 },
    optimizer: { kind: "adam", momentum: 0.9 },
    strategy: { kind: "supervised", deepSupervison: false },
    data: { augmentation: { rotation: { p: 2 } } },
  };
  assert.throws(
    () => parseExperimentConfig(bad, "exp.json"),
    (e: unknown) => {
      assert.ok(e instanceof ConfigError);
      const paths = e.issues.map((i) => i.path).sort();
      for (const p of ["", "training", "training.epochs", "optimizer", "strategy", "data.augmentation.rotation.p"]) assert.ok(paths.includes(p), `missing ${JSON.stringify(p)} in ${JSON.stringify(paths)}`);
      assert.match(e.message, /exp\.json/);
      assert.match(e.message, /trainig/);
      assert.match(e.message, /epohcs/);
      assert.match(e.message, /deepSupervison/);
      return true;
    },
  );
});

test("parseExperimentConfig: an unknown strategy kind names the known ones", () => {
  assert.throws(() => parseExperimentConfig({ strategy: { kind: "mean-teacher-typo" } }), (e: unknown) => e instanceof ConfigError && e.issues[0]!.path === "strategy.kind" && /supervised/.test(e.message));
});

test("applyOverrides: flags win over the file; a new strategy kind drops the file's strategy settings", () => {
  const file = { strategy: { kind: "supervised", deepSupervision: false }, training: { epochs: 5 }, split: { fold: 1 } };
  const same = parseExperimentConfig(applyOverrides(file, { strategy: "supervised", epochs: 9, fold: 2, seed: 7, threads: 1, workers: 0 }));
  assert.ok(same.strategy.kind === "supervised" && same.strategy.deepSupervision === false, "same kind keeps its settings");
  assert.equal(same.training.epochs, 9);
  assert.equal(same.split.fold, 2);
  assert.equal(same.seed, 7);
  assert.equal(same.data.workers, 0);
  assert.deepEqual(file.training, { epochs: 5 }, "the input is not modified");
  assert.throws(() => parseExperimentConfig(applyOverrides({}, { fold: 7 })), (e: unknown) => e instanceof ConfigError && e.issues[0]!.path === "split.fold");
});

test("loadExperimentConfig reads a JSON file; a syntax error is a ConfigError naming the file", async () => {
  const dir = await mkdtemp(path.join(tmpdir(), "labelwise-cfg-"));
  try {
    const f = path.join(dir, "exp.json");
    await writeFile(f, JSON.stringify({ optimizer: { kind: "adamw" } }));
    assert.equal((await loadExperimentConfig(f, { epochs: 3 })).optimizer.kind, "adamw");
    await writeFile(f, "{ nope");
    await assert.rejects(loadExperimentConfig(f), (e: unknown) => e instanceof ConfigError && e.source === f);
  } finally {
    await rm(dir, { recursive: true, force: true });
  }
});

test("resumeConflicts: result-changing differences are listed, epochs/workers/threads may change", () => {
  const a = parseExperimentConfig({});
  const b = parseExperimentConfig({ training: { epochs: 200, threads: 2 }, data: { workers: 0 } });
  assert.deepEqual(resumeConflicts(a, b), []);
  const c = parseExperimentConfig({ optimizer: { kind: "sgd", lr: 0.1 }, seed: 3 });
  assert.deepEqual(resumeConflicts(a, c).map((s) => s.split(" ")[0]).sort(), ["optimizer.lr", "seed"]);
});
