// NIfTI-1/2 writer (pure: bytes out, no file system). Always little-endian, single file (.nii),
// unscaled data, affine in both sform and qform so that every reader, whatever its precedence,
// lands on the same geometry. A sheared affine cannot be a qform; then qform_code is 0.

import { decomposeAffine, dtypeInfo, orthonormalityError, type Vec4, type Volume } from "../../volume/index.js";
import type { NiftiExtension } from "./decoder.js";
import { quaternionFromDirection } from "./header-affine.js";

/** Options for writing NIfTI. */
export interface NiftiWriteOptions {
  /** NIfTI-1 (float32 geometry, axes ≤ 32767) or NIfTI-2 (float64 geometry, int64 dims). @default 1 */
  readonly version?: 1 | 2;
  /** @default 1 (NIFTI_XFORM_SCANNER_ANAT, what ITK and the nnU-Net datasets use) */
  readonly sformCode?: number;
  /** Forced to 0 when the affine has shear. @default 1 */
  readonly qformCode?: number;
  /** Free text, truncated to 79 bytes. @default "labelwise" */
  readonly descrip?: string;
  /** @default 2 (NIFTI_UNITS_MM) */
  readonly xyztUnits?: number;
  readonly intentCode?: number;
  /** Truncated to 15 bytes. */
  readonly intentName?: string;
  readonly calMin?: number;
  readonly calMax?: number;
  /** Header extensions written between the header and the voxels. */
  readonly extensions?: readonly NiftiExtension[];
}

const HOST_LITTLE_ENDIAN = new Uint8Array(new Uint16Array([1]).buffer)[0] === 1;

/**
 * Encodes a Volume as an uncompressed .nii file.
 * @example
 * const bytes = encodeNifti(volume, { version: 2 });
 */
export function encodeNifti(volume: Volume, opts: NiftiWriteOptions = {}): Uint8Array {
  const head = encodeNiftiHeader(volume, opts);
  const out = new Uint8Array(head.length + volume.data.byteLength);
  out.set(head);
  out.set(voxelBytesLE(volume), head.length);
  return out;
}

/** The voxels as little-endian bytes: a view when the host is little-endian, else a swapped copy. */
export function voxelBytesLE(volume: Volume): Uint8Array {
  const view = new Uint8Array(volume.data.buffer, volume.data.byteOffset, volume.data.byteLength);
  const size = dtypeInfo(volume.dtype).scalarBytes;
  if (HOST_LITTLE_ENDIAN || size === 1) return view;
  const copy = view.slice();
  for (let i = 0; i < copy.length; i += size) copy.subarray(i, i + size).reverse();
  return copy;
}

/** Header plus extensions: the first vox_offset bytes of the file (voxels follow, see voxelBytesLE). */
export function encodeNiftiHeader(volume: Volume, opts: NiftiWriteOptions = {}): Uint8Array {
  const version = opts.version ?? 1;
  if (version !== 1 && version !== 2) throw new RangeError(`Cannot write NIfTI: version must be 1 or 2. Received: ${String(version)}`);
  const rank = volume.channels > 1 ? 4 : 3;
  const dims = [rank, ...volume.shape, volume.channels, 1, 1, 1];
  if (version === 1 && dims.some((d) => d > 32767)) {
    throw new RangeError(`Cannot write NIfTI-1: every axis must be <= 32767; use version 2. Received: shape=[${volume.shape.join(",")}] channels=${volume.channels}`);
  }
  const info = dtypeInfo(volume.dtype);
  const hdrSize = version === 1 ? 348 : 540;
  const extBlocks = (opts.extensions ?? []).map((e) => ({ code: e.code, data: e.data, esize: Math.ceil((e.data.length + 8) / 16) * 16 }));
  const voxOffset = hdrSize + 4 + extBlocks.reduce((s, e) => s + e.esize, 0);
  const out = new Uint8Array(voxOffset);
  const dv = new DataView(out.buffer);

  const g = decomposeAffine(volume.affine);
  const sheared = orthonormalityError(g.direction) > 1e-4;
  const { quatern, qfac } = sheared ? { quatern: [0, 0, 0] as const, qfac: 1 as const } : quaternionFromDirection(g.direction);
  const f: Fields = {
    datatype: info.niftiCode,
    bitpix: info.scalarBytes * info.components * 8,
    dims,
    pixdim: [qfac, ...g.spacing, 1, 1, 1, 1],
    voxOffset,
    qformCode: sheared ? 0 : (opts.qformCode ?? 1),
    sformCode: opts.sformCode ?? 1,
    quatern,
    qoffset: g.origin,
    srow: volume.affine.slice(0, 3) as readonly Vec4[],
    xyztUnits: opts.xyztUnits ?? 2,
    intentCode: opts.intentCode ?? 0,
    calMin: opts.calMin ?? 0,
    calMax: opts.calMax ?? 0,
  };
  if (version === 1) writeV1(dv, out, f);
  else writeV2(dv, out, f);
  putString(out, version === 1 ? 148 : 240, 80, opts.descrip ?? "labelwise");
  putString(out, version === 1 ? 328 : 508, 16, opts.intentName ?? "");

  // Extension flag: non-zero when extensions follow (nifti1.h "extension[0]").
  out[hdrSize] = extBlocks.length > 0 ? 1 : 0;
  let p = hdrSize + 4;
  for (const e of extBlocks) {
    dv.setInt32(p, e.esize, true);
    dv.setInt32(p + 4, e.code, true);
    out.set(e.data, p + 8);
    p += e.esize;
  }
  return out;
}

