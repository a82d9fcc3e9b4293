// The box-annotated copy of a labelled dataset: links, derived boxes, rebuilt only when its settings change.
import assert from "node:assert/strict";
import { lstatSync, mkdtempSync, readdirSync, rmSync, statSync } from "node:fs";
import { tmpdir } from "node:os";
import path from "node:path";
import { after, before, describe, it } from "node:test";
import { openDataset, readBoxFile, writePhantomDataset } from "../../src/data/index.js";
import { boxesDataset } from "./datasets.js";

describe("boxesDataset", () => {
  let root: string;
  let source: string;
  before(async () => {
    root = mkdtempSync(path.join(tmpdir(), "lw-boxds-"));
    source = path.join(root, "data", "phantom");
    await writePhantomDataset(source, { cases: 3, shape: [20, 20, 20], classes: 2, seed: 5, boxes: false });
  });
  after(() => rmSync(root, { recursive: true, force: true }));

  it("links images and labels, derives one box file per case, and reuses it until the settings change", async () => {
    const tight = boxesDataset(root, source, { marginMm: 0, jitterMm: 0, seed: 1 });
    await tight.prepare();
    assert.equal(tight.dir, path.join(root, "bench", "work", "datasets", "phantom-boxes"));
    assert.ok(lstatSync(path.join(tight.dir, "imagesTr")).isSymbolicLink());
    assert.ok(lstatSync(path.join(tight.dir, "labelsTr")).isSymbolicLink());
    const ds = await openDataset(tight.dir);
    assert.equal(ds.training.length, 3);
    assert.deepEqual(readdirSync(path.join(tight.dir, "boxes")).sort(), ds.training.map((c) => `${c.id}.json`).sort());
    const first = ds.training[0]!.id;
    const file = path.join(tight.dir, "boxes", `${first}.json`);
    const mtime = statSync(file).mtimeMs;
    const tightBoxes = (await readBoxFile(tight.dir, first))!.boxes.map((b) => b.voxel);

    await tight.prepare(); // same settings: nothing rewritten (the cache keys on the files' mtimes)
    assert.equal(statSync(file).mtimeMs, mtime);

    const loose = boxesDataset(root, source, { marginMm: 3, jitterMm: 0, seed: 1 });
    await loose.prepare();
    const looseBoxes = (await readBoxFile(loose.dir, first))!.boxes.map((b) => b.voxel);
    assert.equal(looseBoxes.length, tightBoxes.length);
    looseBoxes.forEach((b, i) => {
      for (let a = 0; a < 3; a++) {
        assert.ok(b!.min[a]! <= tightBoxes[i]!.min[a]! && b!.max[a]! >= tightBoxes[i]!.max[a]!, "a 3 mm margin encloses the tight box");
      }
    });
    assert.ok(looseBoxes.some((b, i) => b!.min.some((v, a) => v < tightBoxes[i]!.min[a]!)), "and is looser somewhere");
  });
});
