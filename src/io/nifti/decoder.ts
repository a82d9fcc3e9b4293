// NIfTI-1/2 reader. Why our own parser rather than nifti-reader-js (0.8.0, the maintained npm
// reader; its source read at rii-mango/NIFTI-Reader-JS):
//  - it inflates the whole file with fflate.decompressSync before looking at the header: no output
//    cap, so a gzip bomb or a lying header is fully allocated first;
//  - it takes the qform before the sform (nifti1.ts: `if (qform_code > 0) … else if (sform_code > 0)`),
//    the opposite of nibabel, nnU-Net's SimpleITK path and our datasets' writers;
//  - readImage slices vox_offset..+size without comparing with the file length (a truncated file
//    yields a short buffer, not an error), only multiplies dims 1..5, and checks neither dims,
//    bitpix/datatype, pixdim nor vox_offset;
//  - it has no writer, which we need anyway (nibabel-compatible, atomic).
// Wrapping it would still need every check below, and what it saves (a table of field offsets,
// ~150 lines in header.ts) is smaller than the workarounds; the dependency would also add fflate
// to the browser bundle for a path we stream differently.
//
// Push decoder: takes the (decompressed) bytes of a .nii file in chunks of any size, validates the
// header as soon as it is complete, checks the declared size against the memory limit and the
// known input length, and only then allocates exactly one buffer for the voxels. The producer
// (node:zlib in node, fflate or DecompressionStream in a browser) stops feeding once `push`
// returns true, so trailing bytes or a decompression bomb after the image are never inflated.

import { dtypeInfo, viewVoxels, Volume, type VoxelArray, type VoxelDType } from "../../volume/index.js";
import { FormatError } from "../errors.js";
import { resolveAffine, type AffineCheckOptions, type AffineSource } from "./header-affine.js";
import { headerBytesNeeded, headerShape, headerVoxelCount, parseNiftiHeader, type HeaderLimits, type NiftiHeader } from "./header.js";

/** Options for reading NIfTI. */
export interface NiftiReadOptions extends AffineCheckOptions, HeaderLimits {
  /** Refuse images whose decoded size (voxels, scaled copy, extensions) exceeds this many bytes. @default 2 GiB */
  readonly maxBytes?: number;
  /** Apply scl_slope/scl_inter when they are set and not identity. @default true */
  readonly applyScaling?: boolean;
  /**
   * NaN/Inf voxels in float data: legal NIfTI, but a classic silent failure downstream (nnU-Net
   * refuses NaN). "warn" counts them into the warnings, "error" throws FormatError.
   * @default "warn"
   */
  readonly onNonFinite?: "ignore" | "warn" | "error";
  /** Receives each warning (they are also returned in NiftiImage.warnings). */
  readonly onWarning?: (message: string) => void;
}

/** A NIfTI header extension (esize/ecode block between the header and vox_offset). */
export interface NiftiExtension {
  readonly code: number;
  readonly data: Uint8Array;
}

/** A decoded NIfTI file. */
export interface NiftiImage {
  readonly volume: Volume;
  readonly header: NiftiHeader;
  readonly affineSource: AffineSource;
  /** scl_slope/scl_inter that were applied to the voxels; undefined when none were. */
  readonly scaling: { readonly slope: number; readonly inter: number } | undefined;
  readonly extensions: readonly NiftiExtension[];
  readonly warnings: readonly string[];
}

/** Where the bytes come from and how long the input is, when known. */
export interface DecoderSource {
  readonly path: string;
  /** Whether the bytes are the output of a decompressor (changes error offsets' meaning). */
  readonly decompressed: boolean;
  /** Total length of the uncompressed file, when known: the data must fit inside it. */
  readonly totalBytes?: number;
  /** Length of the compressed file, when known: deflate cannot expand more than 1032:1. */
  readonly compressedBytes?: number;
}

