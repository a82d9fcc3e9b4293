// NIfTI-1 (348-byte) and NIfTI-2 (540-byte) header parsing with the checks nibabel runs on load
// (sizeof_hdr, magic, dim, datatype/bitpix, pixdim, vox_offset), turned into errors rather than
// silent fixes: a header we cannot trust must not drive an allocation.
// Field offsets follow nifti1.h and nifti2.h.

import {
  bytesPerVoxel,
  dtypeFromNiftiCode,
  UNSUPPORTED_NIFTI_CODES,
  type Vec3,
  type Vec4,
  type VoxelDType,
} from "../../volume/index.js";
import { FormatError } from "../errors.js";

/** A parsed, validated NIfTI header (both versions map onto the same fields). */
export interface NiftiHeader {
  readonly version: 1 | 2;
  readonly littleEndian: boolean;
  /** 348 for NIfTI-1, 540 for NIfTI-2. */
  readonly headerSize: number;
  /** dim[0] (rank) then dim[1..7], as stored. */
  readonly dim: readonly number[];
  readonly datatype: number;
  readonly dtype: VoxelDType;
  readonly bitpix: number;
  /** pixdim[0] is qfac; pixdim[1..3] voxel sizes. */
  readonly pixdim: readonly number[];
  readonly voxOffset: number;
  readonly sclSlope: number;
  readonly sclInter: number;
  readonly calMin: number;
  readonly calMax: number;
  readonly intentCode: number;
  readonly intentName: string;
  readonly intentParams: Vec3;
  readonly dimInfo: number;
  readonly sliceStart: number;
  readonly sliceEnd: number;
  readonly sliceCode: number;
  readonly sliceDuration: number;
  readonly xyztUnits: number;
  readonly toffset: number;
  readonly descrip: string;
  readonly auxFile: string;
  readonly qformCode: number;
  readonly sformCode: number;
  /** Quaternion b, c, d (a is implied). */
  readonly quatern: Vec3;
  readonly qoffset: Vec3;
  /** sform rows srow_x, srow_y, srow_z. */
  readonly srow: readonly [Vec4, Vec4, Vec4];
}

/** Limits applied while parsing a header. */
export interface HeaderLimits {
  /** Largest accepted size of one axis. @default 2147483647 */
  readonly maxDim?: number;
}

/** Where the bytes came from, for error messages. */
export interface HeaderSource {
  readonly path: string;
  readonly decompressed: boolean;
}

/** NIFTI-2 magic "n+2\0" followed by the "\r\n\x1a\n" line-ending check. */
const MAGIC2 = [0x6e, 0x2b, 0x32, 0x00, 0x0d, 0x0a, 0x1a, 0x0a];

/** Bytes needed before {@link parseNiftiHeader} can decide (348 unless sizeof_hdr says 540). */
export function headerBytesNeeded(prefix: Uint8Array): number {
  if (prefix.length < 4) return 348;
  const dv = new DataView(prefix.buffer, prefix.byteOffset, 4);
  return dv.getInt32(0, true) === 540 || dv.getInt32(0, false) === 540 ? 540 : 348;
}

/** Reads and validates a NIfTI-1 or NIfTI-2 header from the start of `bytes`; warnings go to `warn`. */
export function parseNiftiHeader(bytes: Uint8Array, src: HeaderSource, warn: (m: string) => void, limits: HeaderLimits = {}): NiftiHeader {
  const fail = (offset: number | undefined, message: string, received?: string): never => {
    throw new FormatError({ path: src.path, offset, message, received, decompressed: src.decompressed });
  };
  if (bytes.length >= 2 && bytes[0] === 0x1f && bytes[1] === 0x8b) {
    fail(0, "Cannot read NIfTI: data is gzip-compressed; decompress it first (readNifti does this)");
  }
  if (bytes.length < 348) fail(bytes.length, "Cannot read NIfTI header: file ends inside the header (need 348 bytes)", `${bytes.length} bytes`);
  const dv = new DataView(bytes.buffer, bytes.byteOffset, bytes.length);
  const le = dv.getInt32(0, true);
  const be = dv.getInt32(0, false);
  const littleEndian = le === 348 || le === 540;
  const sizeofHdr = littleEndian ? le : be;
  if (sizeofHdr !== 348 && sizeofHdr !== 540) {
    fail(0, "Cannot read NIfTI header: sizeof_hdr must be 348 (NIfTI-1) or 540 (NIfTI-2)", `${le} (little-endian) / ${be} (big-endian)`);
  }
  if (bytes.length < sizeofHdr) fail(bytes.length, `Cannot read NIfTI-2 header: file ends inside the header (need ${sizeofHdr} bytes)`, `${bytes.length} bytes`);
  const raw = sizeofHdr === 348 ? readV1(dv, bytes, littleEndian, fail) : readV2(dv, bytes, littleEndian, fail);
  validate(raw, fail, warn, limits);
  return raw;
}

