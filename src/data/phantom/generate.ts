// Synthetic 3-D phantoms: a body with "organs" of varied shapes, sizes and intensities, imaged with
// partial-volume blurring at their edges, a smooth multiplicative bias field and Gaussian or Rician
// noise. Deterministic by seed (byte-identical output). Pure TypeScript: no Node built-ins.
//
// How a case is made:
// 1. Geometry (its own random stream): a body ellipsoid filling the field of view, then one organ
//    per class, placed inside the body with little overlap; later classes are painted over earlier
//    ones, as a lesion sits inside a liver.
// 2. Every tissue is painted into a grid `supersample` times finer than the image. An image voxel's
//    intensity is the mean intensity of its fine voxels (the partial-volume effect); its label is
//    the organ that covers at least half of it (the larger one when two do), else background.
// 3. Intensity (own stream): each tissue's mean is jittered per case; a smooth field
//    exp(strength·g(x)), g a random quadratic polynomial with |g| ≤ 1, multiplies the image.
// 4. Noise (own stream) is added last: Gaussian, or Rician (magnitude of a complex signal with
//    Gaussian noise on both parts, as in MR magnitude images).
// Changing only the noise leaves geometry and intensities unchanged.

import { Volume, type Shape3, type Vec3 as VVec3 } from "../../volume/index.js";
import { PhantomRng, phantomSeed } from "./rng.js";
import { ellipsoidSolid, paintAxisEllipsoid, tubeSolid, type FineGrid, type OrganSolid, type Vec3 } from "./shapes.js";

/** One organ class of the phantom. */
export interface OrganSpec {
  /** Label name (dataset.json). */
  readonly name: string;
  readonly shape: "ellipsoid" | "blob" | "tube";
  /**
   * Size range as a fraction of the field of view: semi-axes for ellipsoids and blobs (per axis of
   * the field of view, each then varied by ±20 %), the radius for tubes (of the mean extent).
   */
  readonly size: readonly [number, number];
  /** Mean intensity (air is 0, body 100). */
  readonly intensity: number;
}

/** The built-in organ classes, in label order (class k is the k-th entry). */
export const PHANTOM_ORGANS: readonly OrganSpec[] = [
  { name: "liver", shape: "blob", size: [0.15, 0.2], intensity: 150 },
  { name: "kidney", shape: "ellipsoid", size: [0.07, 0.1], intensity: 185 },
  { name: "vessel", shape: "tube", size: [0.025, 0.04], intensity: 215 },
  { name: "spleen", shape: "blob", size: [0.07, 0.1], intensity: 125 },
  { name: "lesion", shape: "blob", size: [0.035, 0.055], intensity: 70 },
  { name: "bladder", shape: "ellipsoid", size: [0.06, 0.09], intensity: 45 },
];

/** Intensity of air and of the body outside the organs. */
export const AIR_INTENSITY = 0;
export const BODY_INTENSITY = 100;

/** Options of {@link generatePhantom}. */
export interface PhantomOptions {
  /** Image size [nx, ny, nz]. @default [64, 64, 64] */
  readonly shape?: Shape3;
  /** Voxel size (mm); anisotropic spacing gives thick slices. @default [1, 1, 1] */
  readonly spacing?: VVec3;
  /** Number of organ classes taken from {@link PHANTOM_ORGANS}, or custom organ specs. @default 3 */
  readonly classes?: number | readonly OrganSpec[];
  /** @default 0 */
  readonly seed?: number;
  /** @default "gaussian" */
  readonly noise?: "gaussian" | "rician" | "none";
  /** Noise standard deviation (intensity units). @default 20 */
  readonly noiseSigma?: number;
  /** Bias field strength s: the field lies in [e^−s, e^s]; 0 turns it off. @default 0.2 */
  readonly biasField?: number;
  /** Fine samples per voxel and axis for partial volume; 1 turns it off. @default 2 */
  readonly supersample?: number;
  /** Standard deviation of the per-case shift of each tissue's mean intensity. @default 8 */
  readonly intensityJitter?: number;
  /** World position of voxel (0, 0, 0) (mm, RAS). @default [0, 0, 0] */
  readonly origin?: VVec3;
}