/** Default for NiftiReadOptions.maxBytes: 2 GiB, the practical ArrayBuffer limit in browsers. */
export const DEFAULT_MAX_BYTES = 2 * 1024 ** 3;
/** Deflate's maximum expansion ratio (RFC 1951 stored/length-258 runs), plus slack for headers. */
const MAX_DEFLATE_RATIO = 1032;
const HOST_LITTLE_ENDIAN = new Uint8Array(new Uint16Array([1]).buffer)[0] === 1;

/**
 * Incremental NIfTI-1/2 decoder over uncompressed bytes.
 * @example
 * const dec = new NiftiDecoder({ path: "a.nii", decompressed: false });
 * for (const chunk of chunks) if (dec.push(chunk)) break;
 * const img = dec.finish();
 */
export class NiftiDecoder {
  readonly #opts: NiftiReadOptions;
  readonly #src: DecoderSource;
  readonly #warnings: string[] = [];
  #pre = new Uint8Array(540);
  #pos = 0;
  #header: NiftiHeader | undefined;
  #ext: Uint8Array | undefined;
  #data: Uint8Array | undefined;
  #end = Infinity;

  constructor(src: DecoderSource, opts: NiftiReadOptions = {}) {
    this.#src = src;
    this.#opts = opts;
  }

  /** Bytes consumed so far. */
  get received(): number {
    return this.#pos;
  }

  /** Whether header and all voxel bytes have arrived. */
  get complete(): boolean {
    return this.#pos >= this.#end;
  }

  /** The validated header, once it has arrived. */
  get header(): NiftiHeader | undefined {
    return this.#header;
  }