type Fail = (offset: number | undefined, message: string, received?: string) => never;
/** The header while validation still normalises it (dtype filled in, bad xform codes zeroed). */
type Draft = { -readonly [K in keyof NiftiHeader]: NiftiHeader[K] };

function str(bytes: Uint8Array, off: number, len: number): string {
  let s = "";
  for (let i = off; i < off + len && bytes[i] !== 0; i++) s += String.fromCharCode(bytes[i]!);
  return s;
}

function magicText(bytes: Uint8Array, off: number, len: number): string {
  return JSON.stringify(Array.from(bytes.subarray(off, off + len), (b) => String.fromCharCode(b)).join(""));
}

function readV1(dv: DataView, bytes: Uint8Array, le: boolean, fail: Fail): Draft {
  const magic = str(bytes, 344, 4);
  if (magic === "ni1") fail(344, "Cannot read NIfTI: two-file NIfTI-1 (.hdr/.img pair) is not supported; convert it to a single .nii");
  if (magic !== "n+1" || bytes[347] !== 0) {
    fail(344, 'Cannot read NIfTI-1 header: magic must be "n+1\\0" (Analyze 7.5 files are not supported)', magicText(bytes, 344, 4));
  }
  const i16 = (o: number) => dv.getInt16(o, le);
  const f32 = (o: number) => dv.getFloat32(o, le);
  const row = (o: number): Vec4 => [f32(o), f32(o + 4), f32(o + 8), f32(o + 12)];
  return {
    version: 1,
    littleEndian: le,
    headerSize: 348,
    dim: Array.from({ length: 8 }, (_, i) => i16(40 + 2 * i)),
    intentParams: [f32(56), f32(60), f32(64)],
    intentCode: i16(68),
    datatype: i16(70),
    dtype: "uint8",
    bitpix: i16(72),
    sliceStart: i16(74),
    pixdim: Array.from({ length: 8 }, (_, i) => f32(76 + 4 * i)),
    voxOffset: f32(108),
    sclSlope: f32(112),
    sclInter: f32(116),
    sliceEnd: i16(120),
    sliceCode: bytes[122]!,
    xyztUnits: bytes[123]!,
    calMax: f32(124),
    calMin: f32(128),
    sliceDuration: f32(132),
    toffset: f32(136),
    descrip: str(bytes, 148, 80),
    auxFile: str(bytes, 228, 24),
    qformCode: i16(252),
    sformCode: i16(254),
    quatern: [f32(256), f32(260), f32(264)],
    qoffset: [f32(268), f32(272), f32(276)],
    srow: [row(280), row(296), row(312)],
    intentName: str(bytes, 328, 16),
    dimInfo: bytes[39]!,
  };
}

function readV2(dv: DataView, bytes: Uint8Array, le: boolean, fail: Fail): Draft {
  if (!MAGIC2.every((b, i) => bytes[4 + i] === b)) {
    fail(4, 'Cannot read NIfTI-2 header: magic must be "n+2\\0\\r\\n\\x1a\\n" (a mangled line-ending check means a text-mode transfer)', magicText(bytes, 4, 8));
  }
  const i64 = (o: number): number => {
    const v = dv.getBigInt64(o, le);
    if (v > BigInt(Number.MAX_SAFE_INTEGER) || v < BigInt(Number.MIN_SAFE_INTEGER)) fail(o, "Cannot read NIfTI-2 header: 64-bit field out of range", v.toString());
    return Number(v);
  };
  const i32 = (o: number) => dv.getInt32(o, le);
  const f64 = (o: number) => dv.getFloat64(o, le);
  const row = (o: number): Vec4 => [f64(o), f64(o + 8), f64(o + 16), f64(o + 24)];
  return {
    version: 2,
    littleEndian: le,
    headerSize: 540,
    datatype: dv.getInt16(12, le),
    dtype: "uint8",
    bitpix: dv.getInt16(14, le),
    dim: Array.from({ length: 8 }, (_, i) => i64(16 + 8 * i)),
    intentParams: [f64(80), f64(88), f64(96)],
    pixdim: Array.from({ length: 8 }, (_, i) => f64(104 + 8 * i)),
    voxOffset: i64(168),
    sclSlope: f64(176),
    sclInter: f64(184),
    calMax: f64(192),
    calMin: f64(200),
    sliceDuration: f64(208),
    toffset: f64(216),
    sliceStart: i64(224),
    sliceEnd: i64(232),
    descrip: str(bytes, 240, 80),
    auxFile: str(bytes, 320, 24),
    qformCode: i32(344),
    sformCode: i32(348),
    quatern: [f64(352), f64(360), f64(368)],
    qoffset: [f64(376), f64(384), f64(392)],
    srow: [row(400), row(432), row(464)],
    sliceCode: i32(496),
    xyztUnits: i32(500),
    intentCode: i32(504),
    intentName: str(bytes, 508, 16),
    dimInfo: bytes[524]!,
  };
}

