// The on-disk form of a preprocessed case: `<id>.bin` holds the arrays back to back (each starting
// on an 8-byte boundary: image float32, label uint8/uint16, then per class the sampled foreground
// locations as uint32), `<id>.json` the header (geometry, boxes, segment offsets, the
// preprocessing hash and the source files' size and mtime). Both are written atomically, the
// binary first: the header acts as the commit record, so a crash between the two leaves a header
// that does not describe the binary (size mismatch) or no header, and the case is redone.
// Pure Node + TypedArrays: worker threads read it without the native addon.
import { readFileSync } from "node:fs";
import { z } from "zod";
import { writeFileAtomic, writeJsonAtomic } from "../../util/index.js";
import type { PreprocessedCase } from "./types.js";

export const CACHE_FORMAT = "labelwise-preprocessed";
export const CACHE_VERSION = 1;

const Segment = z.strictObject({ offset: z.number().int().nonnegative(), length: z.number().int().nonnegative() });
const Int3 = z.tuple([z.number().int(), z.number().int(), z.number().int()]);
const Vec3 = z.tuple([z.number(), z.number(), z.number()]);

/** A source file's identity at preprocessing time. */
export const SourceStampSchema = z.strictObject({ path: z.string(), size: z.number().int().nonnegative(), mtimeMs: z.number() });
export type SourceStamp = z.infer<typeof SourceStampSchema>;

/** zod schema of `<id>.json`. */
export const CacheHeaderSchema = z.strictObject({
  format: z.literal(CACHE_FORMAT),
  version: z.literal(CACHE_VERSION),
  id: z.string().min(1),
  preprocessingHash: z.string(),
  sources: z.array(SourceStampSchema),
  shape: Int3,
  channels: z.number().int().positive(),
  labelDType: z.enum(["uint8", "uint16"]).nullable(),
  segments: z.strictObject({ image: Segment, label: Segment.nullable(), locations: z.record(z.string(), Segment) }),
  boxes: z.array(z.strictObject({ label: z.string(), value: z.number().int(), min: Int3, max: Int3 })).nullable(),
  meta: z.strictObject({
    spacing: Vec3,
    affine: z.array(z.array(z.number()).length(4)).length(4),
    originalShape: Int3,
    originalSpacing: Vec3,
    originalOrientation: z.string(),
    cropStart: Int3,
    cropEnd: Int3,
  }),
  /** Size of the binary file. */
  bytes: z.number().int().nonnegative(),
});
export type CacheHeader = z.infer<typeof CacheHeaderSchema>;

/** A corrupt or mismatched cache entry (the caller redoes the case). */
export class CacheFormatError extends Error {
  override readonly name = "CacheFormatError";
  constructor(
    readonly path: string,
    message: string,
  ) {
    super(`Cannot read preprocessed case ${path}: ${message}`);
  }
}

const align8 = (n: number) => Math.ceil(n / 8) * 8;

/** Lays out a case's arrays in one buffer and describes them in a header. */
export function encodeCase(pc: PreprocessedCase, preprocessingHash: string, sources: readonly SourceStamp[]): { header: CacheHeader; bytes: Uint8Array } {
  const parts: { key: string; data: ArrayBufferView }[] = [{ key: "image", data: pc.image }];
  if (pc.label) parts.push({ key: "label", data: pc.label });
  for (const [v, locs] of pc.classLocations) parts.push({ key: `loc:${v}`, data: locs });
  let total = 0;
  const offsets = parts.map((p) => {
    const o = total;
    total = align8(total + p.data.byteLength);
    return o;
  });
  const bytes = new Uint8Array(total);
  parts.forEach((p, i) => bytes.set(new Uint8Array(p.data.buffer, p.data.byteOffset, p.data.byteLength), offsets[i]!));
  const seg = (i: number) => ({ offset: offsets[i]!, length: (parts[i]!.data as unknown as { length: number }).length });
  const locations: Record<string, { offset: number; length: number }> = {};
  parts.forEach((p, i) => {
    if (p.key.startsWith("loc:")) locations[p.key.slice(4)] = seg(i);
  });
  const header: CacheHeader = {
    format: CACHE_FORMAT,
    version: CACHE_VERSION,
    id: pc.id,
    preprocessingHash,
    sources: [...sources],
    shape: [...pc.shape] as [number, number, number],
    channels: pc.channels,
    labelDType: pc.label === null ? null : pc.label instanceof Uint16Array ? "uint16" : "uint8",
    segments: { image: seg(0), label: pc.label ? seg(1) : null, locations },
    boxes: pc.boxes === null ? null : pc.boxes.map((b) => ({ label: b.label, value: b.value, min: [...b.min] as [number, number, number], max: [...b.max] as [number, number, number] })),
    meta: {
      spacing: [...pc.meta.spacing] as [number, number, number],
      affine: pc.meta.affine.map((r) => [...r]),
      originalShape: [...pc.meta.originalShape] as [number, number, number],
      originalSpacing: [...pc.meta.originalSpacing] as [number, number, number],
      originalOrientation: pc.meta.originalOrientation,
      cropStart: [...pc.meta.cropStart] as [number, number, number],
      cropEnd: [...pc.meta.cropEnd] as [number, number, number],
    },
    bytes: total,
  };
  return { header, bytes };
}