/** A tight voxel box of one organ: index ranges with min inclusive and max exclusive per axis (i, j, k). */
export interface PhantomBox {
  readonly label: number;
  readonly name: string;
  readonly min: VVec3;
  readonly max: VVec3;
}

/** What was drawn for one organ class. */
export interface PhantomOrgan {
  readonly label: number;
  readonly name: string;
  readonly shape: "ellipsoid" | "blob" | "tube";
  /** Centre (mm, voxel coordinates × spacing; add the origin for world coordinates). */
  readonly center: VVec3;
  /** Semi-axes, or [radius, radius, half length] for a tube (mm). */
  readonly radii: VVec3;
  /** Volume of the solid as drawn, before occlusion by later organs (mm³). */
  readonly nominalVolume: number;
  /** Mean intensity in this case (after jitter, before bias and noise). */
  readonly intensity: number;
  /** Voxels labelled with this class. */
  readonly voxels: number;
}

/** A generated case. */
export interface Phantom {
  /** Intensities (float32). */
  readonly image: Volume<"float32">;
  /** Labels (uint8): 0 background, k for the k-th organ class. */
  readonly label: Volume<"uint8">;
  /** One box per organ present in the label map, in label order. */
  readonly boxes: readonly PhantomBox[];
  readonly organs: readonly PhantomOrgan[];
}

/** Random streams of one case. */
const STREAM = { geometry: 1, intensity: 2, bias: 3, noise: 4 } as const;

/** The organ specs the options ask for. */
export function phantomOrgans(classes: PhantomOptions["classes"] = 3): readonly OrganSpec[] {
  if (typeof classes === "number") {
    if (!Number.isInteger(classes) || classes < 1 || classes > PHANTOM_ORGANS.length) {
      throw new RangeError(`Cannot generate a phantom: classes must be 1..${PHANTOM_ORGANS.length} (or a list of organ specs). Received: ${classes}`);
    }
    return PHANTOM_ORGANS.slice(0, classes);
  }
  if (classes.length < 1 || classes.length > 254) throw new RangeError(`Cannot generate a phantom: 1..254 organ specs are needed. Received: ${classes.length}`);
  const names = new Set<string>();
  for (const o of classes) {
    if (!o.name || o.name === "background" || names.has(o.name)) throw new RangeError(`Cannot generate a phantom: organ names must be unique, non-empty and not "background". Received: ${JSON.stringify(o.name)}`);
    names.add(o.name);
    if (!(o.size[0] > 0 && o.size[0] <= o.size[1] && o.size[1] < 0.5)) throw new RangeError(`Cannot generate a phantom: size of "${o.name}" must satisfy 0 < min ≤ max < 0.5. Received: [${o.size.join(", ")}]`);
    if (!["ellipsoid", "blob", "tube"].includes(o.shape)) throw new RangeError(`Cannot generate a phantom: shape of "${o.name}" must be ellipsoid, blob or tube. Received: ${String(o.shape)}`);
    if (!Number.isFinite(o.intensity)) throw new RangeError(`Cannot generate a phantom: intensity of "${o.name}" must be finite. Received: ${o.intensity}`);
  }
  return classes;
}

interface Resolved {
  readonly shape: Shape3;
  readonly spacing: VVec3;
  readonly organs: readonly OrganSpec[];
  readonly seed: number;
  readonly noise: "gaussian" | "rician" | "none";
  readonly sigma: number;
  readonly bias: number;
  readonly factor: number;
  readonly jitter: number;
  readonly origin: VVec3;
}

