// The intensity part of the augmentation pipeline, per channel of one sample, in a fixed order
// (noise, blur, brightness, contrast, low resolution, gamma) with every draw taken from the
// sample's own generator so a batch is identical on any thread.
import type { Rng } from "../random/index.js";
import type { AugmentationConfig } from "./config.js";
import { gaussianBlur, simulateLowResolution } from "./filters.js";
import { addGaussianNoise, adjustContrast, applyGamma, scaleBrightness } from "./intensity.js";

type Vec3 = readonly [number, number, number];

/** Augments the `channels` channels stored at `offset` of `image` (P voxels each) in place. */
export function augmentIntensity(image: Float32Array, offset: number, channels: number, patch: Vec3, cfg: AugmentationConfig, rng: Rng): void {
  const P = patch[0] * patch[1] * patch[2];
  const ch = (c: number) => image.subarray(offset + c * P, offset + (c + 1) * P);
  if (rng.chance(cfg.noise.p)) {
    const sigma = Math.sqrt(rng.uniform(cfg.noise.variance[0], cfg.noise.variance[1]));
    for (let c = 0; c < channels; c++) addGaussianNoise(ch(c), sigma, () => rng.normal());
  }
  if (rng.chance(cfg.blur.p)) {
    for (let c = 0; c < channels; c++) {
      if (!rng.chance(cfg.blur.pPerChannel)) continue;
      const s = (): number => rng.uniform(cfg.blur.sigma[0], cfg.blur.sigma[1]);
      gaussianBlur(ch(c), patch, [s(), s(), s()]);
    }
  }
  if (rng.chance(cfg.brightness.p)) {
    for (let c = 0; c < channels; c++) scaleBrightness(ch(c), rng.uniform(cfg.brightness.range[0], cfg.brightness.range[1]));
  }
  if (rng.chance(cfg.contrast.p)) {
    for (let c = 0; c < channels; c++) adjustContrast(ch(c), rng.uniform(cfg.contrast.range[0], cfg.contrast.range[1]));
  }
  if (rng.chance(cfg.lowResolution.p)) {
    for (let c = 0; c < channels; c++) {
      if (!rng.chance(cfg.lowResolution.pPerChannel)) continue;
      simulateLowResolution(ch(c), patch, rng.uniform(cfg.lowResolution.zoom[0], cfg.lowResolution.zoom[1]));
    }
  }
  if (rng.chance(cfg.gamma.pInverted)) {
    for (let c = 0; c < channels; c++) applyGamma(ch(c), rng.uniform(cfg.gamma.range[0], cfg.gamma.range[1]), true);
  }
  if (rng.chance(cfg.gamma.p)) {
    for (let c = 0; c < channels; c++) applyGamma(ch(c), rng.uniform(cfg.gamma.range[0], cfg.gamma.range[1]), false);
  }
}
