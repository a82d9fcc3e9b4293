// The accuracy-suite loop with a stand-in row runner (no training): parts saved as rows finish,
// finished parts skipped, failed rows recorded without stopping the others and retried, --fresh and
// changed row definitions re-run, an interrupted row stops the run, and the merged report ends with
// the RESULT line. Plus the row-level pieces that need no training.
import assert from "node:assert/strict";
import { existsSync, mkdtempSync, readFileSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import path from "node:path";
import { afterEach, beforeEach, describe, it } from "node:test";
import { PartStore, type SuiteOptions, machineInfo } from "../harness/index.js";
import { RowConfigError, RowInterrupted, failedPart, partName, resolveRowConfig, rowFingerprint, runSegmentationRow, withIterations } from "./run-row.js";
import { type AccuracySuiteSpec, type SuiteDeps, runAccuracySuite } from "./suite-runner.js";
import type { SegmentationPart, SegmentationRow, WorkRoot } from "./types.js";

const WORK: WorkRoot = { name: "test", planner: {} };

function row(name: string, config: Record<string, unknown> = { strategy: { kind: "supervised" } }): SegmentationRow {
  return { name, dataset: "/nowhere/ds", work: WORK, config, meta: { method: name } };
}

function donePart(r: SegmentationRow, ctx: { suite: string; profile: "full" | "quick"; root: string; iterations?: number | undefined }, dice: number): SegmentationPart {
  return {
    ...failedPart(r, ctx, new Error("unused")),
    status: "done",
    error: undefined,
    classes: [{ label: 1, name: "organ", dice: { mean: dice, std: 0, excluded: 0 }, jaccard: { mean: dice, std: 0, excluded: 0 }, hd95: { mean: 1, std: 0, excluded: 0 }, asd: { mean: 0.5, std: 0, excluded: 0 } }],
    mean: { dice, jaccard: dice, hd95: 1, asd: 0.5 },
    trainMinutes: 1,
    iterations: 10,
  };
}

/** A suite whose RESULT line is the mean Dice of each row, in row order. */
function suite(rows: SegmentationRow[]): AccuracySuiteSpec {
  return {
    name: "toy",
    description: "toy suite",
    rows: () => rows,
    report: (parts, all) => ({
      markdown: `# toy\n${all.map((r) => `${r.name}: ${parts.get(r.name)?.status ?? "not run"}`).join("\n")}`,
      result: `RESULT toy ${all.map((r) => `${r.name}=${parts.get(r.name)?.mean?.dice ?? "n/a"}`).join(" ")}`,
      plot: null,
    }),
  };
}

describe("accuracy suite runner", () => {
  let root: string;
  let calls: string[];
  const opts = (o: Partial<SuiteOptions> = {}): SuiteOptions => ({ quick: false, only: [], fresh: false, rounds: undefined, root, ...o });
  beforeEach(() => {
    root = mkdtempSync(path.join(tmpdir(), "lw-acc-"));
    calls = [];
  });
  afterEach(() => {
    rmSync(root, { recursive: true, force: true });
  });

  // The printed report is dropped; the files are checked.
  const runner = (behaviour: Record<string, "ok" | "fail" | "interrupt">): SuiteDeps => ({
    print: () => {},
    log: () => {},
    runRow: async (r, ctx) => {
      calls.push(r.name);
      const b = behaviour[r.name] ?? "ok";
      if (b === "fail") throw new Error(`boom in ${r.name}`);
      if (b === "interrupt") throw new RowInterrupted(`${r.name} interrupted`);
      return donePart(r, ctx, 0.5 + calls.length / 100);
    },
  });

  it("saves every row, records a failing one without stopping the others, and ends the report with RESULT", async () => {
    const rows = [row("a"), row("b"), row("c")];
    const code = await runAccuracySuite(suite(rows), opts(), runner({ b: "fail" }));
    assert.equal(code, 1);
    assert.deepEqual(calls, ["a", "b", "c"]);
    const store = new PartStore<SegmentationPart>(path.join(root, "bench", "results", "toy", "parts"));
    assert.equal(store.load("a")?.status, "done");
    assert.equal(store.load("c")?.status, "done");
    const b = store.load("b");
    assert.equal(b?.status, "failed");
    assert.match(b?.error ?? "", /boom in b/);
    const md = readFileSync(path.join(root, "bench", "results", "toy", "report.md"), "utf8").trimEnd().split("\n");
    assert.equal(md.at(-1), "RESULT toy a=0.51 b=n/a c=0.53");
    assert.ok(md.includes("b: failed"));
    assert.ok(existsSync(path.join(root, "bench", "results", "toy", "report.json")));
  });

  it("skips finished rows on the next invocation and retries the failed one", async () => {
    const rows = [row("a"), row("b")];
    await runAccuracySuite(suite(rows), opts(), runner({ b: "fail" }));
    calls = [];
    const code = await runAccuracySuite(suite(rows), opts(), runner({}));
    assert.equal(code, 0);
    assert.deepEqual(calls, ["b"]);
  });

  it("re-runs finished rows with --fresh, and a row whose definition changed", async () => {
    await runAccuracySuite(suite([row("a"), row("b")]), opts(), runner({}));
    calls = [];
    await runAccuracySuite(suite([row("a"), row("b")]), opts({ fresh: true }), runner({}));
    assert.deepEqual(calls, ["a", "b"]);
    calls = [];
    await runAccuracySuite(suite([row("a"), row("b", { strategy: { kind: "supervised" }, seed: 7 })]), opts(), runner({}));
    assert.deepEqual(calls, ["b"]);
    calls = [];
    await runAccuracySuite(suite([row("a"), row("b", { strategy: { kind: "supervised" }, seed: 7 })]), opts({ iterations: 5 }), runner({}));
    assert.deepEqual(calls, ["a", "b"], "an iteration override changes every row");
  });

  it("stops at an interrupted row (exit 130) and leaves it to the next invocation", async () => {
    const rows = [row("a"), row("b"), row("c")];
    const code = await runAccuracySuite(suite(rows), opts(), runner({ b: "interrupt" }));
    assert.equal(code, 130);
    assert.deepEqual(calls, ["a", "b"]);
    const store = new PartStore<SegmentationPart>(path.join(root, "bench", "results", "toy", "parts"));
    assert.equal(store.load("b"), undefined);
    calls = [];
    await runAccuracySuite(suite(rows), opts(), runner({}));
    assert.deepEqual(calls, ["b", "c"]);
  });

  it("keeps quick parts apart, honours --only and refuses unknown rows", async () => {
    const rows = [row("a"), row("b")];
    await runAccuracySuite(suite(rows), opts({ quick: true, only: ["b"] }), runner({}));
    assert.deepEqual(calls, ["b"]);
    const store = new PartStore<SegmentationPart>(path.join(root, "bench", "results", "toy", "parts"));
    assert.deepEqual(store.names(), ["b.quick"]);
    assert.ok(existsSync(path.join(root, "bench", "results", "toy", "report.quick.md")));
    assert.ok(!existsSync(path.join(root, "bench", "results", "toy", "report.md")));
    assert.equal(await runAccuracySuite(suite(rows), opts({ only: ["zzz"] }), runner({})), 2);
  });
});

describe("segmentation rows", () => {
  it("withIterations() scales epochs and keeps the epoch length", () => {
    const cfg = { training: { epochs: 9, iterationsPerEpoch: 100 } };
    assert.deepEqual(withIterations(cfg, 450).training, { epochs: 5, iterationsPerEpoch: 100 });
    assert.deepEqual(withIterations(cfg, 30).training, { epochs: 1, iterationsPerEpoch: 30 });
    assert.deepEqual(withIterations(cfg, undefined).training, cfg.training);
    assert.deepEqual(withIterations({}, 1000).training, { epochs: 4 });
    assert.throws(() => withIterations(cfg, 0), /positive integer/);
  });

  it("rowFingerprint() changes with the config and the iterations, not with the row's closure", () => {
    const a = row("a");
    assert.equal(rowFingerprint(a, undefined), rowFingerprint({ ...a, prepare: async () => {} }, undefined));
    assert.notEqual(rowFingerprint(a, undefined), rowFingerprint(row("a", { strategy: { kind: "supervised" }, seed: 1 }), undefined));
    assert.notEqual(rowFingerprint(a, undefined), rowFingerprint(a, 100));
    // TTA changes the numbers; "off" keeps the fingerprint that rows saved before the option had.
    assert.notEqual(rowFingerprint(a, undefined), rowFingerprint({ ...a, tta: true }, undefined));
    assert.equal(rowFingerprint(a, undefined), rowFingerprint({ ...a, tta: false }, undefined));
  });

  it("an unregistered strategy kind fails before any work, naming the kinds this build has", async () => {
    const r = row("x", { strategy: { kind: "no-such-strategy" } });
    assert.throws(() => resolveRowConfig(r, undefined), (e: Error) => e instanceof RowConfigError && /"no-such-strategy" is not registered.*supervised/.test(e.message));
    const root = mkdtempSync(path.join(tmpdir(), "lw-row-"));
    try {
      await assert.rejects(runSegmentationRow(r, { suite: "toy", profile: "full", root, log: () => {} }), RowConfigError);
      assert.ok(!existsSync(path.join(root, "bench", "work")), "nothing was written");
    } finally {
      rmSync(root, { recursive: true, force: true });
    }
  });

  it("an invalid config is a RowConfigError with the offending path", () => {
    assert.throws(() => resolveRowConfig(row("x", { strategy: { kind: "supervised" }, training: { epohcs: 3 } }), undefined), (e: Error) => e instanceof RowConfigError && /epohcs/.test(e.message));
  });

  it("failedPart() keeps the reason and the row's identity", () => {
    const r = row("x");
    const p = failedPart(r, { suite: "toy", profile: "quick", root: ".", iterations: undefined }, new Error("no data"));
    assert.equal(p.status, "failed");
    assert.equal(p.error, "no data");
    assert.equal(p.fingerprint, rowFingerprint(r, undefined));
    assert.equal(partName("x", "quick"), "x.quick");
    assert.equal(p.machine.commit, machineInfo(".").commit);
  });
});