  /** Feeds bytes; returns true once the image is complete (later bytes are ignored). */
  push(chunk: Uint8Array): boolean {
    let off = 0;
    while (off < chunk.length && this.#pos < this.#end) {
      if (!this.#header) {
        const need = this.#pos >= 4 ? headerBytesNeeded(this.#pre.subarray(0, this.#pos)) : 4;
        const n = Math.min(need - this.#pos, chunk.length - off);
        this.#pre.set(chunk.subarray(off, off + n), this.#pos);
        this.#pos += n;
        off += n;
        if (this.#pos >= 2 && this.#pre[0] === 0x1f && this.#pre[1] === 0x8b) {
          this.#fail(0, "Cannot read NIfTI: data is gzip-compressed; decompress it first (readNifti and decodeNiftiAsync do this)");
        }
        if (this.#pos >= 4 && this.#pos === headerBytesNeeded(this.#pre.subarray(0, this.#pos))) this.#start();
        continue;
      }
      const h = this.#header;
      if (this.#pos < h.voxOffset) {
        const n = Math.min(h.voxOffset - this.#pos, chunk.length - off);
        this.#ext!.set(chunk.subarray(off, off + n), this.#pos - h.headerSize);
        this.#pos += n;
        off += n;
      } else {
        const n = Math.min(this.#end - this.#pos, chunk.length - off);
        this.#data!.set(chunk.subarray(off, off + n), this.#pos - h.voxOffset);
        this.#pos += n;
        off += n;
      }
    }
    return this.complete;
  }

  /** Records a warning (returned in NiftiImage.warnings and sent to options.onWarning). */
  warn(message: string): void {
    this.#warnings.push(message);
    this.#opts.onWarning?.(message);
  }

  #warn = (m: string): void => this.warn(m);

  #fail(offset: number | undefined, message: string, received?: string): never {
    throw new FormatError({ path: this.#src.path, offset, message, received, decompressed: this.#src.decompressed });
  }

  /** Header complete: validate it, check sizes against limits and input length, then allocate. */
  #start(): void {
    const h = parseNiftiHeader(this.#pre.subarray(0, this.#pos), this.#src, this.#warn, this.#opts);
    const voxels = headerVoxelCount(h);
    const dataBytes = voxels * dtypeInfo(h.dtype).scalarBytes * dtypeInfo(h.dtype).components;
    const extBytes = h.voxOffset - h.headerSize;
    const scaled = this.#scaling(h) ? voxels * dtypeInfo(h.dtype).components * scaledBytes(h.dtype) : 0;
    const need = dataBytes + scaled + extBytes;
    const maxBytes = this.#opts.maxBytes ?? DEFAULT_MAX_BYTES;
    const dims = `dim=[${h.dim.slice(1, h.dim[0]! + 1).join(",")}] datatype=${h.dtype} vox_offset=${h.voxOffset}`;
    if (!(need <= maxBytes)) {
      this.#fail(
        undefined,
        `Cannot read NIfTI: decoding needs ${mib(need)} MiB, above the limit maxBytes=${mib(maxBytes)} MiB (raise options.maxBytes to allow it)`,
        dims,
      );
    }
    const end = h.voxOffset + dataBytes;
    const { totalBytes, compressedBytes } = this.#src;
    if (totalBytes !== undefined && end > totalBytes) {
      this.#fail(totalBytes, `Cannot read NIfTI: file is truncated; the header declares ${dataBytes} data bytes at vox_offset ${h.voxOffset}, so ${end} bytes`, `${totalBytes} bytes (${dims})`);
    }
    if (compressedBytes !== undefined && end > compressedBytes * MAX_DEFLATE_RATIO + 1024) {
      this.#fail(
        undefined,
        `Cannot read NIfTI: the gzip stream is too short to hold the declared ${end} bytes (deflate expands at most ${MAX_DEFLATE_RATIO}:1); the file is truncated or its header is wrong`,
        `${compressedBytes} compressed bytes (${dims})`,
      );
    }
    this.#header = h;
    this.#end = end;
    this.#ext = new Uint8Array(extBytes);
    this.#ext.set(this.#pre.subarray(h.headerSize, Math.min(this.#pos, h.voxOffset)));
    this.#data = new Uint8Array(dataBytes);
  }

  #checkFinite(data: Float32Array | Float64Array, voxOffset: number, scalarBytes: number): void {
    let nan = 0;
    let inf = 0;
    let first = -1;
    for (let i = 0; i < data.length; i++) {
      const v = data[i]!;
      if (v - v !== 0) {
        if (first < 0) first = i;
        if (Number.isNaN(v)) nan++;
        else inf++;
      }
    }
    if (first < 0) return;
    const what = `image holds ${nan} NaN and ${inf} infinite voxel values (first at scalar index ${first})`;
    if (this.#opts.onNonFinite === "error") this.#fail(voxOffset + first * scalarBytes, `Cannot read NIfTI: ${what}`);
    this.warn(what);
  }

  /** slope/inter to apply, or undefined (0/NaN slope means unscaled, as nibabel and nifti1.h say). */
  #scaling(h: NiftiHeader): { slope: number; inter: number } | undefined {
    if (this.#opts.applyScaling === false) return undefined;
    const slope = h.sclSlope;
    const inter = Number.isFinite(h.sclInter) ? h.sclInter : 0;
    if (!Number.isFinite(slope) || slope === 0 || (slope === 1 && inter === 0)) return undefined;
    if (dtypeInfo(h.dtype).components > 1) return undefined;
    return { slope, inter };
  }

  /** Builds the image; FormatError when the input ended before the voxels did. */
  finish(): NiftiImage {
    const h = this.#header;
    if (!h) {
      this.#fail(this.#pos, `Cannot read NIfTI: input ends inside the header`, `${this.#pos} bytes`);
    }
    if (!this.complete) {
      this.#fail(this.#pos, `Cannot read NIfTI: ${this.#src.decompressed ? "gzip stream" : "file"} is truncated; the header declares ${this.#end} bytes`, `${this.#pos} bytes`);
    }
    const info = dtypeInfo(h.dtype);
    const bytes = this.#data!;
    if (info.scalarBytes > 1 && h.littleEndian !== HOST_LITTLE_ENDIAN) swapBytes(bytes, info.scalarBytes);
    let data: VoxelArray = viewVoxels(h.dtype, bytes.buffer as ArrayBuffer, 0, bytes.length / info.scalarBytes);
    let dtype: VoxelDType = h.dtype;
    const scaling = this.#scaling(h);
    if (h.sclSlope !== 0 && h.sclSlope !== 1 && Number.isFinite(h.sclSlope) && info.components > 1) {
      this.#warn(`scl_slope/scl_inter ignored for ${h.dtype} data`);
    }
    if (scaling) [data, dtype] = applyScaling(data, h.dtype, scaling.slope, scaling.inter);
    if ((data instanceof Float32Array || data instanceof Float64Array) && this.#opts.onNonFinite !== "ignore") {
      this.#checkFinite(data, h.voxOffset, info.scalarBytes);
    }
    const { affine, source } = resolveAffine(h, this.#opts, this.#src, this.#warn);
    const { shape, channels } = headerShape(h);
    const volume = new Volume({ data: data as never, dtype, shape, channels, affine });
    return {
      volume,
      header: h,
      affineSource: source,
      scaling,
      extensions: parseExtensions(this.#ext!, h, this.#warn),
      warnings: this.#warnings,
    };
  }
}

/** Decodes an uncompressed .nii held in memory (pure; gzip input needs decodeNiftiAsync or readNifti). */
export function decodeNifti(bytes: Uint8Array, opts: NiftiReadOptions & { path?: string } = {}): NiftiImage {
  const dec = new NiftiDecoder({ path: opts.path ?? "<memory>", decompressed: false, totalBytes: bytes.length }, opts);
  dec.push(bytes);
  return dec.finish();
}

function mib(n: number): string {
  return Number.isFinite(n) ? (n / 1024 ** 2).toFixed(1) : "Infinity";
}

/** Bytes per scalar after scaling: float64 where float32 would lose integer precision. */
function scaledBytes(dtype: VoxelDType): number {
  return scaledDType(dtype) === "float64" ? 8 : 4;
}

function scaledDType(dtype: VoxelDType): "float32" | "float64" {
  return dtype === "uint8" || dtype === "int8" || dtype === "uint16" || dtype === "int16" || dtype === "float32" ? "float32" : "float64";
}

function applyScaling(data: VoxelArray, dtype: VoxelDType, slope: number, inter: number): [VoxelArray, VoxelDType] {
  const outType = scaledDType(dtype);
  const out = outType === "float32" ? new Float32Array(data.length) : new Float64Array(data.length);
  if (data instanceof BigInt64Array || data instanceof BigUint64Array) {
    for (let i = 0; i < data.length; i++) out[i] = Number(data[i]!) * slope + inter;
  } else {
    for (let i = 0; i < data.length; i++) out[i] = data[i]! * slope + inter;
  }
  return [out, outType];
}

function swapBytes(b: Uint8Array, size: number): void {
  for (let i = 0; i < b.length; i += size) {
    for (let lo = i, hi = i + size - 1; lo < hi; lo++, hi--) {
      const t = b[lo]!;
      b[lo] = b[hi]!;
      b[hi] = t;
    }
  }
}

/** Parses the extension list; a malformed list is reported and dropped, never fatal (nibabel too). */
function parseExtensions(ext: Uint8Array, h: NiftiHeader, warn: (m: string) => void): NiftiExtension[] {
  if (ext.length < 4 || ext[0] === 0) return [];
  const dv = new DataView(ext.buffer, ext.byteOffset, ext.length);
  const out: NiftiExtension[] = [];
  let p = 4;
  while (p + 8 <= ext.length) {
    const esize = dv.getInt32(p, h.littleEndian);
    const code = dv.getInt32(p + 4, h.littleEndian);
    if (esize < 16 || esize % 16 !== 0 || p + esize > ext.length) {
      warn(`header extension at byte ${h.headerSize + p} has invalid esize ${esize}; extensions from there on are ignored`);
      break;
    }
    out.push({ code, data: ext.slice(p + 8, p + esize) });
    p += esize;
  }
  return out;
}
