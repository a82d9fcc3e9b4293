// The batch as the data pipeline hands it to training: plain typed arrays (transferable between
// threads), split into streams by annotation so label-efficient strategies get what they need:
//   labelled   — image + label map (supervised loss),
//   unlabelled — image only (consistency, pseudo-labels, contrastive terms),
//   boxes      — image + per-class box masks and axis-aligned boxes (box supervision).
// Array layouts match tensors: image (N, C, D, H, W), label (N, D, H, W), boxMask (N, K, D, H, W)
// with (D, H, W) = (z, y, x) and x fastest. K = numClasses − 1: channel k is label value k + 1.
import type { AugmentationConfig, PatchOrientation } from "../augment/index.js";

export type StreamName = "labelled" | "unlabelled" | "boxes";
/** Streams in the fixed order batches are built in. */
export const STREAM_NAMES: readonly StreamName[] = ["labelled", "unlabelled", "boxes"];

/** Samples per stream in one batch (0 leaves the stream out). */
export type BatchComposition = Readonly<Record<StreamName, number>>;

/** A box on the patch grid after augmentation: the bounding box of the warped box region. */
export interface PatchBox {
  /** Label value (its box-mask channel is value − 1). */
  readonly value: number;
  /** Voxel ranges [min, max) in tensor axis order (d, h, w) = (z, y, x). */
  readonly min: readonly [number, number, number];
  readonly max: readonly [number, number, number];
  /**
   * The box region reaches the patch border, so the organ may extend beyond the patch (e.g. skip a
   * shape prior that needs the whole organ).
   */
  readonly touchesBorder: boolean;
  /** How the patch was mirrored / turned relative to the case (the same for every box of a sample). */
  readonly orientation: PatchOrientation;
}

/** One stream's samples. */
export interface HostStream {
  readonly caseIds: readonly string[];
  /** N·C·D·H·W float32. */
  readonly image: Float32Array;
  /** N·D·H·W label values (labelled stream), else null. */
  readonly label: Uint8Array | Uint16Array | null;
  /** N·K·D·H·W box masks (boxes stream), else null. */
  readonly boxMask: Uint8Array | null;
  /** Per sample, its boxes present in the patch (boxes stream), else null. */
  readonly boxes: readonly (readonly PatchBox[])[] | null;
  /** Per sample: was the patch centred on foreground (oversampling)? */
  readonly foreground: readonly boolean[];
}

/** One batch, identified by its index in the run's batch sequence. */
export interface HostBatch {
  readonly index: number;
  /** Patch size (x, y, z); the tensor shape is (N, C, z, y, x). */
  readonly patchSize: readonly [number, number, number];
  readonly channels: number;
  readonly streams: Readonly<Partial<Record<StreamName, HostStream>>>;
}

/**
 * Everything needed to build any batch of a run (JSON-able, sent to worker threads). A batch is a
 * pure function of this and its index, so results do not depend on which thread built it or when.
 */
export interface SamplerConfig {
  readonly seed: number;
  readonly patchSize: readonly [number, number, number];
  /** Voxel spacing (x, y, z) of the preprocessed cases (rotations are applied in mm). */
  readonly spacing: readonly [number, number, number];
  readonly channels: number;
  /** Classes incl. background; box masks have numClasses − 1 channels. */
  readonly numClasses: number;
  /** Largest label value a case may hold (the ignore label included): picks uint8 or uint16. */
  readonly maxLabelValue: number;
  readonly composition: BatchComposition;
  /** Case ids each stream draws from (with replacement, uniformly). */
  readonly cases: Readonly<Record<StreamName, readonly string[]>>;
  /** Share of labelled/box samples centred on foreground. @default 0.33 */
  readonly foregroundOversampling: number;
  readonly augmentation: AugmentationConfig;
}
