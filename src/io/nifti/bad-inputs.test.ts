// The catalogue of malformed NIfTI inputs: each must end in a FormatError that names the field
// and what was found, before any allocation driven by the bad field. Fixtures are built here.
import assert from "node:assert/strict";
import { mkdtempSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import path from "node:path";
import { after, before, describe, test } from "node:test";
import { gzipSync } from "node:zlib";
import { composeAffine, Volume } from "../../volume/index.js";
import { FormatError } from "../errors.js";
import { decodeNifti, type NiftiReadOptions } from "./decoder.js";
import { encodeNifti } from "./encode.js";
import { decodeNiftiAsync, readNifti } from "./node-file.js";

const AFFINE = composeAffine({ spacing: [1, 2, 3], origin: [5, 6, 7], direction: [[1, 0, 0], [0, 1, 0], [0, 0, 1]] });

function valid(version: 1 | 2 = 1): Uint8Array {
  const v = new Volume({ data: new Int16Array(4 * 3 * 2).map((_, i) => i), shape: [4, 3, 2], affine: AFFINE });
  return encodeNifti(v, { version });
}

/** A valid NIfTI-1 file with `edit` applied to its header through a little-endian DataView. */
function patched(edit: (dv: DataView, b: Uint8Array) => void, version: 1 | 2 = 1): Uint8Array {
  const b = valid(version);
  edit(new DataView(b.buffer), b);
  return b;
}

/** Asserts decoding `bytes` throws a FormatError whose message matches `re`; returns it. */
async function rejects(bytes: Uint8Array, re: RegExp, opts: NiftiReadOptions = {}): Promise<FormatError> {
  let err: unknown;
  try {
    await decodeNiftiAsync(bytes, { ...opts, path: "case.nii" });
  } catch (e) {
    err = e;
  }
  assert.ok(err instanceof FormatError, `expected FormatError, got ${String(err)}`);
  assert.match(err.message, re);
  assert.equal(err.path, "case.nii");
  return err;
}

describe("NIfTI bad-input catalogue", () => {
  test("truncated file: data shorter than the header declares", async () => {
    const b = valid();
    const e = await rejects(b.subarray(0, b.length - 10), /file is truncated.*Received: 390 bytes/);
    assert.equal(e.offset, 390);
  });

  test("truncated file: ends inside the header", async () => {
    await rejects(valid().subarray(0, 100), /ends inside the header/);
    await rejects(valid(2).subarray(0, 400), /ends inside the header/);
  });

  test("truncated gzip stream", async () => {
    const gz = gzipSync(valid());
    const e = await rejects(gz.subarray(0, Math.floor(gz.length * 0.6)), /gzip stream is truncated|truncated/);
    assert.equal(e.decompressed, true);
  });

  test("corrupt gzip data", async () => {
    const gz = Uint8Array.from(gzipSync(valid()));
    for (let i = 12; i < gz.length - 8; i += 3) gz[i] = gz[i]! ^ 0x5a;
    await rejects(gz, /gzip|header|magic|sizeof_hdr/);
  });

  test("gzip bytes given to the pure decoder", () => {
    assert.throws(() => decodeNifti(gzipSync(valid())), /gzip-compressed; decompress it first/);
  });

  test("wrong magic, two-file magic, mangled NIfTI-2 line-ending check", async () => {
    await rejects(patched((_, b) => b.set([0x6e, 0x2b, 0x33, 0], 344)), /magic must be "n\+1\\0".*Received: "n\+3\\u0000"/);
    await rejects(patched((_, b) => b.set([0x6e, 0x69, 0x31, 0], 344)), /two-file NIfTI-1/);
    await rejects(patched((_, b) => b.set([0x0a], 8), 2), /NIfTI-2 header: magic/);
  });

  test("sizeof_hdr neither 348 nor 540", async () => {
    const e = await rejects(patched((dv) => dv.setInt32(0, 349, true)), /sizeof_hdr must be 348.*Received: 349 \(little-endian\)/);
    assert.equal(e.offset, 0);
  });

  test("dim[0] outside 1..7", async () => {
    await rejects(patched((dv) => dv.setInt16(40, 0, true)), /dim\[0\] \(rank\) must be in 1..7.*Received: 0/);
    await rejects(patched((dv) => dv.setInt16(40, 8, true)), /dim\[0\]/);
  });

  test("dims <= 0", async () => {
    const e = await rejects(patched((dv) => dv.setInt16(44, 0, true)), /dim\[2\] must be positive.*Received: 0/);
    assert.equal(e.offset, 44);
    await rejects(patched((dv) => dv.setInt16(46, -5, true)), /dim\[3\] must be positive.*Received: -5/);
    await rejects(patched((dv) => dv.setBigInt64(24, -1n, true), 2), /dim\[1\] must be positive/);
  });

  test("dims above maxDim", async () => {
    await rejects(patched((dv) => dv.setBigInt64(24, 1n << 40n, true), 2), /dim\[1\] exceeds the limit maxDim/);
  });

  test("bitpix disagrees with datatype", async () => {
    const e = await rejects(patched((dv) => dv.setInt16(72, 8, true)), /bitpix must be 16 for datatype int16.*Received: 8/);
    assert.equal(e.offset, 72);
  });

  test("unknown or unsupported datatype", async () => {
    await rejects(patched((dv) => dv.setInt16(70, 999, true)), /unknown datatype code.*Received: 999/);
    await rejects(patched((dv) => dv.setInt16(70, 1536, true)), /datatype float128 has no JavaScript typed array/);
  });

  test("vox_offset past the end, inside the header, or fractional", async () => {
    const e = await rejects(patched((dv) => dv.setFloat32(108, 1e6, true)), /file is truncated.*vox_offset 1000000/);
    assert.equal(e.offset, 400);
    await rejects(patched((dv) => dv.setFloat32(108, 100, true)), /vox_offset must be an integer >= 352.*Received: 100/);
    await rejects(patched((dv) => dv.setFloat32(108, 352.5, true)), /vox_offset must be an integer/);
    await rejects(patched((dv) => dv.setBigInt64(168, 400n, true), 2), /vox_offset must be an integer >= 544/);
  });

  test("pixdim <= 0 or not finite", async () => {
    const e = await rejects(patched((dv) => dv.setFloat32(80, 0, true)), /pixdim\[1\] \(voxel size\) must be finite and > 0.*Received: 0/);
    assert.equal(e.offset, 80);
    await rejects(patched((dv) => dv.setFloat32(84, -1, true)), /pixdim\[2\]/);
    await rejects(patched((dv) => dv.setFloat64(128, NaN, true), 2), /pixdim\[3\].*NaN/);
  });

  test("a header declaring 10^12 voxels is refused before allocating", async () => {
    const before = process.memoryUsage().arrayBuffers;
    const huge = patched((dv) => [10000n, 10000n, 10000n].forEach((n, i) => dv.setBigInt64(24 + 8 * i, n, true)), 2);
    await rejects(huge, /decoding needs 1907348\.6 MiB, above the limit maxBytes=2048\.0 MiB.*dim=\[10000,10000,10000\]/);
    await rejects(gzipSync(huge), /maxBytes/);
    assert.ok(process.memoryUsage().arrayBuffers - before < 64 * 1024 ** 2);
  });

  test("maxBytes is configurable", async () => {
    await rejects(valid(), /above the limit maxBytes=0\.0 MiB/, { maxBytes: 10 });
    const img = await decodeNiftiAsync(valid(), { maxBytes: 48 + 4 });
    assert.equal(img.volume.voxelCount, 24);
  });

  test("a huge extension area (vox_offset) counts against maxBytes", async () => {
    await rejects(gzipSync(patched((dv) => dv.setBigInt64(168, 3n * 1024n ** 3n, true), 2)), /maxBytes/);
  });

  test("a gzip stream too short for the declared size is refused before inflating (1032:1 bound)", async () => {
    const big = patched((dv) => [512, 512, 512].forEach((n, i) => dv.setInt16(42 + 2 * i, n, true)));
    await rejects(gzipSync(big), /gzip stream is too short to hold the declared 268435808 bytes/);
  });

  test("a gzip bomb after a small image is never inflated", async () => {
    // One valid member, then 64 members of 64 MiB of zeros each: 4 GiB if fully inflated.
    const zeros = gzipSync(new Uint8Array(64 * 1024 ** 2), { level: 9 });
    const bomb = Buffer.concat([gzipSync(valid()), ...Array<Buffer>(64).fill(zeros)]);
    const t0 = performance.now();
    const img = await decodeNiftiAsync(bomb);
    assert.ok(performance.now() - t0 < 2000, "decoder kept inflating past the image");
    assert.equal(img.volume.voxelCount, 24);
  });

  test("NaN and Inf voxels warn by default, fail on request, pass when ignored", async () => {
    const v = new Volume({ data: Float32Array.of(1, NaN, 3, Infinity, 5, 6, -Infinity, 8), shape: [2, 2, 2] });
    const b = encodeNifti(v);
    const img = await decodeNiftiAsync(b);
    assert.match(img.warnings.join("\n"), /1 NaN and 2 infinite voxel values \(first at scalar index 1\)/);
    const e = await rejects(b, /image holds 1 NaN/, { onNonFinite: "error" });
    assert.equal(e.offset, 352 + 4);
    assert.deepEqual((await decodeNiftiAsync(b, { onNonFinite: "ignore" })).warnings, []);
  });

  test("sform with non-finite entries", async () => {
    await rejects(patched((dv) => dv.setFloat32(284, Infinity, true)), /sform_code > 0 but srow_x\/y\/z hold non-finite values/);
  });

  test("sform/qform disagreement warns by default and fails on request", async () => {
    const b = patched((dv) => dv.setFloat32(292, 50, true)); // srow_x[3]: shift x by 45 mm
    const img = await decodeNiftiAsync(b);
    assert.equal(img.affineSource, "sform");
    assert.equal(img.volume.affine[0][3], 50);
    assert.match(img.warnings.join("\n"), /sform and qform disagree/);
    await rejects(b, /sform and qform disagree.*using the sform/, { onXformMismatch: "error" });
  });

  test("non-orthonormal direction cosines warn by default and fail on request", async () => {
    const b = patched((dv) => {
      dv.setFloat32(284, 0.5, true); // srow_x[1]: shear
      dv.setInt16(252, 0, true); // no qform, so only the shear check fires
    });
    const seen: string[] = [];
    const img = await decodeNiftiAsync(b, { onWarning: (m) => seen.push(m) });
    assert.match(img.warnings.join("\n"), /not orthonormal/);
    assert.deepEqual(seen, img.warnings);
    await rejects(b, /direction cosines of the sform affine are not orthonormal/, { onNonOrthonormal: "error" });
  });

  test("out-of-range xform codes and qfac are repaired with a warning, as nibabel does", async () => {
    const img = await decodeNiftiAsync(patched((dv) => {
      dv.setInt16(254, 9, true);
      dv.setFloat32(76, 0, true);
    }));
    assert.equal(img.affineSource, "qform");
    assert.match(img.warnings.join("\n"), /sform_code 9 is outside 0..5/);
    assert.match(img.warnings.join("\n"), /qfac/);
  });

  test("a malformed extension list is dropped with a warning", async () => {
    const v = new Volume({ data: new Uint8Array(8), shape: [2, 2, 2] });
    const b = encodeNifti(v, { extensions: [{ code: 6, data: new TextEncoder().encode("hello") }] });
    const ok = decodeNifti(b);
    assert.equal(new TextDecoder().decode(ok.extensions[0]!.data).replace(/\0+$/, ""), "hello");
    new DataView(b.buffer).setInt32(352, 17, true);
    const bad = decodeNifti(b);
    assert.equal(bad.extensions.length, 0);
    assert.match(bad.warnings.join("\n"), /invalid esize 17/);
  });
});

describe("readNifti() on files", () => {
  let dir: string;
  before(() => (dir = mkdtempSync(path.join(tmpdir(), "lw-nifti-bad-"))));
  after(() => rmSync(dir, { recursive: true, force: true }));

  test("errors carry the file path and the byte offset", async () => {
    const f = path.join(dir, "bad.nii.gz");
    writeFileSync(f, gzipSync(patched((dv) => dv.setInt16(72, 32, true))));
    await assert.rejects(readNifti(f), (e: unknown) => {
      assert.ok(e instanceof FormatError);
      assert.equal(e.path, f);
      assert.equal(e.offset, 72);
      assert.match(e.message, new RegExp(`in ${f.replace(/[.*+?^${}()|[\]\\]/g, "\\$&")} at byte 72 of the decompressed stream`));
      return true;
    });
  });

  test("gzip is detected from the content, not the file name", async () => {
    const f = path.join(dir, "really-gzip.nii");
    writeFileSync(f, gzipSync(valid()));
    assert.equal((await readNifti(f)).volume.voxelCount, 24);
  });

  test("a missing file is an ordinary ENOENT, not a FormatError", async () => {
    await assert.rejects(readNifti(path.join(dir, "nope.nii")), { code: "ENOENT" });
  });
});
