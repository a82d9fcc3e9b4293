// Node-only NIfTI file helpers. node:fs, node:zlib and the atomic writer are imported lazily,
// inside the functions, so that importing the io folder in a browser never touches Node built-ins;
// only calling these functions does.
//
// gzip is inflated as a stream straight into the decoder, which stops reading as soon as the
// declared image is complete: output is capped at exactly vox_offset + data bytes (the role
// zlib's maxOutputLength plays for one-shot calls, without failing on legitimate trailing bytes),
// and no decompressed copy of the whole file ever exists next to the voxel buffer.

import type { Readable } from "node:stream";
import type { Volume } from "../../volume/index.js";
import { FormatError } from "../errors.js";
import { NiftiDecoder, decodeNifti, type NiftiImage, type NiftiReadOptions } from "./decoder.js";
import { encodeNiftiHeader, voxelBytesLE, type NiftiWriteOptions } from "./encode.js";

/** Options for writing a NIfTI file. */
export interface NiftiFileWriteOptions extends NiftiWriteOptions {
  /** zlib level for .nii.gz (1 fastest … 9 smallest). @default 6 */
  readonly gzipLevel?: number;
  /** fsync file and directory (turn off for scratch files and tests). @default true */
  readonly fsync?: boolean;
}

/** Decompressed bytes tolerated after the image while looking for the end of the gzip stream. */
const MAX_TRAILING = 1 << 20;

function isGzip(b: Uint8Array): boolean {
  return b.length >= 2 && b[0] === 0x1f && b[1] === 0x8b;
}

/**
 * Reads a .nii or .nii.gz file (gzip detected from the content, not the name).
 * @throws FormatError for malformed files and for images above options.maxBytes.
 * @example
 * const { volume, warnings } = await readNifti("imagesTr/case_0000.nii.gz");
 */
export async function readNifti(path: string, opts: NiftiReadOptions = {}): Promise<NiftiImage> {
  const { open } = await import("node:fs/promises");
  const fh = await open(path, "r");
  try {
    const size = (await fh.stat()).size;
    const magic = new Uint8Array(2);
    await fh.read(magic, 0, 2, 0);
    const gz = isGzip(magic);
    const dec = new NiftiDecoder({ path, decompressed: gz, ...(gz ? { compressedBytes: size } : { totalBytes: size }) }, opts);
    await feed(fh.createReadStream({ start: 0, highWaterMark: 1 << 20, autoClose: false }), gz, dec, path);
    return dec.finish();
  } finally {
    await fh.close();
  }
}

/**
 * Decodes .nii or .nii.gz bytes held in memory (gzip inflated with node:zlib, capped as in readNifti).
 * @example
 * const img = await decodeNiftiAsync(await fetchBytes(url));
 */
export async function decodeNiftiAsync(bytes: Uint8Array, opts: NiftiReadOptions & { path?: string } = {}): Promise<NiftiImage> {
  const path = opts.path ?? "<memory>";
  if (!isGzip(bytes)) return decodeNifti(bytes, { ...opts, path });
  const { Readable } = await import("node:stream");
  const dec = new NiftiDecoder({ path, decompressed: true, compressedBytes: bytes.length }, opts);
  await feed(Readable.from([bytes], { objectMode: false }), true, dec, path);
  return dec.finish();
}

/** Pipes `source` (through gunzip when `gz`) into the decoder until it is complete or the input ends. */
async function feed(source: Readable, gz: boolean, dec: NiftiDecoder, path: string): Promise<void> {
  let stream: Readable = source;
  let gunzip: (Readable & { destroy(e?: Error): unknown }) | undefined;
  if (gz) {
    const zlib = await import("node:zlib");
    const g = zlib.createGunzip({ chunkSize: 1 << 16 });
    source.on("error", (e) => g.destroy(e));
    source.pipe(g);
    stream = gunzip = g;
  }
  let trailing = 0;
  try {
    for await (const chunk of stream) {
      const before = dec.received;
      const done = dec.push(chunk as Uint8Array);
      if (!done) continue;
      if (!gz) break;
      // Keep inflating a little past the image so zlib reaches the gzip trailer and verifies the
      // CRC and length (a half-written .nii.gz must fail, as it does in nibabel); stop at once if
      // the stream goes on (trailing members, a bomb).
      trailing += chunk.length - (dec.received - before);
      if (trailing > MAX_TRAILING) {
        dec.warn(`gzip stream continues past the image; stopped after ${trailing} trailing bytes without reading the rest`);
        break;
      }
    }
  } catch (e) {
    if (e instanceof FormatError || !gz) throw e;
    const code = (e as { code?: string }).code;
    const truncated = code === "Z_BUF_ERROR";
    throw new FormatError({
      path,
      offset: dec.received,
      decompressed: true,
      message: truncated
        ? "Cannot read NIfTI: gzip stream is truncated (it ends before the image data)"
        : "Cannot read NIfTI: gzip data is corrupt",
      received: `${code ?? "error"}: ${(e as Error).message}`,
      cause: e,
    });
  } finally {
    source.destroy();
    gunzip?.destroy();
  }
}

/**
 * Writes a Volume to .nii or .nii.gz (gzip chosen by the name) atomically: the target holds either
 * its old content or the complete new file, never a prefix.
 * @example
 * await writeNifti("pred/case_001.nii.gz", labels);
 */
export async function writeNifti(path: string, volume: Volume, opts: NiftiFileWriteOptions = {}): Promise<void> {
  const gz = path.endsWith(".nii.gz");
  if (!gz && !path.endsWith(".nii")) {
    throw new RangeError(`Cannot write NIfTI: path must end in .nii or .nii.gz. Received: ${path}`);
  }
  const level = opts.gzipLevel ?? 6;
  if (!Number.isInteger(level) || level < 0 || level > 9) throw new RangeError(`Cannot write NIfTI: gzipLevel must be 0..9. Received: ${level}`);
  const parts = [encodeNiftiHeader(volume, opts), voxelBytesLE(volume)];
  const { writeFileAtomic } = await import("../../util/index.js");
  const atomic = { fsync: opts.fsync ?? true };
  if (!gz) {
    await writeFileAtomic(path, parts, atomic);
    return;
  }
  const [{ Readable }, zlib] = await Promise.all([import("node:stream"), import("node:zlib")]);
  const g = zlib.createGzip({ level });
  const src = Readable.from(parts, { objectMode: false });
  src.on("error", (e) => g.destroy(e));
  await writeFileAtomic(path, src.pipe(g) as AsyncIterable<Uint8Array>, atomic);
}
