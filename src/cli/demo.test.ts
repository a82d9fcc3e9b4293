// End-to-end test of `labelwise demo --quick` through the real CLI: generate → plan → train →
// predict → evaluate, the printed summary (Dice per class and mean, paths that exist), JSON-lines
// progress on stderr when it is not a terminal, and the refusal of a foreign non-empty folder.
import assert from "node:assert/strict";
import { spawnSync } from "node:child_process";
import { existsSync, mkdtempSync, statSync } from "node:fs";
import { mkdir, rm, writeFile } from "node:fs/promises";
import { tmpdir } from "node:os";
import path from "node:path";
import { after, test } from "node:test";
import { fileURLToPath } from "node:url";

const bin = fileURLToPath(new URL("../../../bin/labelwise.js", import.meta.url));
const work = mkdtempSync(path.join(tmpdir(), "labelwise-cli-demo-"));
const cli = (...args: string[]) => spawnSync(process.execPath, [bin, ...args], { encoding: "utf8", timeout: 300_000 });
after(async () => rm(work, { recursive: true, force: true }));

/**
 * Mean Dice the quick demo must beat. Measured here (2 cores, --threads 2): 0.935 with seed 0, the
 * same on every run; 0.77–0.94 over seeds 0–11. The seed-0 predictions flipped along x, y or z score
 * 0.17–0.42, with x and y swapped 0.37, shifted by two voxels along x 0.68 — all below the floor.
 */
const DICE_FLOOR = 0.72;

test("labelwise demo --help describes its options", () => {
  const r = cli("demo", "--help");
  assert.equal(r.status, 0, r.stderr);
  for (const o of ["--out", "--seed", "--threads", "--quick"]) assert.ok(r.stdout.includes(o), o);
});

test("labelwise demo --quick runs the whole pipeline and prints Dice and paths that exist", (t) => {
  const out = path.join(work, "demo");
  const started = Date.now();
  const r = cli("demo", "--quick", "--out", out, "--seed", "0", "--threads", "2");
  const seconds = (Date.now() - started) / 1000;
  assert.equal(r.status, 0, `exit ${r.status}\n${r.stderr.slice(-3000)}`);
  // About 30-40 s on 2 cores; the bound only catches a quick run that is not quick (the full demo
  // takes 5-6 minutes), with room for a machine busy with other work.
  t.diagnostic(`quick demo: ${seconds.toFixed(1)} s`);
  assert.ok(seconds < 180, `the quick demo took ${seconds.toFixed(0)} s`);

  // Progress on a pipe: JSON lines, the trainer's events and the demo's stages.
  const events = r.stderr.trim().split("\n").map((l) => JSON.parse(l) as { event: string; stage?: string });
  const kinds = new Set(events.map((e) => e.event));
  for (const k of ["demo.stage", "demo.stage-done", "start", "iteration", "validation", "end", "demo.predict"]) assert.ok(kinds.has(k), k);
  assert.deepEqual(
    events.filter((e) => e.event === "demo.stage-done").map((e) => e.stage),
    ["generate", "plan", "train", "predict", "evaluate"],
  );

  const lines = r.stdout.split("\n");
  const field = (name: string) => {
    const line = lines.find((l) => l.startsWith(`${name} `));
    assert.ok(line, `no "${name}" line in\n${r.stdout}`);
    return line.slice(name.length).trim();
  };
  const dice = (name: string) => {
    const m = lines.map((l) => new RegExp(`^  ${name}\\s+([0-9.]+)`).exec(l)).find(Boolean);
    assert.ok(m, `no Dice for ${name} in\n${r.stdout}`);
    return Number(m[1]);
  };
  const classes = [dice("liver"), dice("kidney")];
  const mean = dice("mean");
  assert.ok(Math.abs(mean - (classes[0]! + classes[1]!) / 2) < 0.002, `mean ${mean} of ${classes.join(", ")}`);
  assert.ok(mean > DICE_FLOOR, `mean Dice ${mean} (liver ${classes[0]}, kidney ${classes[1]}) is below ${DICE_FLOOR}`);

  const runDir = field("run directory");
  assert.ok(existsSync(path.join(runDir, "checkpoint_final.json")), runDir);
  const predictions = lines.filter((l) => l.startsWith("  ") && l.trim().endsWith(".nii.gz")).map((l) => l.trim());
  assert.equal(predictions.length, 3);
  for (const p of predictions) {
    assert.ok(path.isAbsolute(p) && p.startsWith(field("predictions")), p);
    assert.ok(statSync(p).size > 0, p);
  }
  const summary = field("summary");
  const plot = field("plot");
  assert.ok(summary.endsWith("summary.md") && statSync(summary).size > 0, summary);
  assert.ok(plot.endsWith("boxplots.png") && statSync(plot).size > 0, plot);
  assert.ok(existsSync(path.join(field("dataset"), "dataset.json")));
});

test("labelwise demo rejects a bad seed and refuses a non-empty folder that is not an earlier demo's", async () => {
  const bad = cli("demo", "--quick", "--out", path.join(work, "unused"), "--seed", "-1");
  assert.notEqual(bad.status, 0);
  assert.match(bad.stderr, /--seed must be an integer >= 0/);
  assert.ok(!existsSync(path.join(work, "unused")));

  const out = path.join(work, "foreign");
  await mkdir(out, { recursive: true });
  await writeFile(path.join(out, "precious.txt"), "keep me");
  const r = cli("demo", "--quick", "--out", out);
  assert.equal(r.status, 1);
  assert.match(r.stderr, /not empty and holds no demo\.json/);
  assert.ok(existsSync(path.join(out, "precious.txt")));
});
