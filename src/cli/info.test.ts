import assert from "node:assert/strict";
import { spawnSync } from "node:child_process";
import { test } from "node:test";
import { fileURLToPath } from "node:url";

const bin = fileURLToPath(new URL("../../../bin/labelwise.js", import.meta.url));
const cli = (...args: string[]) => spawnSync(process.execPath, [bin, ...args], { encoding: "utf8" });

test("labelwise info --json reports libtorch, threads, BLAS and a conv3d timing", () => {
  const r = cli("info", "--json", "--threads", "1");
  assert.equal(r.status, 0, r.stderr);
  const info = JSON.parse(r.stdout) as Record<string, unknown> & { conv3d: { forwardMs: number; backwardMs: number } };
  assert.match(String(info.libtorch), /^\d+\.\d+/);
  assert.equal(info.threads, 1);
  assert.ok(Array.isArray(info.blas));
  assert.ok(info.conv3d.forwardMs > 0 && info.conv3d.backwardMs > 0);
});

test("labelwise info prints a readable summary", () => {
  const r = cli("info", "--no-timing");
  assert.equal(r.status, 0, r.stderr);
  assert.match(r.stdout, /engine\s+libtorch \d/);
  assert.doesNotMatch(r.stdout, /conv3d/);
});

test("labelwise rejects bad input with a clear message and a non-zero exit", () => {
  const bad = cli("info", "--threads", "0");
  assert.equal(bad.status, 1);
  assert.match(bad.stderr, /--threads must be a positive integer. Received: 0/);
  const unknown = cli("frobnicate");
  assert.notEqual(unknown.status, 0);
  assert.match(unknown.stderr, /unknown command 'frobnicate'/);
});
