// End-to-end tests of `labelwise plan` and `labelwise train` through the real CLI on a tiny
// phantom dataset: planning, training with events and a Dice floor, Ctrl-C, and the resume test
// (SIGKILL mid-epoch, --resume, compare with an uninterrupted run of the same seed).
import assert from "node:assert/strict";
import { spawn, spawnSync } from "node:child_process";
import { readFile, readdir, rm, writeFile } from "node:fs/promises";
import { mkdtempSync } from "node:fs";
import { tmpdir } from "node:os";
import path from "node:path";
import { after, before, test } from "node:test";
import { fileURLToPath } from "node:url";
import { writePhantomDataset } from "../data/phantom/index.js";
import { decodeSafetensors } from "../tensor/index.js";

const bin = fileURLToPath(new URL("../../../bin/labelwise.js", import.meta.url));
const work = mkdtempSync(path.join(tmpdir(), "labelwise-cli-train-"));
const ds = path.join(work, "Dataset900_Tiny");
const cliSync = (...args: string[]) => spawnSync(process.execPath, [bin, ...args], { encoding: "utf8" });

interface Run {
  code: number | null;
  signal: NodeJS.Signals | null;
  events: Record<string, unknown>[];
  stderr: string;
}

/** Runs the CLI; `onEvent` sees each JSON-lines event as it arrives and may signal the process. */
function cli(args: string[], onEvent?: (e: Record<string, unknown>, kill: (s: NodeJS.Signals) => void) => void): Promise<Run> {
  return new Promise((resolve, reject) => {
    const child = spawn(process.execPath, [bin, ...args], { stdio: ["ignore", "pipe", "pipe"] });
    const events: Record<string, unknown>[] = [];
    let buf = "";
    let stderr = "";
    child.stdout.setEncoding("utf8").on("data", (chunk: string) => {
      buf += chunk;
      let nl;
      while ((nl = buf.indexOf("\n")) >= 0) {
        const line = buf.slice(0, nl);
        buf = buf.slice(nl + 1);
        if (!line.trim()) continue;
        const e = JSON.parse(line) as Record<string, unknown>;
        events.push(e);
        onEvent?.(e, (s) => child.kill(s));
      }
    });
    child.stderr.setEncoding("utf8").on("data", (c: string) => (stderr += c));
    child.on("error", reject);
    child.on("close", (code, signal) => resolve({ code, signal, events, stderr }));
  });
}

const trainArgs = (out: string, config: string, ...more: string[]) => ["train", ds, "--out", out, "--config", config, "--threads", "1", "--workers", "1", ...more];
const runDir = (out: string) => path.join(out, "Dataset900_Tiny", "3d_fullres", "supervised", "fold_0");
const losses = (r: Run) => r.events.filter((e) => e.event === "iteration").map((e) => [e.iteration, e.loss] as [number, number]);

async function config(name: string, value: unknown): Promise<string> {
  const f = path.join(work, name);
  await writeFile(f, JSON.stringify(value));
  return f;
}

/** Every tensor of a checkpoint's safetensors file, as bytes. */
async function tensorsOf(out: string, kind: string): Promise<Map<string, Buffer>> {
  const dir = runDir(out);
  const pointer = JSON.parse(await readFile(path.join(dir, `checkpoint_${kind}.json`), "utf8")) as { file: string };
  const { tensors } = decodeSafetensors(await readFile(path.join(dir, pointer.file)));
  return new Map([...tensors].map(([k, t]) => [k, Buffer.from(t.data.buffer, t.data.byteOffset, t.data.byteLength)]));
}

/** Plans the dataset into `out` with a tiny network (8 base filters, patches of at most 8192 voxels). */
function plan(out: string): void {
  const r = cliSync("plan", ds, "--out", out, "--base-filters", "8", "--max-patch-voxels", "8192");
  assert.equal(r.status, 0, r.stderr);
}

before(async () => {
  await writePhantomDataset(ds, { cases: 6, shape: [32, 32, 24], classes: 2, seed: 4 });
  plan(path.join(work, "runs"));
});
after(async () => rm(work, { recursive: true, force: true }));

test("labelwise plan/train --help describe their options", () => {
  const p = cliSync("plan", "--help");
  assert.equal(p.status, 0);
  for (const o of ["--out", "--memory-mib", "--batch-size", "--max-patch-voxels"]) assert.ok(p.stdout.includes(o), o);
  const t = cliSync("train", "--help");
  assert.equal(t.status, 0);
  for (const o of ["--config", "--strategy", "--fold", "--epochs", "--resume", "--seed", "--threads", "--out"]) assert.ok(t.stdout.includes(o), o);
});

test("labelwise plan writes fingerprint.json and plans.json, the same on a second run", async () => {
  const out = path.join(work, "runs");
  const first = await readFile(path.join(out, "Dataset900_Tiny", "plans.json"), "utf8");
  const r = cliSync("plan", ds, "--out", out, "--base-filters", "8", "--max-patch-voxels", "8192");
  assert.equal(r.status, 0, r.stderr);
  assert.match(r.stdout, /patch 20 x 24 x 16, batch 2, 3 levels/);
  assert.equal(await readFile(path.join(out, "Dataset900_Tiny", "plans.json"), "utf8"), first);
  const fp = JSON.parse(await readFile(path.join(out, "Dataset900_Tiny", "fingerprint.json"), "utf8")) as { cases: unknown[] };
  assert.equal(fp.cases.length, 6);
});

