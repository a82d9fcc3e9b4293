import assert from "node:assert/strict";
import { test } from "node:test";
import { setTimeout as sleep } from "node:timers/promises";
import { mapPool } from "./pool.js";

test("mapPool: results in input order, at most `limit` in flight", async () => {
  let inFlight = 0;
  let most = 0;
  const out = await mapPool([30, 5, 20, 1, 10], 2, async (ms, i) => {
    most = Math.max(most, ++inFlight);
    await sleep(ms);
    inFlight--;
    return i * 10;
  });
  assert.deepEqual(out, [0, 10, 20, 30, 40]);
  assert.equal(most, 2);
  await assert.rejects(mapPool([1], 0, async () => 1), /limit must be a positive integer. Received: 0/);
});

test("mapPool: a failure stops new items and rejects with the earliest failing item, whichever failed first in time", async () => {
  const started: number[] = [];
  // Item 0 fails late, item 1 fails at once: the error of item 0 (input order) is the one reported.
  const run = mapPool([40, 1, 1, 1], 2, async (ms, i) => {
    started.push(i);
    await sleep(ms);
    throw new Error(`case ${i} failed`);
  });
  await assert.rejects(run, /case 0 failed/);
  assert.deepEqual(started, [0, 1], "no item starts after a failure");
});
