// Round trips against nibabel (the reference implementation): every dtype, NIfTI-1 and -2, gzip and
// not, in both directions. All fixtures are generated here, in a temp directory.
import assert from "node:assert/strict";
import { mkdtempSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import path from "node:path";
import { fileURLToPath } from "node:url";
import { after, before, describe, test } from "node:test";
import {
  allocVoxels,
  composeAffine,
  dtypeInfo,
  mat3Mul,
  maxAbsDiff,
  Volume,
  VOXEL_DTYPES,
  type Mat3,
  type Mat4,
  type VoxelArray,
  type VoxelDType,
} from "../../volume/index.js";
import { runPython } from "../_internal/python-ref.js";
import { readNifti, writeNifti } from "./node-file.js";

const SHAPE = [5, 4, 3] as const;

function fill(dtype: VoxelDType, n: number): VoxelArray {
  const a = allocVoxels(dtype, n);
  for (let i = 0; i < a.length; i++) {
    if (a instanceof BigInt64Array) a[i] = BigInt.asIntN(64, BigInt(i + 1) * 0x9e3779b97f4a7c15n);
    else if (a instanceof BigUint64Array) a[i] = BigInt.asUintN(64, BigInt(i + 1) * 0x9e3779b97f4a7c15n);
    else if (a instanceof Float32Array || a instanceof Float64Array) a[i] = Math.sin(i) * 10 ** (i % 7) + (i === 5 ? NaN : 0);
    else (a as Uint32Array)[i] = (i * 2654435761) % 4294967296; // typed arrays wrap to their range
  }
  return a;
}

function hexOf(a: VoxelArray): string {
  return Buffer.from(a.buffer, a.byteOffset, a.byteLength).toString("hex");
}

function oblique(flip: boolean): Mat4 {
  const c = Math.cos(0.3);
  const s = Math.sin(0.3);
  const rz: Mat3 = [[c, -s, 0], [s, c, 0], [0, 0, 1]];
  const rx: Mat3 = [[1, 0, 0], [0, Math.cos(-1.1), -Math.sin(-1.1)], [0, Math.sin(-1.1), Math.cos(-1.1)]];
  const r = mat3Mul(rz, rx);
  const d: Mat3 = flip ? [[-r[0][0], r[0][1], r[0][2]], [-r[1][0], r[1][1], r[1][2]], [-r[2][0], r[2][1], r[2][2]]] : r;
  return composeAffine({ spacing: [0.7, 1.3, 2.9], origin: [-100.25, 33.5, 12], direction: d });
}

interface NibInfo {
  file: string;
  shape: number[];
  dtype: string;
  affine: number[][];
  qform: number[][];
  codes: [number, number];
  hex: string;
}

const NIB_DTYPE: Record<VoxelDType, string> = {
  uint8: "uint8", int8: "int8", uint16: "uint16", int16: "int16", uint32: "uint32", int32: "int32",
  uint64: "uint64", int64: "int64", float32: "float32", float64: "float64", complex64: "complex64",
  complex128: "complex128", rgb24: "RGB", rgba32: "RGBA",
};

describe("NIfTI written by labelwise, read by nibabel", () => {
  let dir: string;
  const cases: { file: string; dtype: VoxelDType; version: 1 | 2; volume: Volume }[] = [];
  let nib: Map<string, NibInfo>;

  before(async () => {
    dir = mkdtempSync(path.join(tmpdir(), "lw-nifti-w-"));
    let k = 0;
    for (const dtype of VOXEL_DTYPES) {
      for (const version of [1, 2] as const) {
        for (const ext of [".nii", ".nii.gz"]) {
          const volume = new Volume({ data: fill(dtype, 60) as never, dtype, shape: SHAPE, affine: oblique(k++ % 2 === 0) });
          const file = path.join(dir, `${dtype}-v${version}${ext}`);
          await writeNifti(file, volume, { version, fsync: false, gzipLevel: 1 });
          cases.push({ file, dtype, version, volume });
        }
      }
    }
    const script = `
import sys, json, nibabel as nib, numpy as np
out = []
for f in json.load(sys.stdin):
    img = nib.load(f)
    a = np.asanyarray(img.dataobj)
    dt = a.dtype.newbyteorder('<') if a.dtype.fields is None else a.dtype
    out.append(dict(file=f, shape=list(img.shape), dtype=str(img.header.get_data_dtype().name if img.header.get_data_dtype().fields is None else ('RGBA' if len(a.dtype.fields) == 4 else 'RGB')),
        affine=img.affine.tolist(), qform=img.get_qform().tolist(),
        codes=[int(img.header['qform_code']), int(img.header['sform_code'])], hex=a.astype(dt).tobytes(order='F').hex()))
print(json.dumps(out))`;
    const res = runPython<NibInfo[]>(script, [], JSON.stringify(cases.map((c) => c.file)));
    nib = new Map(res.map((r) => [r.file, r]));
  });
  after(() => rmSync(dir, { recursive: true, force: true }));

  test("nibabel reads every dtype, version and compression with the same shape, dtype, voxels and affine", () => {
    assert.equal(cases.length, VOXEL_DTYPES.length * 4);
    for (const c of cases) {
      const r = nib.get(c.file)!;
      const tol = c.version === 1 ? 1e-4 : 1e-10;
      assert.deepEqual(r.shape, [...SHAPE], c.file);
      assert.equal(r.dtype, NIB_DTYPE[c.dtype], c.file);
      assert.equal(r.hex, hexOf(c.volume.data), c.file);
      assert.ok(maxAbsDiff(r.affine, c.volume.affine) < tol, `${c.file}: affine ${JSON.stringify(r.affine)}`);
      assert.ok(maxAbsDiff(r.qform, c.volume.affine) < tol * 10, `${c.file}: qform ${JSON.stringify(r.qform)}`);
      assert.deepEqual(r.codes, [1, 1]);
    }
  });

  test("readNifti() reads its own files back bit-exactly, warning only about the planted NaN", async () => {
    for (const c of cases) {
      const img = await readNifti(c.file);
      assert.equal(img.volume.dtype, c.dtype);
      assert.equal(hexOf(img.volume.data), hexOf(c.volume.data), c.file);
      assert.ok(maxAbsDiff(img.volume.affine, c.volume.affine) < (c.version === 1 ? 1e-4 : 1e-12));
      const float = !dtypeInfo(c.dtype).integer;
      assert.deepEqual(img.warnings, float ? ["image holds 1 NaN and 0 infinite voxel values (first at scalar index 5)"] : [], c.file);
      assert.equal(img.affineSource, "sform");
    }
  });

  test("writeNifti() keeps a multi-channel volume as a 4-D image", async () => {
    const v = new Volume({ data: new Int16Array(60 * 2).map((_, i) => i - 50), shape: SHAPE, channels: 2, affine: oblique(false) });
    const file = path.join(dir, "four-d.nii.gz");
    await writeNifti(file, v, { fsync: false });
    const r = runPython<{ shape: number[]; hex: string }>(
      `import sys, json, nibabel as nib, numpy as np
a = np.asanyarray(nib.load(sys.argv[1]).dataobj)
print(json.dumps(dict(shape=list(a.shape), hex=a.astype('<i2').tobytes(order='F').hex())))`,
      [file],
    );
    assert.deepEqual(r.shape, [5, 4, 3, 2]);
    assert.equal(r.hex, hexOf(v.data));
    const back = await readNifti(file);
    assert.equal(back.volume.channels, 2);
  });
});

interface RefCase {
  file: string;
  shape: number[];
  channels: number;
  affine: number[][];
  /** Expected voxels: raw little-endian bytes, or float64 bytes of get_fdata() when scaled. */
  hex: string;
  scaled: boolean;
  source: "sform" | "qform" | "pixdim";
}

describe("NIfTI written by nibabel, read by labelwise", () => {
  let dir: string;
  let refs: RefCase[];

  before(() => {
    dir = mkdtempSync(path.join(tmpdir(), "lw-nifti-r-"));
    const script = `
import sys, json, os, struct, nibabel as nib, numpy as np
d = sys.argv[1]
rng = np.random.default_rng(0)
c, s = np.cos(0.4), np.sin(0.4)
obl = np.array([[c*0.9, -s*1.1, 0, -40.5], [s*0.9, c*1.1, 0, 12.25], [0, 0, -2.5, 30], [0, 0, 0, 1]])
out = []
def save(name, img, scaled=False, source='sform', patch=None):
    f = os.path.join(d, name)
    img.to_filename(f)
    if patch:
        import gzip
        raw = bytearray(open(f, 'rb').read())
        patch(raw)
        open(f, 'wb').write(bytes(raw))
    back = nib.load(f)
    a = back.get_fdata() if scaled else np.asanyarray(back.dataobj)
    a = a.astype(a.dtype.newbyteorder('<'))
    out.append(dict(file=f, shape=list(back.shape[:3]), channels=int(np.prod(back.shape[3:])), affine=back.affine.tolist(),
                    hex=a.tobytes(order='F').hex(), scaled=scaled, source=source))
for dt in ['uint8', 'int8', 'int16', 'uint16', 'int32', 'uint32', 'int64', 'uint64', 'float32', 'float64', 'complex64']:
    a = (rng.standard_normal((6, 5, 4)) * 100).astype(dt)
    for cls, v in [(nib.Nifti1Image, 1), (nib.Nifti2Image, 2)]:
        img = cls(a, obl, dtype=dt)
        save(f'{dt}-v{v}.nii.gz', img)
# big-endian header and data
hdr = nib.Nifti1Header(endianness='>')
img = nib.Nifti1Image(np.arange(120, dtype='>i2').reshape((6, 5, 4)) - 60, obl, header=hdr)
save('big-endian.nii', img)
hdr2 = nib.Nifti2Header(endianness='>')
img = nib.Nifti2Image(np.linspace(-1, 1, 120).reshape((6, 5, 4)).astype('>f8'), obl, header=hdr2)
save('big-endian-v2.nii', img)
# scl_slope / scl_inter patched into an int16 file (offsets 112/116 of NIfTI-1)
img = nib.Nifti1Image(np.arange(120, dtype=np.int16).reshape((6, 5, 4)), obl)
save('scaled.nii', img, scaled=True, patch=lambda r: r.__setitem__(slice(112, 120), struct.pack('<ff', 2.5, -10)))
# 4-D image with 3 channels
img = nib.Nifti1Image(rng.standard_normal((6, 5, 4, 3)).astype(np.float32), obl)
save('four-d.nii.gz', img)
# qform only, sform only, neither
img = nib.Nifti1Image(np.ones((6, 5, 4), np.uint8), None)
img.set_qform(obl, code=1); img.set_sform(None, code=0)
save('qform-only.nii', img, source='qform')
img = nib.Nifti1Image(np.ones((6, 5, 4), np.uint8), None)
img.set_sform(obl, code=2); img.set_qform(None, code=0)
save('sform-only.nii', img)
img = nib.Nifti1Image(np.ones((6, 5, 4), np.uint8), None)
img.header.set_zooms((0.5, 2, 3)); img.set_sform(None, code=0); img.set_qform(None, code=0)
save('no-xform.nii', img, source='pixdim')
# 2-D image
img = nib.Nifti1Image(np.arange(30, dtype=np.uint8).reshape((6, 5)), np.diag([0.5, 0.5, 1, 1]))
save('two-d.nii', img)
print(json.dumps(out))`;
    refs = runPython<RefCase[]>(script, [dir]);
  });
  after(() => rmSync(dir, { recursive: true, force: true }));

  test("readNifti() matches nibabel's voxels, shape and affine on every generated file", async () => {
    assert.ok(refs.length >= 27);
    for (const r of refs) {
      const img = await readNifti(r.file);
      const v = img.volume;
      assert.deepEqual([...v.shape], [...r.shape, 1, 1].slice(0, 3), r.file);
      assert.equal(v.channels, r.channels, r.file);
      assert.equal(img.affineSource, r.source, r.file);
      assert.ok(maxAbsDiff(v.affine, r.affine) < 1e-5, `${r.file}: ${JSON.stringify(v.affine)} vs ${JSON.stringify(r.affine)}`);
      if (r.scaled) {
        const want = new Float64Array(Uint8Array.from(Buffer.from(r.hex, "hex")).buffer); // copy: small Buffers share a pool
        assert.equal(v.dtype, "float32");
        assert.ok(img.scaling);
        assert.ok(maxAbsDiff([Array.from(v.data as Float32Array)], [Array.from(want)]) < 1e-4, r.file);
      } else {
        assert.equal(hexOf(v.data), r.hex, r.file);
      }
    }
  });

  test("readNifti() reports the pixdim fallback affine as a warning", async () => {
    const img = await readNifti(refs.find((r) => r.source === "pixdim")!.file);
    assert.match(img.warnings.join("\n"), /neither sform_code nor qform_code/);
  });

  test("readNifti() decodes big-endian files of both versions", async () => {
    for (const name of ["big-endian.nii", "big-endian-v2.nii"]) {
      const img = await readNifti(refs.find((r) => r.file.endsWith(name))!.file);
      assert.equal(img.header.littleEndian, false, name);
    }
  });
});

describe("real datasets", () => {
  test("readNifti() agrees with nibabel on one case of each shared dataset", async (t) => {
    // dist/src/io/nifti/<file>.js -> the checkout root; the shared data sits beside it.
    const root = path.resolve(path.dirname(fileURLToPath(import.meta.url)), "..", "..", "..", "..", "..", "shared", "data");
    const files = ["hippocampus/imagesTr/hippocampus_001_0000.nii.gz", "hippocampus/labelsTr/hippocampus_001.nii.gz", "btcv-abdomen/labelsTr/sabs_23.nii.gz"]
      .map((f) => path.join(root, f));
    const { existsSync } = await import("node:fs");
    if (!files.every((f) => existsSync(f))) return t.skip(`shared data not found under ${root}`);
    const ref = runPython<{ affine: number[][]; sum: number; shape: number[] }[]>(
      `import sys, json, nibabel as nib, numpy as np
print(json.dumps([dict(affine=i.affine.tolist(), sum=float(np.asanyarray(i.dataobj).astype(np.float64).sum()), shape=list(i.shape)) for i in map(nib.load, sys.argv[1:])]))`,
      files,
    );
    for (const [i, f] of files.entries()) {
      const img = await readNifti(f);
      let sum = 0;
      for (const x of img.volume.data as Float32Array) sum += Number(x);
      assert.deepEqual([...img.volume.shape], ref[i]!.shape);
      assert.ok(maxAbsDiff(img.volume.affine, ref[i]!.affine) < 1e-6);
      assert.ok(Math.abs(sum - ref[i]!.sum) <= 1e-6 * Math.max(1, Math.abs(sum)), f);
      assert.deepEqual(img.warnings, []);
    }
  });
});