interface Fields {
  datatype: number;
  bitpix: number;
  dims: number[];
  pixdim: number[];
  voxOffset: number;
  qformCode: number;
  sformCode: number;
  quatern: readonly number[];
  qoffset: readonly number[];
  srow: readonly Vec4[];
  xyztUnits: number;
  intentCode: number;
  calMin: number;
  calMax: number;
}

function writeV1(dv: DataView, out: Uint8Array, f: Fields): void {
  const le = true;
  dv.setInt32(0, 348, le);
  out[38] = "r".charCodeAt(0); // "regular", kept for Analyze-era readers
  f.dims.forEach((d, i) => dv.setInt16(40 + 2 * i, d, le));
  dv.setInt16(68, f.intentCode, le);
  dv.setInt16(70, f.datatype, le);
  dv.setInt16(72, f.bitpix, le);
  f.pixdim.forEach((p, i) => dv.setFloat32(76 + 4 * i, p, le));
  dv.setFloat32(108, f.voxOffset, le);
  dv.setFloat32(112, 1, le);
  dv.setFloat32(116, 0, le);
  out[123] = f.xyztUnits;
  dv.setFloat32(124, f.calMax, le);
  dv.setFloat32(128, f.calMin, le);
  dv.setInt16(252, f.qformCode, le);
  dv.setInt16(254, f.sformCode, le);
  f.quatern.forEach((q, i) => dv.setFloat32(256 + 4 * i, q, le));
  f.qoffset.forEach((q, i) => dv.setFloat32(268 + 4 * i, q, le));
  f.srow.forEach((row, r) => row.forEach((v, c) => dv.setFloat32(280 + 16 * r + 4 * c, v, le)));
  out.set([0x6e, 0x2b, 0x31, 0x00], 344);
}

function writeV2(dv: DataView, out: Uint8Array, f: Fields): void {
  const le = true;
  dv.setInt32(0, 540, le);
  out.set([0x6e, 0x2b, 0x32, 0x00, 0x0d, 0x0a, 0x1a, 0x0a], 4);
  dv.setInt16(12, f.datatype, le);
  dv.setInt16(14, f.bitpix, le);
  f.dims.forEach((d, i) => dv.setBigInt64(16 + 8 * i, BigInt(d), le));
  f.pixdim.forEach((p, i) => dv.setFloat64(104 + 8 * i, p, le));
  dv.setBigInt64(168, BigInt(f.voxOffset), le);
  dv.setFloat64(176, 1, le);
  dv.setFloat64(184, 0, le);
  dv.setFloat64(192, f.calMax, le);
  dv.setFloat64(200, f.calMin, le);
  dv.setInt32(344, f.qformCode, le);
  dv.setInt32(348, f.sformCode, le);
  f.quatern.forEach((q, i) => dv.setFloat64(352 + 8 * i, q, le));
  f.qoffset.forEach((q, i) => dv.setFloat64(376 + 8 * i, q, le));
  f.srow.forEach((row, r) => row.forEach((v, c) => dv.setFloat64(400 + 32 * r + 8 * c, v, le)));
  dv.setInt32(500, f.xyztUnits, le);
  dv.setInt32(504, f.intentCode, le);
}

function putString(out: Uint8Array, off: number, size: number, s: string): void {
  // Latin-1 only and NUL-terminated: the header fields are C char arrays.
  const n = Math.min(s.length, size - 1);
  for (let i = 0; i < n; i++) out[off + i] = s.charCodeAt(i) & 0xff;
}
