// Header-only NIfTI read: shape, channels, dtype and affine of an image without inflating its
// voxels (box conversion and MSD import need the geometry of many files, not their data).
// Parsing and affine resolution are the io layer's; this only fetches the first bytes.
import { open } from "node:fs/promises";
import { createGunzip } from "node:zlib";
import { FormatError, headerShape, parseNiftiHeader, resolveAffine, type AffineSource, type NiftiHeader, type NiftiReadOptions } from "../../io/index.js";
import type { Mat4, Shape3, VoxelDType } from "../../volume/index.js";

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

/** NIfTI-2 headers are 540 bytes, NIfTI-1 348; sizeof_hdr (either byte order) tells which. */
function headerSize(prefix: Uint8Array): number {
  if (prefix.length < 4) return 348;
  const dv = new DataView(prefix.buffer, prefix.byteOffset, 4);
  return dv.getInt32(0, true) === 540 || dv.getInt32(0, false) === 540 ? 540 : 348;
}

/** First `max` bytes of the file, inflated when it is gzip; stops inflating as soon as it has them. */
async function firstBytes(path: string, max: number): Promise<{ bytes: Uint8Array; gz: boolean }> {
  const fh = await open(path, "r");
  try {
    const magic = new Uint8Array(2);
    const { bytesRead } = await fh.read(magic, 0, 2, 0);
    const gz = bytesRead === 2 && magic[0] === 0x1f && magic[1] === 0x8b;
    if (!gz) {
      const buf = new Uint8Array(max);
      const r = await fh.read(buf, 0, max, 0);
      return { bytes: buf.subarray(0, r.bytesRead), gz };
    }
    const parts: Uint8Array[] = [];
    let have = 0;
    const src = fh.createReadStream({ start: 0, highWaterMark: 1 << 14, autoClose: false });
    const gunzip = createGunzip({ chunkSize: 1 << 12 });
    src.on("error", (e) => gunzip.destroy(e));
    src.pipe(gunzip);
    try {
      for await (const chunk of gunzip) {
        parts.push(chunk as Uint8Array);
        have += (chunk as Uint8Array).length;
        if (have >= max) break;
      }
    } catch (e) {
      // A stream that ends early still gave us its first bytes; only refuse when they are too few.
      if (have < 348) {
        throw new FormatError({ path, offset: have, decompressed: true, message: "Cannot read NIfTI header: gzip data is corrupt or truncated", received: (e as Error).message, cause: e });
      }
    } finally {
      src.destroy();
      gunzip.destroy();
    }
    const bytes = new Uint8Array(have);
    let off = 0;
    for (const p of parts) {
      bytes.set(p, off);
      off += p.length;
    }
    return { bytes: bytes.subarray(0, Math.min(have, max)), gz };
  } finally {
    await fh.close();
  }
}

/**
 * Reads and validates only the header of a .nii or .nii.gz file.
 * @throws FormatError for a malformed header (the same checks as readNifti).
 * @example
 * const g = await readNiftiGeometry("imagesTr/case_0000.nii.gz"); g.shape; g.affine;
 */
export async function readNiftiGeometry(path: string, opts: NiftiReadOptions = {}): Promise<NiftiGeometry> {
  const { bytes, gz } = await firstBytes(path, 540);
  const size = headerSize(bytes);
  const warnings: string[] = [];
  const warn = (m: string) => {
    warnings.push(m);
    opts.onWarning?.(m);
  };
  const src = { path, decompressed: gz };
  const header = parseNiftiHeader(bytes.subarray(0, Math.min(bytes.length, size)), src, warn, opts);
  const { affine, source } = resolveAffine(header, opts, src, warn);
  const { shape, channels } = headerShape(header);
  return { header, shape, channels, dtype: header.dtype, affine, affineSource: source, warnings };
}
