// Test fixtures for the training data pipeline: in-memory preprocessed cases (spheres and boxes on
// small grids) and a cache folder of them, so sampling, augmentation and loader tests need no NIfTI.
import { mkdtemp } from "node:fs/promises";
import { tmpdir } from "node:os";
import path from "node:path";
import type { Mat4 } from "../../volume/index.js";
import { defaultAugmentation, noAugmentation, type AugmentationConfig } from "../augment/index.js";
import { type CaseBox, type PreprocessedCase, sampleClassLocations, writeCase } from "../preprocess/index.js";
import { Rng } from "../random/index.js";
import type { SamplerConfig } from "../sampling/index.js";

type Int3 = [number, number, number];
const IDENTITY: Mat4 = [
  [1, 0, 0, 0],
  [0, 1, 0, 0],
  [0, 0, 1, 0],
  [0, 0, 0, 1],
];

export interface SphereCaseOptions {
  shape?: Int3;
  centre?: Int3;
  radius?: number;
  /** Label of the sphere. @default 1 */
  value?: number;
  /** Image = label value (exact alignment checks) or label plus a smooth ramp and noise. @default "label" */
  image?: "label" | "textured";
  channels?: number;
  withLabel?: boolean;
  boxes?: CaseBox[] | null;
}

/** A case with one sphere (and label 2 in a small cube at the origin corner when there is room). */
export function sphereCase(id: string, o: SphereCaseOptions = {}): PreprocessedCase {
  const shape = o.shape ?? [24, 20, 16];
  const [nx, ny, nz] = shape;
  const centre = o.centre ?? [Math.floor(nx / 2), Math.floor(ny / 2), Math.floor(nz / 2)];
  const r = o.radius ?? 4;
  const n = nx * ny * nz;
  const label = new Uint8Array(n);
  for (let z = 0; z < nz; z++)
    for (let y = 0; y < ny; y++)
      for (let x = 0; x < nx; x++) {
        const i = x + nx * (y + ny * z);
        if ((x - centre[0]) ** 2 + (y - centre[1]) ** 2 + (z - centre[2]) ** 2 <= r * r) label[i] = o.value ?? 1;
        else if (x < 3 && y < 3 && z < 3 && nx > 8) label[i] = 2;
      }
  const channels = o.channels ?? 1;
  const image = new Float32Array(n * channels);
  const rng = new Rng(7);
  for (let c = 0; c < channels; c++)
    for (let i = 0; i < n; i++) image[c * n + i] = o.image === "textured" ? label[i]! + 0.01 * (i % nx) + 0.05 * rng.normal() + c : label[i]!;
  return {
    id,
    shape,
    channels,
    image,
    label: o.withLabel === false ? null : label,
    classLocations: sampleClassLocations(label, 10000, new Rng(1), null),
    boxes: o.boxes ?? null,
    meta: { spacing: [1, 1, 1], affine: IDENTITY, originalShape: shape, originalSpacing: [1, 1, 1], originalOrientation: "RAS", cropStart: [0, 0, 0], cropEnd: shape },
  };
}

/** A sampler config over the given case ids (labelled stream only unless composition says otherwise). */
export function samplerConfig(over: Partial<SamplerConfig> & { ids?: string[] } = {}): SamplerConfig {
  const { ids = ["a", "b"], ...rest } = over;
  return {
    seed: 5,
    patchSize: [16, 16, 8],
    spacing: [1, 1, 1],
    channels: 1,
    numClasses: 3,
    maxLabelValue: 2,
    composition: { labelled: 2, unlabelled: 0, boxes: 0 },
    cases: { labelled: ids, unlabelled: ids, boxes: ids },
    foregroundOversampling: 0.33,
    augmentation: noAugmentation(),
    ...rest,
  };
}

/** Default augmentation with every probability raised to 1 (each transform always applied). */
export function allAugmentations(): AugmentationConfig {
  const d = defaultAugmentation();
  return {
    ...d,
    rotation: { ...d.rotation, p: 1 },
    scaling: { ...d.scaling, p: 1 },
    elastic: { ...d.elastic, p: 1 },
    mirror: { ...d.mirror, p: 0.5 },
    rot90: { p: 1 },
    noise: { ...d.noise, p: 1 },
    blur: { ...d.blur, p: 1 },
    brightness: { ...d.brightness, p: 1 },
    contrast: { ...d.contrast, p: 1 },
    lowResolution: { ...d.lowResolution, p: 1 },
    gamma: { ...d.gamma, p: 1 },
  };
}

/** Writes cases into a fresh temp cache folder and returns its path. */
export async function cacheOf(cases: readonly PreprocessedCase[]): Promise<string> {
  const dir = await mkdtemp(path.join(tmpdir(), "labelwise-cache-"));
  for (const pc of cases) await writeCase(dir, pc, "test-hash", [], false);
  return dir;
}