test("labelwise train: JSON-lines events, a complete run directory, validation Dice above a floor", async () => {
  const out = path.join(work, "runs");
  const cfg = await config("learn.json", { optimizer: { kind: "adam", lr: 0.003 }, split: { folds: 3 }, training: { epochs: 4, iterationsPerEpoch: 20 } });
  const r = await cli(trainArgs(out, cfg));
  assert.equal(r.code, 0, r.stderr);
  const kinds = new Set(r.events.map((e) => e.event));
  for (const k of ["start", "iteration", "epoch", "validation", "checkpoint", "end"]) assert.ok(kinds.has(k), k);
  assert.equal(losses(r).length, 80);
  const dir = runDir(out);
  const files = (await readdir(dir)).sort();
  assert.deepEqual(files, ["checkpoint_best.json", "checkpoint_final.json", "checkpoint_latest.json", "checkpoints", "config.json", "metrics.jsonl"]);
  const record = JSON.parse(await readFile(path.join(dir, "config.json"), "utf8"));
  assert.equal(record.seed, 12345);
  assert.equal(record.config.optimizer.kind, "adam");
  for (const k of ["labelwise", "libtorch", "node"]) assert.equal(typeof record.provenance[k], "string", k);
  const metrics = (await readFile(path.join(dir, "metrics.jsonl"), "utf8")).trim().split("\n").map((l) => JSON.parse(l));
  assert.equal(metrics.filter((m) => m.event === "epoch").length, 4);
  const best = Math.max(...metrics.filter((m) => m.event === "validation").map((m) => m.dice.liver as number));
  assert.ok(best > 0.5, `liver Dice ${best} after 80 iterations`);
  // The validation cases are the fold's held-out training cases, never imagesTs.
  const splits = JSON.parse(await readFile(record.splitsFile, "utf8"));
  assert.equal(metrics.find((m) => m.event === "validation").cases, splits.splits[0].val.length);
});

test("resume after SIGKILL mid-epoch continues exactly like an uninterrupted run", async () => {
  const cfg = await config("resume.json", { split: { folds: 2 }, training: { epochs: 3, iterationsPerEpoch: 6, checkpointEvery: 4 } });
  const full = path.join(work, "full");
  const cut = path.join(work, "cut");
  plan(full);
  plan(cut);
  const a = await cli(trainArgs(full, cfg));
  assert.equal(a.code, 0, a.stderr);
  // Kill hard after iteration 9, mid-epoch 1 (epochs end at 6, 12, 18); the last checkpoint is then
  // at iteration 8 (or 12 if the machine was slow to deliver the kill).
  const b1 = await cli(trainArgs(cut, cfg), (e, kill) => e.event === "iteration" && e.iteration === 9 && kill("SIGKILL"));
  assert.equal(b1.signal, "SIGKILL");
  assert.ok(!b1.events.some((e) => e.event === "end"));
  const from = (JSON.parse(await readFile(path.join(runDir(cut), "checkpoint_latest.json"), "utf8")) as { iteration: number }).iteration;
  assert.ok(from >= 8 && from < 18, `resuming from ${from}`);
  const b2 = await cli(trainArgs(cut, cfg, "--resume"));
  assert.equal(b2.code, 0, b2.stderr);
  assert.equal(b2.events[0]!.iteration, from);
  assert.equal(b2.events[0]!.resumed, true);
  assert.deepEqual(losses(b2), losses(a).slice(from), "per-iteration losses after the resume");
  const [ta, tb] = [await tensorsOf(full, "final"), await tensorsOf(cut, "final")];
  assert.deepEqual([...tb.keys()], [...ta.keys()]);
  for (const [k, v] of ta) assert.ok(v.equals(tb.get(k)!), `final tensor ${k} differs`);
  // metrics.jsonl holds one consistent history (no duplicate epochs from the killed run).
  const epochs = (await readFile(path.join(runDir(cut), "metrics.jsonl"), "utf8")).trim().split("\n").map((l) => JSON.parse(l)).filter((m) => m.event === "epoch");
  assert.deepEqual(epochs.map((e) => e.epoch), [0, 1, 2]);
});

test("Ctrl-C saves a checkpoint at the next iteration boundary and exits 130; --resume finishes the run", async () => {
  const out = path.join(work, "sigint");
  plan(out);
  const cfg = await config("sigint.json", { split: { folds: 2 }, training: { epochs: 2, iterationsPerEpoch: 6 } });
  const r = await cli(trainArgs(out, cfg), (e, kill) => e.event === "iteration" && e.iteration === 2 && kill("SIGINT"));
  assert.equal(r.code, 130, r.stderr);
  const stop = r.events.find((e) => e.event === "interrupted")!;
  assert.ok(stop && (stop.iteration as number) >= 3);
  const again = await cli(trainArgs(out, cfg));
  assert.equal(again.code, 1, "a run with a checkpoint is not silently restarted");
  assert.match(again.stderr, /--resume/);
  const resumed = await cli(trainArgs(out, cfg, "--resume"));
  assert.equal(resumed.code, 0, resumed.stderr);
  assert.equal(resumed.events[0]!.iteration, stop.iteration);
  assert.equal(resumed.events.at(-1)!.event, "end");
});

test("labelwise train reports every config problem at once and exits 1", async () => {
  const cfg = await config("bad.json", { training: { epohcs: 2, epochs: -1 }, strategy: { kind: "supervised", loss: { diceWieght: 1 } } });
  const r = await cli(trainArgs(path.join(work, "bad"), cfg));
  assert.equal(r.code, 1);
  assert.match(r.stderr, /training\.epochs/);
  assert.match(r.stderr, /epohcs/);
  assert.match(r.stderr, /strategy\.loss/);
  assert.match(r.stderr, /diceWieght/);
});