function resolve(o: PhantomOptions): Resolved {
  const fail = (what: string, v: unknown) => new RangeError(`Cannot generate a phantom: ${what}. Received: ${JSON.stringify(v)}`);
  const shape = o.shape ?? [64, 64, 64];
  if (shape.length !== 3 || !shape.every((n) => Number.isInteger(n) && n >= 4 && n <= 2048)) throw fail("shape must be 3 integers in 4..2048", shape);
  const spacing = o.spacing ?? [1, 1, 1];
  if (spacing.length !== 3 || !spacing.every((s) => Number.isFinite(s) && s > 0)) throw fail("spacing must be 3 positive numbers", spacing);
  const seed = o.seed ?? 0;
  if (!Number.isSafeInteger(seed) || seed < 0) throw fail("seed must be a non-negative integer", seed);
  const noise = o.noise ?? "gaussian";
  if (!["gaussian", "rician", "none"].includes(noise)) throw fail('noise must be "gaussian", "rician" or "none"', noise);
  const sigma = o.noiseSigma ?? 20;
  if (!(sigma >= 0 && Number.isFinite(sigma))) throw fail("noiseSigma must be a finite number ≥ 0", sigma);
  const bias = o.biasField ?? 0.2;
  if (!(bias >= 0 && bias <= 2)) throw fail("biasField must be in [0, 2]", bias);
  const factor = o.supersample ?? 2;
  if (!Number.isInteger(factor) || factor < 1 || factor > 4) throw fail("supersample must be an integer in 1..4", factor);
  const jitter = o.intensityJitter ?? 8;
  if (!(jitter >= 0 && Number.isFinite(jitter))) throw fail("intensityJitter must be a finite number ≥ 0", jitter);
  const origin = o.origin ?? [0, 0, 0];
  if (origin.length !== 3 || !origin.every(Number.isFinite)) throw fail("origin must be 3 finite numbers", origin);
  return { shape, spacing, organs: phantomOrgans(o.classes), seed, noise, sigma, bias, factor, jitter, origin };
}

/** Attempts at placing an organ away from the ones placed before it. */
const PLACEMENT_TRIES = 40;

/** Draws the organ solids of one case (mm coordinates; voxel (0,0,0) at the origin of mm). */
function placeOrgans(rng: PhantomRng, specs: readonly OrganSpec[], extent: Vec3, spacing: VVec3, bodyCenter: Vec3, body: Vec3): OrganSolid[] {
  const bodyMin = Math.min(...body);
  const solids: OrganSolid[] = [];
  const meanExtent = (extent[0] + extent[1] + extent[2]) / 3;
  // Coordinates of voxel centres run from 0 to (n − 1)·s; the field of view adds half a voxel each side.
  const lowMm = spacing.map((s) => -s / 2) as Vec3;
  const at = (a: number, f: number) => lowMm[a]! + f * extent[a]!;
  for (const spec of specs) {
    if (spec.shape === "tube") {
      // Vessels run past other organs, as real ones do; only their ends are kept inside the body.
      const center: Vec3 = [at(0, rng.uniform(0.4, 0.6)), at(1, rng.uniform(0.4, 0.6)), at(2, rng.uniform(0.4, 0.6))];
      const dir = rng.direction();
      // The longest half length that keeps both ends within 10 %…90 % of the field of view.
      let half = 0.4 * meanExtent;
      for (let a = 0; a < 3; a++) {
        const d = Math.abs(dir[a]!);
        if (d > 1e-9) half = Math.min(half, Math.min(center[a]! - at(a, 0.1), at(a, 0.9) - center[a]!) / d);
      }
      solids.push(tubeSolid(rng, center, dir, half, rng.uniform(spec.size[0], spec.size[1]) * meanExtent));
      continue;
    }
    // Rejection sampling: the first placement clear of the organs before it, else the least overlapping.
    let best: OrganSolid | undefined;
    let bestOverlap = Infinity;
    for (let attempt = 0; attempt < PLACEMENT_TRIES && bestOverlap > 0; attempt++) {
      const f = rng.uniform(spec.size[0], spec.size[1]);
      const radii: Vec3 = [0, 1, 2].map((a) => f * extent[a]! * rng.uniform(0.8, 1.2)) as Vec3;
      const margin = radii.map((r, a) => Math.min(0.45, 0.12 + r / extent[a]!)) as Vec3;
      const center: Vec3 = [0, 1, 2].map((a) => at(a, rng.uniform(margin[a]!, 1 - margin[a]!))) as Vec3;
      const solid = ellipsoidSolid(rng, center, radii, spec.shape === "blob");
      const mean = (radii[0] + radii[1] + radii[2]) / 3;
      // How far the organ would stick out of the body (a conservative estimate), then overlaps.
      const q = Math.hypot(...[0, 1, 2].map((a) => (center[a]! - bodyCenter[a]!) / body[a]!));
      let overlap = Math.max(0, q * bodyMin + Math.max(...radii) - 0.95 * bodyMin);
      for (const o of solids) {
        if (o.kind === "tube") continue;
        const other = (o.radii[0] + o.radii[1] + o.radii[2]) / 3;
        overlap = Math.max(overlap, 0.9 * (mean + other) - Math.hypot(center[0] - o.center[0], center[1] - o.center[1], center[2] - o.center[2]));
      }
      if (overlap < bestOverlap) {
        best = solid;
        bestOverlap = overlap;
      }
    }
    solids.push(best!);
  }
  return solids;
}

