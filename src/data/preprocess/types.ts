// A preprocessed case as the sampler sees it: float32 image channels and a label map on the plan's
// grid (RAS, target spacing, cropped to the non-zero region), plus foreground locations per class
// for oversampling and, for box-annotated cases, the boxes on the same grid.
import type { Mat4 } from "../../volume/index.js";

/** An axis-aligned box on the preprocessed grid: voxel index ranges [min, max) per axis (x, y, z). */
export interface CaseBox {
  /** Label name from dataset.json. */
  readonly label: string;
  /** Label value. */
  readonly value: number;
  readonly min: readonly [number, number, number];
  readonly max: readonly [number, number, number];
}

/** Label maps are stored as uint8, or uint16 when a value exceeds 255. */
export type LabelArray = Uint8Array | Uint16Array;

/** Geometry and provenance of a preprocessed case (JSON-able). */
export interface PreprocessedMeta {
  /** Voxel spacing (x, y, z) in mm. */
  readonly spacing: readonly [number, number, number];
  /** Voxel -> world (RAS mm) of the preprocessed grid. */
  readonly affine: Mat4;
  /** Shape of the first image as stored (original orientation). */
  readonly originalShape: readonly [number, number, number];
  readonly originalSpacing: readonly [number, number, number];
  /** Axis codes of the stored image, e.g. "LPS". */
  readonly originalOrientation: string;
  /** Crop box in the RAS-reoriented original grid. */
  readonly cropStart: readonly [number, number, number];
  readonly cropEnd: readonly [number, number, number];
}

/** One preprocessed case in memory. */
export interface PreprocessedCase {
  readonly id: string;
  /** (x, y, z) voxels. */
  readonly shape: readonly [number, number, number];
  readonly channels: number;
  /** channels · nz · ny · nx values, x fastest then y, z, channel: a (C, D, H, W) tensor layout. */
  readonly image: Float32Array;
  /** nz · ny · nx label values, or null for a case without a label file. */
  readonly label: LabelArray | null;
  /** Sampled flat voxel indices per foreground label value (for foreground oversampling). */
  readonly classLocations: ReadonlyMap<number, Uint32Array>;
  /** Boxes of a box-annotated case, else null. */
  readonly boxes: readonly CaseBox[] | null;
  readonly meta: PreprocessedMeta;
}
