// Header-only NIfTI read (node-only): shape, channels, dtype and affine of a .nii / .nii.gz file
// without reading or inflating its voxels. Dataset scans, box conversion and MSD import need the
// geometry of many files, not their data. Only the first 348 (NIfTI-1) or 540 (NIfTI-2) bytes are
// used: an uncompressed file gets one small read; a gzip file is inflated in small chunks and the
// inflation stops as soon as the header is complete. Parsing and affine resolution are the same
// functions readNifti uses, so both agree on every check and warning that the header decides.
// node:fs and node:zlib are imported lazily, like in node-file.ts, so the folder stays browser-loadable.

import type { Mat4, Shape3, VoxelDType } from "../../volume/index.js";
import { FormatError } from "../errors.js";
import type { NiftiReadOptions } from "./decoder.js";
import { resolveAffine, type AffineSource } from "./header-affine.js";
import { headerShape, parseNiftiHeader, type NiftiHeader } from "./header.js";

/** What a NIfTI header says about the image. */
export interface NiftiGeometry {
  readonly header: NiftiHeader;
  readonly shape: Shape3;
  /** Product of dim[4..]: channels or time points (1 for a 3-D image). */
  readonly channels: number;
  readonly dtype: VoxelDType;
  readonly affine: Mat4;
  readonly affineSource: AffineSource;
  readonly warnings: readonly string[];
}

/** Longest NIfTI header (NIfTI-2); NIfTI-1 headers are 348 bytes. */
const MAX_HEADER = 540;

/** NIfTI-2 headers are 540 bytes, NIfTI-1 348; sizeof_hdr (either byte order) tells which. */
function headerSize(prefix: Uint8Array): number {
  if (prefix.length < 4) return 348;
  const dv = new DataView(prefix.buffer, prefix.byteOffset, 4);
  return dv.getInt32(0, true) === 540 || dv.getInt32(0, false) === 540 ? 540 : 348;
}

/** The first `max` bytes of the file (fewer if it is shorter), inflated when it is gzip. */
async function headerBytes(path: string, max: number): Promise<{ bytes: Uint8Array; gz: boolean }> {
  const { open } = await import("node:fs/promises");
  const fh = await open(path, "r");
  try {
    const first = new Uint8Array(max);
    const { bytesRead } = await fh.read(first, 0, max, 0);
    const gz = bytesRead >= 2 && first[0] === 0x1f && first[1] === 0x8b;
    if (!gz) return { bytes: first.subarray(0, bytesRead), gz };
    const { createGunzip } = await import("node:zlib");
    // Small compressed reads and small inflated chunks: a header needs a few hundred bytes.
    const src = fh.createReadStream({ start: 0, highWaterMark: 4096, autoClose: false });
    const gunzip = createGunzip({ chunkSize: 1024 });
    src.on("error", (e) => gunzip.destroy(e));
    src.pipe(gunzip);
    const out = new Uint8Array(max);
    let have = 0;
    try {
      for await (const chunk of gunzip) {
        const c = chunk as Uint8Array;
        const take = Math.min(c.length, max - have);
        out.set(c.subarray(0, take), have);
        have += take;
        if (have >= max) break;
      }
    } catch (e) {
      // A stream that fails later still gave us its first bytes; refuse only when they cannot hold a header.
      if (have < 348) {
        throw new FormatError({ path, offset: have, decompressed: true, message: "Cannot read NIfTI header: gzip data is corrupt or truncated", received: (e as Error).message, cause: e });
      }
    } finally {
      src.destroy();
      gunzip.destroy();
    }
    return { bytes: out.subarray(0, have), gz };
  } finally {
    await fh.close();
  }
}

/**
 * Reads and validates only the header of a .nii or .nii.gz file (gzip detected from the content).
 * The voxels are never read, so a file whose data is damaged still yields its geometry.
 * @throws FormatError for a malformed header (the same checks and affine options as readNifti).
 * @example
 * const g = await readNiftiGeometry("imagesTr/case_0000.nii.gz"); g.shape; g.affine; g.dtype;
 */
export async function readNiftiGeometry(path: string, opts: NiftiReadOptions = {}): Promise<NiftiGeometry> {
  const { bytes, gz } = await headerBytes(path, MAX_HEADER);
  const warnings: string[] = [];
  const warn = (m: string) => {
    warnings.push(m);
    opts.onWarning?.(m);
  };
  const src = { path, decompressed: gz };
  const header = parseNiftiHeader(bytes.subarray(0, Math.min(bytes.length, headerSize(bytes))), src, warn, opts);
  const { affine, source } = resolveAffine(header, opts, src, warn);
  const { shape, channels } = headerShape(header);
  return { header, shape, channels, dtype: header.dtype, affine, affineSource: source, warnings };
}
