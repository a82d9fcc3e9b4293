// Seeded mutation fuzzer for the NIfTI decoder (no dependency: a PRNG plus field-aware
// mutations finds the same class of bugs fast-check would here, since the input is a fixed
// binary layout). Property: any byte string either decodes to a consistent Volume or throws
// FormatError; never another error type, and never an allocation above maxBytes.
// Long runs: npm run fuzz -- <iterations> [seed]

import { gzipSync } from "node:zlib";
import { allocVoxels, composeAffine, dtypeInfo, Volume, VOXEL_DTYPES } from "../../volume/index.js";
import { FormatError } from "../errors.js";
import { decodeNifti } from "../nifti/decoder.js";
import { encodeNifti } from "../nifti/encode.js";
import { decodeNiftiAsync } from "../nifti/node-file.js";

/** Options of {@link fuzzNifti}. */
export interface FuzzOptions {
  readonly iterations: number;
  /** @default 1 */
  readonly seed?: number;
  /** Fraction of cases also run gzip-compressed through decodeNiftiAsync. @default 0.05 */
  readonly gzipFraction?: number;
  readonly log?: (line: string) => void;
}

/** Outcome counts of a fuzz run. */
export interface FuzzStats {
  decoded: number;
  formatErrors: number;
  messages: Map<string, number>;
}

/** mulberry32: small, seedable, good enough to drive mutations reproducibly. */
function rng(seed: number): () => number {
  let a = seed >>> 0;
  return () => {
    a = (a + 0x6d2b79f5) >>> 0;
    let t = a;
    t = Math.imul(t ^ (t >>> 15), t | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  };
}

const INTERESTING = [0, -1, 1, 2, 3, 7, 8, 16, 348, 352, 540, 544, 32767, -32768, 65535, 2 ** 31 - 1, -(2 ** 31), 2 ** 40, NaN, Infinity, -Infinity, 1e-30, 1e30, 0.5];
/** [offset, kind] of the fields that steer parsing, per version. */
const FIELDS: Record<1 | 2, readonly [number, "i16" | "i32" | "i64" | "f32" | "f64"][]> = {
  1: [[0, "i32"], [40, "i16"], [42, "i16"], [44, "i16"], [46, "i16"], [48, "i16"], [70, "i16"], [72, "i16"], [76, "f32"], [80, "f32"], [84, "f32"], [88, "f32"], [108, "f32"], [112, "f32"], [116, "f32"], [252, "i16"], [254, "i16"], [256, "f32"], [260, "f32"], [280, "f32"], [284, "f32"], [300, "f32"], [320, "f32"], [348, "i32"], [352, "i32"]],
  2: [[0, "i32"], [12, "i16"], [14, "i16"], [16, "i64"], [24, "i64"], [32, "i64"], [40, "i64"], [48, "i64"], [104, "f64"], [112, "f64"], [120, "f64"], [168, "i64"], [176, "f64"], [344, "i32"], [348, "i32"], [352, "f64"], [400, "f64"], [440, "f64"], [540, "i32"], [544, "i32"]],
};

function seedFile(r: () => number): { bytes: Uint8Array; version: 1 | 2 } {
  const dtype = VOXEL_DTYPES[Math.floor(r() * VOXEL_DTYPES.length)]!;
  const shape = [1 + Math.floor(r() * 4), 1 + Math.floor(r() * 4), 1 + Math.floor(r() * 3)] as const;
  const channels = r() < 0.2 ? 2 : 1;
  const data = allocVoxels(dtype, shape[0] * shape[1] * shape[2] * channels);
  const version = r() < 0.5 ? 1 : 2;
  const affine = composeAffine({ spacing: [1 + r(), 1 + r(), 1 + r()], origin: [r() * 100, -r() * 100, r()], direction: [[1, 0, 0], [0, 0, -1], [0, 1, 0]] });
  const ext = r() < 0.3 ? [{ code: 4, data: new Uint8Array(Math.floor(r() * 40)) }] : [];
  return { bytes: encodeNifti(new Volume({ data: data as never, dtype, shape, channels, affine }), { version, extensions: ext }), version };
}

function mutate(b: Uint8Array, version: 1 | 2, r: () => number): Uint8Array {
  let out = b.slice();
  const dv = new DataView(out.buffer);
  const n = 1 + Math.floor(r() * 4);
  for (let m = 0; m < n; m++) {
    const kind = r();
    if (kind < 0.55) {
      const [off, t] = FIELDS[version][Math.floor(r() * FIELDS[version].length)]!;
      const v = INTERESTING[Math.floor(r() * INTERESTING.length)]!;
      const le = r() < 0.95;
      if (off + 8 > out.length) continue;
      const int = Number.isFinite(v) ? Math.trunc(v) : 0;
      if (t === "i16") dv.setInt16(off, int, le);
      else if (t === "i32") dv.setInt32(off, int, le);
      else if (t === "i64") dv.setBigInt64(off, BigInt(int), le);
      else if (t === "f32") dv.setFloat32(off, v, le);
      else dv.setFloat64(off, v, le);
    } else if (kind < 0.85) {
      const i = Math.floor(r() * Math.min(out.length, 560));
      out[i] = Math.floor(r() * 256);
    } else {
      out = out.slice(0, Math.floor(r() * out.length));
      break;
    }
  }
  return out;
}

function check(img: ReturnType<typeof decodeNifti>, maxBytes: number): void {
  const v = img.volume;
  const expected = v.voxelCount * v.channels * dtypeInfo(v.dtype).components;
  if (v.data.length !== expected) throw new Error(`inconsistent volume: ${v.data.length} != ${expected}`);
  if (v.data.byteLength > maxBytes) throw new Error(`allocated ${v.data.byteLength} > maxBytes ${maxBytes}`);
  if (!v.affine.flat().every(Number.isFinite) || !v.spacing.every((s) => s > 0 && Number.isFinite(s))) {
    throw new Error(`non-finite geometry: ${JSON.stringify(v.affine)}`);
  }
}

/**
 * Runs `iterations` mutated inputs through the decoder; throws (with the seed and case number) on
 * the first input that breaks the property.
 */
export async function fuzzNifti(opts: FuzzOptions): Promise<FuzzStats> {
  const seed = opts.seed ?? 1;
  const r = rng(seed);
  const maxBytes = 1 << 20;
  const stats: FuzzStats = { decoded: 0, formatErrors: 0, messages: new Map() };
  for (let it = 0; it < opts.iterations; it++) {
    const { bytes, version } = seedFile(r);
    const input = mutate(bytes, version, r);
    const gz = r() < (opts.gzipFraction ?? 0.05);
    try {
      const img = gz ? await decodeNiftiAsync(gzipSync(input, { level: 1 }), { maxBytes }) : decodeNifti(input, { maxBytes });
      check(img, maxBytes);
      stats.decoded++;
    } catch (e) {
      if (!(e instanceof FormatError)) {
        const hex = Buffer.from(input.subarray(0, 560)).toString("hex");
        throw new Error(`fuzzNifti seed=${seed} case=${it}${gz ? " (gzip)" : ""}: ${(e as Error).stack}\ninput head: ${hex}`);
      }
      stats.formatErrors++;
      const key = e.message.replace(/\(in .*$/s, "").replace(/-?\d[\d.e+-]*/g, "#");
      stats.messages.set(key, (stats.messages.get(key) ?? 0) + 1);
    }
    if (opts.log && (it + 1) % 10000 === 0) opts.log(`${it + 1} cases: ${stats.decoded} decoded, ${stats.formatErrors} FormatError`);
  }
  return stats;
}
