// One scan in, one label map out, on the scan's own grid: NaN/Inf policy → preprocessing →
// sliding window (TTA, ensemble) → back to the scan's geometry → optional post-processing.

import { argmax, interpolate, noGrad, tensor, tidy, type Tensor } from "../tensor/index.js";
import type { Volume } from "../volume/index.js";
import type { PlanConfiguration, StoredBox } from "../data/index.js";
import { type MissingBoxPolicy, boxesOnGrid, restrictToBoxes } from "./box-restrict.js";
import { type InferenceModel, patchDHW } from "./model.js";
import type { NonFinitePolicy } from "./non-finite.js";
import { postprocessLabels, type PostprocessOptions } from "./postprocess.js";
import { prepareCase, restoreLabels, uncropAndReorient, type InverseRecord } from "./preprocess.js";
import { slidingWindowLabels, slidingWindowProbabilities, type SlidingWindowOptions } from "./sliding-window.js";
import { windowCount } from "./windows.js";

/** Options of {@link predictVolume}. */
export interface PredictOptions {
  /** Window overlap in [0, 1). @default 0.5 */
  readonly overlap?: number;
  /** Windows per forward pass. @default 1 */
  readonly batchSize?: number;
  /**
   * Mirroring test-time augmentation: true mirrors along the plan's mirror axes (default all
   * three, as recorded with the model), an array names voxel axes (0 = x, 1 = y, 2 = z). Costs 2^axes forward passes. @default false
   */
  readonly tta?: boolean | readonly number[];
  /** NaN/Inf voxels in the scan. @default "error" */
  readonly nonFinite?: NonFinitePolicy;
  readonly postprocess?: PostprocessOptions;
  /**
   * How a prediction made on a resampled grid returns to the scan's grid: "probabilities"
   * resamples the class probabilities trilinearly and takes the argmax there (smoother; needs
   * classes × scan voxels floats), "labels" resamples the label map per class ("label-linear";
   * needs no float volume), "auto" picks "probabilities" when it fits `maxProbabilityBytes`. @default "auto"
   */
  readonly resampleOutput?: "auto" | "probabilities" | "labels";
  /** Memory allowed for the "probabilities" path under "auto". @default 2 GiB */
  readonly maxProbabilityBytes?: number;
  /**
   * Boxes of this scan (labelwise box file entries, voxel or world form on the scan's grid): voxels
   * of an organ outside its box become background, before post-processing.
   */
  readonly boxes?: readonly StoredBox[];
  /** Organs without a box in `boxes`: kept unrestricted or removed. @default "keep" */
  readonly missingBoxes?: MissingBoxPolicy;
  /** Called after every window batch with (windows done, windows in total). */
  readonly onProgress?: (done: number, total: number) => void;
  /** Case id for messages. */
  readonly caseId?: string;
}

/** A prediction and what it cost. */
export interface Prediction {
  /** Label map on the scan's grid with the scan's affine (uint8; uint16 above 256 classes). */
  readonly labels: Volume<"uint8" | "uint16">;
  readonly numClasses: number;
  /** Windows per model and mirror. */
  readonly windows: number;
  /** Network-grid shape (x, y, z). */
  readonly networkShape: readonly [number, number, number];
  /** NaN/Inf voxels replaced under a replacing policy. */
  readonly nonFinite: number;
  /** "labels" or "probabilities": how the result went back to the scan's grid ("none" when no resampling). */
  readonly restoredBy: "none" | "labels" | "probabilities";
  /** Voxels set to background by `boxes` (0 without boxes). */
  readonly outsideBoxes: number;
  /** Wall time per stage in seconds. */
  readonly seconds: { readonly preprocess: number; readonly network: number; readonly restore: number; readonly postprocess: number };
}

/** Stable text of what must agree between ensemble members for one preprocessing to serve all. */
function planKey(p: PlanConfiguration): string {
  return JSON.stringify([p.orientation, p.spacing, p.cropToNonzero, p.resampling, p.normalization, p.patchSize]);
}

/** Checks that the models can share one preprocessing and one accumulator. */
export function checkEnsemble(models: readonly InferenceModel[]): void {
  if (models.length === 0) throw new RangeError("Cannot predict: no model given");
  const first = models[0]!;
  for (const m of models.slice(1)) {
    if (m.numClasses !== first.numClasses) {
      throw new RangeError(`Cannot ensemble: ${m.source} predicts ${m.numClasses} classes but ${first.source} predicts ${first.numClasses}`);
    }
    if (m.inChannels !== first.inChannels) throw new RangeError(`Cannot ensemble: ${m.source} takes ${m.inChannels} channels but ${first.source} takes ${first.inChannels}`);
    if (planKey(m.plan) !== planKey(first.plan)) {
      throw new RangeError(`Cannot ensemble: ${m.source} and ${first.source} were trained with different plans (orientation, spacing, crop, normalisation or patch size); ensemble models of one plan`);
    }
  }
}

function mirrorAxes(tta: PredictOptions["tta"], model: InferenceModel): number[] {
  const axes = tta === true ? model.mirrorAxes : tta ? tta : [];
  for (const a of axes) if (a !== 0 && a !== 1 && a !== 2) throw new RangeError(`tta axes must be voxel axes 0 (x), 1 (y), 2 (z). Received: ${a}`);
  // Voxel axis a (0 = x) is tensor spatial axis 2 − a (0 = D = z).
  return [...new Set(axes)].map((a) => 2 - a);
}

