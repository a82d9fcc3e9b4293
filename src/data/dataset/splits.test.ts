import assert from "node:assert/strict";
import path from "node:path";
import { test } from "node:test";
import { removeDir, tempDir, writeJson } from "../_testing/fixtures.js";
import { ConfigError } from "../errors.js";
import { loadSplits, makeSplits, mulberry32, saveSplits, shuffled, uniformInt, type SplitCase } from "./index.js";

const cases = (n: number, f: (i: number) => Partial<SplitCase> = () => ({})): SplitCase[] =>
  Array.from({ length: n }, (_, i) => ({ id: `c${String(i).padStart(3, "0")}`, annotation: "labelled", hasLabel: true, ...f(i) }));

test("mulberry32 output is pinned (splits from a seed must never change; values match the C reference)", () => {
  const r = mulberry32(12345);
  assert.deepEqual(Array.from({ length: 5 }, () => r.nextUint32()), [4207900869, 1317490944, 2079646450, 3513001552, 2187978186]);
  assert.deepEqual(shuffled([0, 1, 2, 3, 4, 5, 6, 7], mulberry32(1)), [6, 0, 2, 7, 1, 5, 4, 3]);
  assert.throws(() => mulberry32(-1), RangeError);
  assert.throws(() => mulberry32(2 ** 32), RangeError);
});

test("uniformInt is unbiased enough and stays in range", () => {
  const r = mulberry32(7);
  const counts = new Array(6).fill(0) as number[];
  for (let i = 0; i < 60000; i++) counts[uniformInt(r, 6)]!++;
  for (const c of counts) assert.ok(Math.abs(c - 10000) < 400, String(counts));
});

test("makeSplits: k folds partition the cases, sizes differ by at most one, same seed same result", () => {
  const cs = cases(23);
  const s = makeSplits(cs, { folds: 5, seed: 42 });
  const vals = s.splits.map((f) => f.val);
  assert.deepEqual(vals.map((v) => v.length), [5, 5, 5, 4, 4]);
  assert.deepEqual(vals.flat().sort(), cs.map((c) => c.id));
  for (const f of s.splits) {
    assert.deepEqual([...f.train.labelled, ...f.val].sort(), cs.map((c) => c.id));
    assert.deepEqual(f.train.unlabelled, []);
  }
  assert.deepEqual(makeSplits(cs, { folds: 5, seed: 42 }), s);
  assert.notDeepEqual(makeSplits(cs, { folds: 5, seed: 43 }).splits[0]!.val, s.splits[0]!.val);
});

test("makeSplits: labelled fraction per fold, nested across fractions, independent of the fold count", () => {
  const cs = cases(40);
  const s10 = makeSplits(cs, { folds: 1, seed: 3, labelled: { fraction: 0.1 } });
  const s20 = makeSplits(cs, { folds: 1, seed: 3, labelled: { fraction: 0.2 } });
  assert.equal(s10.splits[0]!.train.labelled.length, 4);
  assert.equal(s20.splits[0]!.train.labelled.length, 8);
  assert.equal(s10.splits[0]!.train.unlabelled.length, 36);
  assert.deepEqual(s10.splits[0]!.val, []);
  assert.ok(s10.splits[0]!.train.labelled.every((id) => s20.splits[0]!.train.labelled.includes(id)));
  const k5 = makeSplits(cs, { folds: 5, seed: 3, labelled: { count: 4 } });
  for (const f of k5.splits) {
    assert.equal(f.train.labelled.length, 4);
    assert.equal(f.train.labelled.length + f.train.unlabelled.length + f.val.length, 40);
  }
  // "first" keeps the first cases in sorted id order (the left-atrium benchmark convention).
  const first = makeSplits(cs, { folds: 1, seed: 0, labelled: { count: 8 }, selection: "first" });
  assert.deepEqual(first.splits[0]!.train.labelled, cs.slice(0, 8).map((c) => c.id));
});

