// Mixed supervision from one labelled dataset: `boxes` turns labelled cases that the labelled
// selection leaves out into box cases instead of unlabelled ones.
import assert from "node:assert/strict";
import { test } from "node:test";
import { type SplitCase, makeSplits, parseSplits } from "./index.js";

const cases: SplitCase[] = [
  ...Array.from({ length: 10 }, (_, i) => ({ id: `c${String(i).padStart(2, "0")}`, annotation: "labelled" as const, hasLabel: true })),
  { id: "m1", annotation: "boxes", hasLabel: false },
  { id: "u1", annotation: "unlabelled", hasLabel: false },
];

test("makeSplits boxes: demoted labelled cases become box cases, nested across shares; manifest roles are kept", () => {
  const none = makeSplits(cases, { folds: 1, seed: 3, labelled: { count: 2 } });
  const half = makeSplits(cases, { folds: 1, seed: 3, labelled: { count: 2 }, boxes: { fraction: 0.5 } });
  const all = makeSplits(cases, { folds: 1, seed: 3, labelled: { count: 2 }, boxes: { fraction: 1 } });
  const f0 = none.splits[0]!.train;
  const f1 = half.splits[0]!.train;
  const f2 = all.splits[0]!.train;
  // The labelled subset does not depend on the boxes option.
  assert.deepEqual(f1.labelled, f0.labelled);
  assert.deepEqual(f2.labelled, f0.labelled);
  assert.equal(f0.labelled.length, 2);
  assert.deepEqual(f0.boxes, ["m1"]);
  assert.equal(f1.boxes.length, 1 + 4, "half of the 8 demoted cases, plus the manifest's box case");
  assert.equal(f2.boxes.length, 1 + 8);
  assert.deepEqual(f2.unlabelled, ["u1"], "manifest-unlabelled cases never become box cases");
  for (const id of f1.boxes) assert.ok(f2.boxes.includes(id), `${id}: a larger share keeps a smaller one's cases`);
  assert.deepEqual(half.boxes, { fraction: 0.5 });
  assert.equal("boxes" in none, false, "files without the option are unchanged");
  assert.deepEqual(parseSplits(JSON.parse(JSON.stringify(half))), half, "the option round-trips through splits.json");
});

test("makeSplits boxes with folds: validation cases stay out of every training role", () => {
  const s = makeSplits(cases, { folds: 5, seed: 1, labelled: { count: 1 }, boxes: { count: 3 } });
  for (const f of s.splits) {
    assert.equal(f.train.labelled.length, 1);
    assert.equal(f.train.boxes.length, 1 + 3);
    for (const id of f.val) assert.ok(![...f.train.labelled, ...f.train.unlabelled, ...f.train.boxes].includes(id));
  }
  assert.throws(() => makeSplits(cases, { folds: 1, seed: 1, labelled: { count: 8 }, boxes: { count: 3 } }), /boxes count 3 exceeds the 2 labelled training case\(s\) a fold leaves unlabelled/);
});
