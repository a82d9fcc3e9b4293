// readNiftiGeometry: header-only reads agree with full reads and with nibabel, and never need the voxels.
import assert from "node:assert/strict";
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import path from "node:path";
import { after, before, describe, test } from "node:test";
import { composeAffine, Volume, type Mat3 } from "../../volume/index.js";
import { FormatError } from "../errors.js";
import { runPython } from "../_internal/python-ref.js";
import { readNiftiGeometry, readNifti, writeNifti } from "../index.js";

const dir = mkdtempSync(path.join(tmpdir(), "labelwise-geometry-"));
after(() => rmSync(dir, { recursive: true, force: true }));

const c = Math.cos(0.4), s = Math.sin(0.4);
const DIRECTION: Mat3 = [[c, -s, 0], [s, c, 0], [0, 0, -1]];
const affine = composeAffine({ spacing: [0.8, 1.25, 3], origin: [-40.5, 12, 97], direction: DIRECTION });

function noiseVolume(shape: [number, number, number], channels: number, dtype: "float32" | "int16"): Volume {
  const n = shape[0] * shape[1] * shape[2] * channels;
  let x = 12345;
  const next = () => (x = (Math.imul(x, 1103515245) + 12345) >>> 0) / 2 ** 32;
  const data = dtype === "float32" ? new Float32Array(n).map(next) : new Int16Array(n).map(() => Math.floor(next() * 60000) - 30000);
  return new Volume({ data: data as never, dtype, shape, channels, affine });
}

const FILES = [
  { name: "a.nii.gz", v: noiseVolume([11, 9, 7], 1, "float32"), version: 1 as const },
  { name: "a.nii", v: noiseVolume([11, 9, 7], 1, "float32"), version: 1 as const },
  { name: "b.nii.gz", v: noiseVolume([6, 5, 4], 3, "int16"), version: 2 as const },
  { name: "b.nii", v: noiseVolume([6, 5, 4], 3, "int16"), version: 2 as const },
];
before(async () => {
  for (const { name, v, version } of FILES) await writeNifti(path.join(dir, name), v, { version, fsync: false });
});

describe("readNiftiGeometry", () => {
  test("agrees with readNifti for NIfTI-1 and -2, gzip or not, 3-D and multi-channel", async () => {
    for (const { name } of FILES) {
      const file = path.join(dir, name);
      const g = await readNiftiGeometry(file);
      const full = await readNifti(file);
      assert.deepEqual(g.shape, full.volume.shape, name);
      assert.equal(g.channels, full.volume.channels, name);
      assert.equal(g.dtype, full.volume.dtype, name);
      assert.deepEqual(g.affine, full.volume.affine, name);
      assert.equal(g.affineSource, full.affineSource, name);
      assert.deepEqual(g.header, full.header, name);
      assert.deepEqual(g.warnings, [], name);
    }
  });

  test("matches nibabel's shape and affine", async () => {
    const file = path.join(dir, "b.nii.gz");
    const g = await readNiftiGeometry(file);
    const ref = runPython<{ shape: number[]; affine: number[][] }>(
      `import sys, json, nibabel as nib
img = nib.load(sys.argv[1])
print(json.dumps({"shape": list(img.shape), "affine": img.affine.tolist()}))`,
      [file],
    );
    assert.deepEqual([...g.shape, g.channels], [ref.shape[0], ref.shape[1], ref.shape[2], ref.shape[3]]);
    for (let r = 0; r < 4; r++) for (let k = 0; k < 4; k++) assert.ok(Math.abs(g.affine[r]![k]! - ref.affine[r]![k]!) < 1e-9);
  });

  test("reads only the header: a .nii.gz whose voxel data is cut off still yields its geometry", async () => {
    const file = path.join(dir, "big.nii.gz");
    const v = noiseVolume([64, 64, 32], 1, "float32");
    await writeNifti(file, v, { fsync: false });
    const cut = path.join(dir, "cut.nii.gz");
    writeFileSync(cut, readFileSync(file).subarray(0, 2048)); // ~0.4 % of the compressed stream
    await assert.rejects(readNifti(cut), FormatError);
    const g = await readNiftiGeometry(cut);
    assert.deepEqual(g.shape, [64, 64, 32]);
    assert.deepEqual(g.affine, (await readNiftiGeometry(file)).affine);
  });

  test("malformed files raise FormatError", async () => {
    const bad = path.join(dir, "bad.nii.gz");
    writeFileSync(bad, new Uint8Array([0x1f, 0x8b, 8, 0, 0, 0, 0, 0, 0, 3, 1, 2, 3]));
    await assert.rejects(readNiftiGeometry(bad), (e: unknown) => e instanceof FormatError && /gzip data is corrupt or truncated/.test(e.message));
    const short = path.join(dir, "short.nii");
    writeFileSync(short, readFileSync(path.join(dir, "a.nii")).subarray(0, 200));
    await assert.rejects(readNiftiGeometry(short), /file ends inside the header/);
    const empty = path.join(dir, "empty.nii");
    writeFileSync(empty, new Uint8Array(0));
    await assert.rejects(readNiftiGeometry(empty), FormatError);
  });
});