test("makeSplits: cases without labels never validate; manifest roles are kept", () => {
  const cs = cases(12, (i) => (i < 4 ? { annotation: "unlabelled", hasLabel: false } : i < 6 ? { annotation: "boxes" } : {}));
  const s = makeSplits(cs, { folds: 4, seed: 9 });
  for (const f of s.splits) {
    assert.ok(f.val.every((id) => Number(id.slice(1)) >= 4), f.val.join());
    assert.ok(["c000", "c001", "c002", "c003"].every((id) => f.train.unlabelled.includes(id)));
    assert.ok(f.train.boxes.every((id) => ["c004", "c005"].includes(id)));
  }
  assert.throws(() => makeSplits(cs, { folds: 9, seed: 1 }), /9 folds need at least 9 cases with labels. Received: 8/);
  assert.throws(() => makeSplits(cs, { folds: 1, seed: 1, labelled: { count: 7 } }), /exceeds the 6 labelled/);
  assert.throws(() => makeSplits([...cs, cs[0]!], { folds: 2, seed: 1 }), /listed twice/);
});

test("saveSplits/loadSplits round-trip identically; a damaged file is refused with its paths", async () => {
  const dir = await tempDir();
  try {
    const s = makeSplits(cases(10), { folds: 3, seed: 2024, labelled: { fraction: 0.5 } });
    const file = path.join(dir, "splits.json");
    await saveSplits(file, s);
    assert.deepEqual(await loadSplits(file), s);
    const broken = structuredClone(s) as unknown as { splits: { val: string[]; train: { labelled: string[] } }[] };
    broken.splits[1]!.val.push(broken.splits[1]!.train.labelled[0]!);
    await writeJson(dir, "splits.json", { ...broken, prng: "xorshift" });
    await assert.rejects(loadSplits(file), (e: unknown) => {
      assert.ok(e instanceof ConfigError);
      assert.deepEqual(e.issues.map((i) => i.path), ["prng"]);
      return true;
    });
    await writeJson(dir, "splits.json", broken);
    await assert.rejects(loadSplits(file), /splits\[1\]: case c\d+ appears twice/);
  } finally {
    await removeDir(dir);
  }
});

test("makeSplits: an explicit labelled case list keeps exactly those cases labelled (the others unlabelled), is recorded sorted, and round-trips", async () => {
  const cs = cases(10, (i) => (i === 9 ? { annotation: "unlabelled", hasLabel: false } : {}));
  // One fold keeps every case for training (the left-atrium protocol: a fixed list of labelled scans).
  const s = makeSplits(cs, { folds: 1, seed: 3, labelled: { cases: ["c004", "c001"] } });
  assert.deepEqual(s.labelled, { cases: ["c001", "c004"] });
  assert.deepEqual(s.splits[0]!.train.labelled, ["c001", "c004"]);
  assert.deepEqual(s.splits[0]!.train.unlabelled, ["c000", "c002", "c003", "c005", "c006", "c007", "c008", "c009"]);
  // With folds, a listed case that lands in a fold's validation part is validated on, not trained on.
  const k = makeSplits(cs, { folds: 3, seed: 3, labelled: { cases: ["c000", "c001", "c002"] } });
  for (const f of k.splits) {
    assert.deepEqual(f.train.labelled, ["c000", "c001", "c002"].filter((id) => !f.val.includes(id)));
    assert.deepEqual([...f.train.labelled, ...f.train.unlabelled, ...f.val].sort(), cs.map((c) => c.id));
  }
  assert.throws(() => makeSplits(cs, { folds: 1, seed: 3, labelled: { cases: ["c001", "nope"] } }), /names nope, which is not a training case/);
  assert.throws(() => makeSplits(cs, { folds: 1, seed: 3, labelled: { cases: ["c009"] } }), /names c009, whose annotation is "unlabelled"/);
  assert.throws(() => makeSplits(cs, { folds: 1, seed: 3, labelled: { cases: ["c001", "c001"] } }), /names c001 twice/);
  const dir = await tempDir();
  try {
    const file = path.join(dir, "splits.json");
    await saveSplits(file, s);
    assert.deepEqual(await loadSplits(file), s);
  } finally {
    await removeDir(dir);
  }
});