/** Trilinear resampling of probabilities (C, D, H, W) to the cropped grid, argmax, back to the scan. */
function restoreProbabilities(probs: Tensor, inverse: InverseRecord, numClasses: number): Volume<"uint8" | "uint16"> {
  const [cx, cy, cz] = inverse.croppedShape;
  const wide = numClasses > 256;
  const labels = wide ? new Uint16Array(cx * cy * cz) : new Uint8Array(cx * cy * cz);
  tidy(() => {
    // align_corners=false is the "edges" grid of src/volume/resample.ts: the inverse of the way in.
    const up = interpolate(probs.unsqueeze(0), { size: [cz, cy, cx], mode: "trilinear", alignCorners: false }).squeeze(0);
    // argmax yields int64: take it a slab at a time so that only the compact map is whole.
    const slab = Math.max(1, Math.floor((1 << 22) / (cx * cy)));
    for (let z = 0; z < cz; z += slab) {
      const n = Math.min(slab, cz - z);
      tidy(() => {
        const v = argmax(up.slice(1, z, z + n), 0).to(wide ? "int16" : "uint8").dataSync() as Uint8Array | Int16Array;
        labels.set(wide ? new Uint16Array(v.buffer, v.byteOffset, v.length) : (v as Uint8Array), z * cx * cy);
      });
    }
  });
  return uncropAndReorient(labels, inverse);
}

const now = (): number => performance.now() / 1000;

/**
 * Segments one scan with one model or an ensemble (their softmax probabilities averaged) and
 * returns the label map in the scan's original geometry and orientation.
 * @param image the scan as read (channels stacked; any orientation)
 * @param models models sharing one plan (load them once, reuse them for every scan)
 * @throws NonFiniteInputError (default NaN policy), RangeError for mismatched channels or plans
 * @example
 * const model = await loadInferenceModel("runs/hippo/fold_0");
 * const { labels } = predictVolume((await readNifti("case.nii.gz")).volume, [model]);
 * await writeNifti("pred/case.nii.gz", labels);
 */
export function predictVolume(image: Volume, models: readonly InferenceModel[], opts: PredictOptions = {}): Prediction {
  checkEnsemble(models);
  const first = models[0]!;
  const plan = first.plan;
  if (image.channels !== first.inChannels) {
    throw new RangeError(`Cannot predict: the model takes ${first.inChannels} channel(s) but the scan has ${image.channels}`);
  }
  const t0 = now();
  const prepared = prepareCase(image, plan, { nonFinite: opts.nonFinite ?? "error", ...(opts.caseId ? { id: opts.caseId } : {}) });
  const t1 = now();
  const [nx, ny, nz] = prepared.image.shape;
  const patch = patchDHW(plan);
  const sw: SlidingWindowOptions = {
    patchSize: patch,
    overlap: opts.overlap ?? 0.5,
    batchSize: opts.batchSize ?? 1,
    mirrorAxes: mirrorAxes(opts.tta ?? false, first),
    ...(opts.onProgress ? { onProgress: opts.onProgress } : {}),
  };
  const predictors = models.flatMap((m) => m.predictors);
  const inv = prepared.inverse;
  const mode = opts.resampleOutput ?? "auto";
  const probBytes = first.numClasses * 4 * (inv.croppedShape[0] * inv.croppedShape[1] * inv.croppedShape[2] + nx * ny * nz);
  const viaProbabilities = inv.resampled && (mode === "probabilities" || (mode === "auto" && probBytes <= (opts.maxProbabilityBytes ?? 2 * 1024 ** 3)));

  let t2 = t1;
  let labels: Volume<"uint8" | "uint16">;
  noGrad(() =>
    tidy(() => {
      const x = tensor(prepared.image.data, [prepared.image.channels, nz, ny, nx]);
      if (viaProbabilities) {
        const probs = slidingWindowProbabilities(x, predictors, sw);
        t2 = now();
        labels = restoreProbabilities(probs, inv, first.numClasses);
      } else {
        const grid = slidingWindowLabels(x, predictors, sw);
        t2 = now();
        labels = restoreLabels(grid.data, inv);
      }
    }),
  );
  let outsideBoxes = 0;
  if (opts.boxes) {
    const r = restrictToBoxes(labels!, boxesOnGrid(opts.boxes, labels!, first.labels, opts.caseId ? `boxes of ${opts.caseId}` : "boxes"), opts.missingBoxes ?? "keep");
    labels = r.labels;
    outsideBoxes = r.removed;
  }
  const t3 = now();
  const post = opts.postprocess ? postprocessLabels(labels!, opts.postprocess) : labels!;
  const t4 = now();
  return {
    labels: post,
    numClasses: first.numClasses,
    windows: windowCount([nz, ny, nx], patch, sw.overlap ?? 0.5),
    networkShape: [nx, ny, nz],
    nonFinite: prepared.nonFinite,
    restoredBy: !inv.resampled ? "none" : viaProbabilities ? "probabilities" : "labels",
    outsideBoxes,
    seconds: { preprocess: t1 - t0, network: t2 - t1, restore: t3 - t2, postprocess: t4 - t3 },
  };
}