/** Byte offsets of the validated fields, per version, so errors point at the right place. */
const OFFSETS = {
  1: { dim: 40, datatype: 70, bitpix: 72, pixdim: 76, voxOffset: 108, quatern: 256, srow: 280 },
  2: { dim: 16, datatype: 12, bitpix: 14, pixdim: 104, voxOffset: 168, quatern: 352, srow: 400 },
} as const;

function validate(h: Draft, fail: Fail, warn: (m: string) => void, limits: HeaderLimits): void {
  const at = OFFSETS[h.version];
  const dimStride = h.version === 1 ? 2 : 8;
  const pixStride = h.version === 1 ? 4 : 8;
  const maxDim = limits.maxDim ?? 2147483647;
  const rank = h.dim[0]!;
  if (!(rank >= 1 && rank <= 7)) fail(at.dim, "Cannot read NIfTI header: dim[0] (rank) must be in 1..7", String(rank));
  for (let i = 1; i <= rank; i++) {
    const n = h.dim[i]!;
    if (!(n >= 1)) fail(at.dim + i * dimStride, `Cannot read NIfTI header: dim[${i}] must be positive`, String(n));
    if (n > maxDim) fail(at.dim + i * dimStride, `Cannot read NIfTI header: dim[${i}] exceeds the limit maxDim=${maxDim}`, String(n));
  }
  const dtype = dtypeFromNiftiCode(h.datatype);
  if (dtype === undefined) {
    const name = UNSUPPORTED_NIFTI_CODES.get(h.datatype);
    fail(
      at.datatype,
      name ? `Cannot read NIfTI: datatype ${name} has no JavaScript typed array` : "Cannot read NIfTI header: unknown datatype code",
      String(h.datatype),
    );
  }
  h.dtype = dtype!;
  const bits = bytesPerVoxel(dtype!) * 8;
  if (h.bitpix !== bits) fail(at.bitpix, `Cannot read NIfTI header: bitpix must be ${bits} for datatype ${dtype}`, String(h.bitpix));
  for (let i = 1; i <= Math.min(rank, 3); i++) {
    const p = h.pixdim[i]!;
    if (!(Number.isFinite(p) && p > 0)) fail(at.pixdim + i * pixStride, `Cannot read NIfTI header: pixdim[${i}] (voxel size) must be finite and > 0`, String(p));
  }
  const qfac = h.pixdim[0]!;
  if (qfac !== 1 && qfac !== -1) warn(`pixdim[0] (qfac) should be 1 or -1; read ${qfac} as ${qfac < 0 ? -1 : 1}`);
  const minOffset = h.headerSize + 4;
  if (!(Number.isInteger(h.voxOffset) && h.voxOffset >= minOffset)) {
    fail(at.voxOffset, `Cannot read NIfTI header: vox_offset must be an integer >= ${minOffset} (data cannot overlap the header)`, String(h.voxOffset));
  }
  // nibabel knows codes 0..5 (5 = template_other); anything else means "no usable transform".
  if (h.qformCode < 0 || h.qformCode > 5) {
    warn(`qform_code ${h.qformCode} is outside 0..5; treated as 0 (unknown)`);
    h.qformCode = 0;
  }
  if (h.sformCode < 0 || h.sformCode > 5) {
    warn(`sform_code ${h.sformCode} is outside 0..5; treated as 0 (unknown)`);
    h.sformCode = 0;
  }
  if (h.sformCode > 0 && !h.srow.flat().every(Number.isFinite)) {
    fail(at.srow, "Cannot read NIfTI header: sform_code > 0 but srow_x/y/z hold non-finite values", JSON.stringify(h.srow));
  }
  if (h.qformCode > 0 && ![...h.quatern, ...h.qoffset].every(Number.isFinite)) {
    fail(at.quatern, "Cannot read NIfTI header: qform_code > 0 but quatern/qoffset hold non-finite values", JSON.stringify([...h.quatern, ...h.qoffset]));
  }
}

/** Spatial shape (missing axes are 1) and the channel count (product of dim[4..rank]). */
export function headerShape(h: NiftiHeader): { shape: [number, number, number]; channels: number } {
  const rank = h.dim[0]!;
  const d = (i: number) => (i <= rank ? h.dim[i]! : 1);
  let channels = 1;
  for (let i = 4; i <= rank; i++) channels *= h.dim[i]!;
  return { shape: [d(1), d(2), d(3)], channels };
}

/** Number of voxels over all dims, or Infinity when it is not a safe integer. */
export function headerVoxelCount(h: NiftiHeader): number {
  let n = 1;
  for (let i = 1; i <= h.dim[0]!; i++) n *= h.dim[i]!;
  return Number.isSafeInteger(n) ? n : Infinity;
}
