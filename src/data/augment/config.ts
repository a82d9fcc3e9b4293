// Augmentation settings, validated with zod (strict: a misspelt key is an error). Defaults follow
// nnU-Net v2's training transforms in spirit (probabilities and ranges), with elastic deformation
// and rot90 available but off by default as there.
import { z } from "zod";

const Range = z.tuple([z.number(), z.number()]).refine(([a, b]) => a <= b, { message: "range must be [low, high] with low <= high" });
const Prob = z.number().min(0).max(1);

/** zod schema of the augmentation settings. */
export const AugmentationSchema = z.strictObject({
  /** Rotation about each axis, degrees; only about the coarse axis (in-plane) when spacing is anisotropic. */
  rotation: z.strictObject({ p: Prob.default(0.2), degrees: Range.default([-30, 30]) }).default({ p: 0.2, degrees: [-30, 30] }),
  /** Isotropic zoom factor (> 1 enlarges). */
  scaling: z.strictObject({ p: Prob.default(0.2), range: Range.default([0.7, 1.4]) }).default({ p: 0.2, range: [0.7, 1.4] }),
  /** Smooth random displacements: normal control-point offsets (voxels) on a coarse grid, trilinearly interpolated. */
  elastic: z
    .strictObject({ p: Prob.default(0), magnitude: Range.default([0, 2]), gridSpacing: z.number().positive().default(8) })
    .default({ p: 0, magnitude: [0, 2], gridSpacing: 8 }),
  /** Mirroring, independently per axis with probability p. */
  mirror: z.strictObject({ p: Prob.default(0.5), axes: z.array(z.enum(["x", "y", "z"])).default(["x", "y", "z"]) }).default({ p: 0.5, axes: ["x", "y", "z"] }),
  /** Rotation by a multiple of 90° in a plane whose two axes have equal patch edge and spacing. */
  rot90: z.strictObject({ p: Prob.default(0) }).default({ p: 0 }),
  /** Additive Gaussian noise with variance drawn from `variance`. */
  noise: z.strictObject({ p: Prob.default(0.1), variance: Range.default([0, 0.1]) }).default({ p: 0.1, variance: [0, 0.1] }),
  /** Gaussian blur with a per-axis sigma (voxels), applied per channel with probability `pPerChannel`. */
  blur: z.strictObject({ p: Prob.default(0.2), sigma: Range.default([0.5, 1]), pPerChannel: Prob.default(0.5) }).default({ p: 0.2, sigma: [0.5, 1], pPerChannel: 0.5 }),
  /** Multiplicative brightness. */
  brightness: z.strictObject({ p: Prob.default(0.15), range: Range.default([0.75, 1.25]) }).default({ p: 0.15, range: [0.75, 1.25] }),
  /** Contrast around the mean, clipped to the channel's previous range. */
  contrast: z.strictObject({ p: Prob.default(0.15), range: Range.default([0.75, 1.25]) }).default({ p: 0.15, range: [0.75, 1.25] }),
  /** Low-resolution simulation: nearest downsampling by a zoom in `zoom`, trilinear upsampling back. */
  lowResolution: z.strictObject({ p: Prob.default(0.25), zoom: Range.default([0.5, 1]), pPerChannel: Prob.default(0.5) }).default({ p: 0.25, zoom: [0.5, 1], pPerChannel: 0.5 }),
  /** Gamma on the range-normalised intensities, mean and std kept; `pInverted` applies it to the negated image. */
  gamma: z.strictObject({ p: Prob.default(0.3), pInverted: Prob.default(0.1), range: Range.default([0.7, 1.5]) }).default({ p: 0.3, pInverted: 0.1, range: [0.7, 1.5] }),
});

/** Augmentation settings (every field filled). */
export type AugmentationConfig = z.infer<typeof AugmentationSchema>;

/** The default settings. */
export function defaultAugmentation(): AugmentationConfig {
  return AugmentationSchema.parse({});
}

/** Settings that change nothing (every probability 0): patches are exact crops. */
export function noAugmentation(): AugmentationConfig {
  const d = defaultAugmentation();
  return {
    ...d,
    rotation: { ...d.rotation, p: 0 },
    scaling: { ...d.scaling, p: 0 },
    elastic: { ...d.elastic, p: 0 },
    mirror: { ...d.mirror, p: 0 },
    rot90: { p: 0 },
    noise: { ...d.noise, p: 0 },
    blur: { ...d.blur, p: 0 },
    brightness: { ...d.brightness, p: 0 },
    contrast: { ...d.contrast, p: 0 },
    lowResolution: { ...d.lowResolution, p: 0 },
    gamma: { ...d.gamma, p: 0, pInverted: 0 },
  };
}
