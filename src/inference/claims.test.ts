import assert from "node:assert/strict";
import { mkdtemp, readFile, readdir, rm, utimes } from "node:fs/promises";
import { tmpdir } from "node:os";
import path from "node:path";
import { after, test } from "node:test";
import { CLAIMS_FOLDER, CaseClaims, casesOfPart, type ClaimRecord } from "./claims.js";

const dirs: string[] = [];
after(async () => {
  for (const d of dirs) await rm(d, { recursive: true, force: true });
});
async function tempDir(): Promise<string> {
  const d = await mkdtemp(path.join(tmpdir(), "labelwise-claims-"));
  dirs.push(d);
  return d;
}

/** A clock the test moves by hand. */
function clock(start = 1_000_000): { now: () => number; advance: (ms: number) => void } {
  let t = start;
  return { now: () => t, advance: (ms) => void (t += ms) };
}

test("a claimed case is held for the others until its holder releases it", async () => {
  const out = await tempDir();
  const a = new CaseClaims(out, { owner: "host-a:1" });
  const b = new CaseClaims(out, { owner: "host-b:2" });
  assert.deepEqual(await a.tryClaim("case_1"), { claimed: true });
  assert.deepEqual(await b.tryClaim("case_1"), { claimed: false, heldBy: "host-a:1" });
  assert.deepEqual(await b.tryClaim("case_2"), { claimed: true });
  const record = JSON.parse(await readFile(path.join(out, CLAIMS_FOLDER, "case_1.json"), "utf8")) as ClaimRecord;
  assert.equal(record.owner, "host-a:1");
  assert.equal(record.case, "case_1");
  await a.release("case_1");
  assert.deepEqual(await b.tryClaim("case_1"), { claimed: true });
  await b.releaseAll();
  assert.deepEqual(await readdir(path.join(out, CLAIMS_FOLDER)), [], "every claim file is gone");
});

test("a claim with no sign of life for the TTL (observer's clock) is taken over; a heartbeat keeps it", async () => {
  const out = await tempDir();
  const c = clock();
  const alive = new CaseClaims(out, { owner: "alive:1", ttlMs: 1000, now: c.now });
  const other = new CaseClaims(out, { owner: "other:2", ttlMs: 1000, now: c.now });
  assert.equal((await alive.tryClaim("x")).claimed, true);
  assert.deepEqual(await other.tryClaim("x"), { claimed: false, heldBy: "alive:1" });
  c.advance(600);
  // The holder is alive: its heartbeat changes the file's modification time.
  await utimes(path.join(out, CLAIMS_FOLDER, "x.json"), new Date(Date.now() - 5000), new Date(Date.now() - 5000));
  alive.heartbeat("x");
  c.advance(600);
  assert.deepEqual(await other.tryClaim("x"), { claimed: false, heldBy: "alive:1" }, "a new modification time restarts the observer's count");
  // Now the holder stops: after a full TTL without a change the claim is stale.
  c.advance(999);
  assert.equal((await other.tryClaim("x")).claimed, false);
  c.advance(2);
  assert.deepEqual(await other.tryClaim("x"), { claimed: true, tookOverFrom: "alive:1" });
  const record = JSON.parse(await readFile(path.join(out, CLAIMS_FOLDER, "x.json"), "utf8")) as ClaimRecord;
  assert.equal(record.owner, "other:2");
  // The old holder's late release leaves the new claim alone.
  await alive.release("x");
  assert.equal((JSON.parse(await readFile(path.join(out, CLAIMS_FOLDER, "x.json"), "utf8")) as ClaimRecord).owner, "other:2");
  assert.deepEqual((await readdir(path.join(out, CLAIMS_FOLDER))).sort(), ["x.json"], "no set-aside file is left behind");
});

test("claim options and static parts are checked", () => {
  assert.throws(() => new CaseClaims("/tmp/x", { ttlMs: 0 }), /ttlMs must be a positive number. Received: 0/);
  const cases = ["d", "a", "c", "b", "e"].map((id) => ({ id }));
  assert.deepEqual(casesOfPart(cases, 2, 0).map((c) => c.id), ["a", "c", "e"]);
  assert.deepEqual(casesOfPart(cases, 2, 1).map((c) => c.id), ["b", "d"]);
  const all = [0, 1, 2].flatMap((k) => casesOfPart(cases, 3, k).map((c) => c.id)).sort();
  assert.deepEqual(all, ["a", "b", "c", "d", "e"], "the parts cover every case once");
  assert.throws(() => casesOfPart(cases, 2, 2), /part must be an integer in 0\.\.1. Received: 2/);
  assert.throws(() => casesOfPart(cases, 0, 0), /number of parts must be a positive integer/);
});