/**
 * Generates one phantom case.
 * @returns image (float32) and label (uint8) Volumes on the same grid, tight per-organ boxes, and what was drawn
 * @example
 * const { image, label, boxes } = generatePhantom({ seed: 7, shape: [64, 64, 48], spacing: [1, 1, 2], classes: 4 });
 */
export function generatePhantom(opts: PhantomOptions = {}): Phantom {
  const r = resolve(opts);
  const [nx, ny, nz] = r.shape;
  const n = nx * ny * nz;
  const f = r.factor;
  const extent: Vec3 = [nx * r.spacing[0], ny * r.spacing[1], nz * r.spacing[2]];
  const geo = new PhantomRng(phantomSeed(r.seed, STREAM.geometry));

  const grid: FineGrid = { tissue: new Uint8Array(n * f * f * f), shape: [nx * f, ny * f, nz * f], factor: f, spacing: r.spacing };
  const c: Vec3 = [0, 1, 2].map((a) => extent[a]! / 2 - r.spacing[a]! / 2) as Vec3;
  const body: Vec3 = [0.46 * extent[0], 0.44 * extent[1], 0.49 * extent[2]];
  paintAxisEllipsoid(grid, c, body, 1);
  const solids = placeOrgans(geo, r.organs, extent, r.spacing, c, body);
  solids.forEach((s, k) => s.paint(grid, k + 2));

  const rint = new PhantomRng(phantomSeed(r.seed, STREAM.intensity));
  const means = new Float64Array(r.organs.length + 2);
  means[0] = AIR_INTENSITY;
  means[1] = BODY_INTENSITY + r.jitter * rint.normal();
  r.organs.forEach((o, k) => (means[k + 2] = o.intensity + r.jitter * rint.normal()));

  const { image, label } = downsample(grid, r.shape, means);
  if (r.bias > 0) applyBias(image, r.shape, r.bias, new PhantomRng(phantomSeed(r.seed, STREAM.bias)));
  if (r.noise !== "none" && r.sigma > 0) addNoise(image, r.noise, r.sigma, new PhantomRng(phantomSeed(r.seed, STREAM.noise)));

  const boxes = labelBoxes(label, r.shape, r.organs);
  const counts = new Float64Array(r.organs.length + 1);
  for (let i = 0; i < n; i++) counts[label[i]!]!++;
  const geometry = { shape: r.shape, spacing: r.spacing, origin: r.origin };
  return {
    image: Volume.fromGeometry({ data: image, dtype: "float32", ...geometry }),
    label: Volume.fromGeometry({ data: label, dtype: "uint8", ...geometry }),
    boxes,
    organs: r.organs.map((o, k) => ({
      label: k + 1,
      name: o.name,
      shape: o.shape,
      center: solids[k]!.center,
      radii: solids[k]!.radii,
      nominalVolume: solids[k]!.nominalVolume,
      intensity: means[k + 2]!,
      voxels: counts[k + 1]!,
    })),
  };
}