/** Paths of a case's two files in `dir`. */
export function casePaths(dir: string, id: string): { bin: string; header: string } {
  return { bin: `${dir}/${id}.bin`, header: `${dir}/${id}.json` };
}

/** Writes a case (binary first, header last), each atomically. */
export async function writeCase(dir: string, pc: PreprocessedCase, preprocessingHash: string, sources: readonly SourceStamp[], fsync = true): Promise<CacheHeader> {
  const { header, bytes } = encodeCase(pc, preprocessingHash, sources);
  const p = casePaths(dir, pc.id);
  await writeFileAtomic(p.bin, bytes, { fsync });
  await writeJsonAtomic(p.header, header, { fsync });
  return header;
}

/** Parses a header file; null when it is missing, CacheFormatError when it is not a valid header. */
export function readHeaderSync(path: string): CacheHeader | null {
  let text: string;
  try {
    text = readFileSync(path, "utf8");
  } catch (e) {
    if ((e as { code?: string }).code === "ENOENT") return null;
    throw e;
  }
  let json: unknown;
  try {
    json = JSON.parse(text);
  } catch {
    throw new CacheFormatError(path, "the header is not valid JSON");
  }
  const r = CacheHeaderSchema.safeParse(json);
  if (!r.success) throw new CacheFormatError(path, `the header does not match the schema (${r.error.issues[0]?.message ?? "?"})`);
  return r.data;
}

function view<T extends Float32Array | Uint8Array | Uint16Array | Uint32Array>(
  ctor: { new (b: ArrayBuffer, o: number, n: number): T; BYTES_PER_ELEMENT: number },
  buf: ArrayBuffer,
  seg: { offset: number; length: number },
  path: string,
): T {
  if (seg.offset + seg.length * ctor.BYTES_PER_ELEMENT > buf.byteLength) throw new CacheFormatError(path, "a segment lies beyond the end of the binary");
  return new ctor(buf, seg.offset, seg.length);
}

/**
 * Reads a case's arrays (views into one buffer) given its header.
 * @throws CacheFormatError when the binary is missing or its size differs from the header's
 */
export function readCaseSync(dir: string, header: CacheHeader): PreprocessedCase {
  const p = casePaths(dir, header.id);
  let raw: Buffer;
  try {
    raw = readFileSync(p.bin);
  } catch (e) {
    throw new CacheFormatError(p.bin, (e as Error).message);
  }
  if (raw.byteLength !== header.bytes) throw new CacheFormatError(p.bin, `${raw.byteLength} bytes on disk, the header records ${header.bytes}`);
  // Typed-array views need aligned offsets; copy in the rare case Node's buffer is not 8-aligned.
  const buf = raw.byteOffset % 8 === 0 ? (raw.buffer as ArrayBuffer) : (new Uint8Array(raw).buffer as ArrayBuffer);
  const base = raw.byteOffset % 8 === 0 ? raw.byteOffset : 0;
  const at = (s: { offset: number; length: number }) => ({ offset: base + s.offset, length: s.length });
  const [nx, ny, nz] = header.shape;
  const n = nx * ny * nz;
  const image = view(Float32Array, buf, at(header.segments.image), p.bin);
  if (image.length !== n * header.channels) throw new CacheFormatError(p.bin, `image segment holds ${image.length} values, shape needs ${n * header.channels}`);
  let label: Uint8Array | Uint16Array | null = null;
  if (header.segments.label) {
    label = header.labelDType === "uint16" ? view(Uint16Array, buf, at(header.segments.label), p.bin) : view(Uint8Array, buf, at(header.segments.label), p.bin);
    if (label.length !== n) throw new CacheFormatError(p.bin, `label segment holds ${label.length} values, shape needs ${n}`);
  }
  const classLocations = new Map<number, Uint32Array>();
  for (const [v, s] of Object.entries(header.segments.locations)) classLocations.set(Number(v), view(Uint32Array, buf, at(s), p.bin));
  return {
    id: header.id,
    shape: header.shape,
    channels: header.channels,
    image,
    label,
    classLocations,
    boxes: header.boxes,
    meta: { ...header.meta, affine: header.meta.affine as unknown as PreprocessedCase["meta"]["affine"] },
  };
}