/** Partial-volume intensities and majority labels of the image voxels from the fine tissue grid. */
function downsample(g: FineGrid, shape: Shape3, means: Float64Array): { image: Float32Array; label: Uint8Array } {
  const [nx, ny, nz] = shape;
  const f = g.factor;
  const [fx, fy] = g.shape;
  const image = new Float32Array(nx * ny * nz);
  const label = new Uint8Array(nx * ny * nz);
  const counts = new Int32Array(means.length);
  const per = f * f * f;
  for (let k = 0, i = 0; k < nz; k++) {
    for (let j = 0; j < ny; j++) {
      for (let x = 0; x < nx; x++, i++) {
        counts.fill(0);
        for (let c = 0; c < f; c++) {
          for (let b = 0; b < f; b++) {
            const row = x * f + fx * (j * f + b + fy * (k * f + c));
            for (let a = 0; a < f; a++) counts[g.tissue[row + a]!]!++;
          }
        }
        let sum = 0;
        let best = 0;
        for (let t = 0; t < counts.length; t++) {
          sum += counts[t]! * means[t]!;
          if (t >= 2 && counts[t]! > 0 && counts[t]! >= (best === 0 ? 0 : counts[best]!)) best = t;
        }
        image[i] = sum / per;
        if (best >= 2 && 2 * counts[best]! >= per) label[i] = best - 1;
      }
    }
  }
  return { image, label };
}

/** Multiplies by exp(s·g), g a random quadratic in coordinates scaled to [−1, 1], normalised so |g| ≤ 1. */
function applyBias(image: Float32Array, shape: Shape3, s: number, rng: PhantomRng): void {
  const [nx, ny, nz] = shape;
  const c = Array.from({ length: 9 }, () => rng.normal());
  const norm = c.reduce((acc, v) => acc + Math.abs(v), 0) || 1;
  const w = c.map((v) => (s * v) / norm);
  const u = (i: number, n: number) => (n > 1 ? (2 * i) / (n - 1) - 1 : 0);
  for (let k = 0, i = 0; k < nz; k++) {
    const z = u(k, nz);
    for (let j = 0; j < ny; j++) {
      const y = u(j, ny);
      for (let x0 = 0; x0 < nx; x0++, i++) {
        const x = u(x0, nx);
        // Each term lies in [−1, 1] on the grid, so |g| ≤ Σ|w| = s.
        const g = w[0]! * x + w[1]! * y + w[2]! * z + w[3]! * x * y + w[4]! * x * z + w[5]! * y * z + w[6]! * (2 * x * x - 1) + w[7]! * (2 * y * y - 1) + w[8]! * (2 * z * z - 1);
        image[i] = image[i]! * Math.exp(g);
      }
    }
  }
}

function addNoise(image: Float32Array, kind: "gaussian" | "rician", sigma: number, rng: PhantomRng): void {
  if (kind === "gaussian") {
    for (let i = 0; i < image.length; i++) image[i] = image[i]! + sigma * rng.normal();
    return;
  }
  for (let i = 0; i < image.length; i++) {
    const re = image[i]! + sigma * rng.normal();
    const im = sigma * rng.normal();
    image[i] = Math.sqrt(re * re + im * im);
  }
}

/** Tight boxes of every class present (min inclusive, max exclusive). */
function labelBoxes(label: Uint8Array, shape: Shape3, organs: readonly OrganSpec[]): PhantomBox[] {
  const [nx, ny, nz] = shape;
  const k = organs.length;
  const lo = new Int32Array(3 * (k + 1)).fill(0x7fffffff);
  const hi = new Int32Array(3 * (k + 1)).fill(-1);
  for (let z = 0, i = 0; z < nz; z++) {
    for (let y = 0; y < ny; y++) {
      for (let x = 0; x < nx; x++, i++) {
        const v = label[i]!;
        if (v === 0) continue;
        const o = 3 * v;
        if (x < lo[o]!) lo[o] = x;
        if (x > hi[o]!) hi[o] = x;
        if (y < lo[o + 1]!) lo[o + 1] = y;
        if (y > hi[o + 1]!) hi[o + 1] = y;
        if (z < lo[o + 2]!) lo[o + 2] = z;
        if (z > hi[o + 2]!) hi[o + 2] = z;
      }
    }
  }
  const out: PhantomBox[] = [];
  for (let v = 1; v <= k; v++) {
    const o = 3 * v;
    if (hi[o]! < 0) continue;
    out.push({ label: v, name: organs[v - 1]!.name, min: [lo[o]!, lo[o + 1]!, lo[o + 2]!], max: [hi[o]! + 1, hi[o + 1]! + 1, hi[o + 2]! + 1] });
  }
  return out;
}
