// Volume: voxel data plus the geometry that places it in world space (RAS+ mm).
// The affine is the source of truth (NIfTI/nibabel style) because an sform may carry shear that
// spacing/origin/direction cannot express; those three are derived views of it.

import {
  IDENTITY4,
  applyAffine,
  assertAffine,
  composeAffine,
  decomposeAffine,
  invertAffine,
  type Geometry,
  type Mat3,
  type Mat4,
  type Vec3,
} from "./affine.js";
import { arrayMatchesDType, dtypeInfo, dtypeOfArray, type VoxelArrayFor, type VoxelDType } from "./dtype.js";

/** Spatial size [nx, ny, nz] in NIfTI index order (i, j, k); x varies fastest in `data`. */
export type Shape3 = readonly [number, number, number];

/** Arguments of the Volume constructor. */
export interface VolumeInit<D extends VoxelDType> {
  /** Voxels, x fastest, then y, z, then channel; complex/RGB components interleaved per voxel. */
  readonly data: VoxelArrayFor<D>;
  /** Element type; inferred from the array class when omitted (never for complex/RGB). */
  readonly dtype?: D;
  readonly shape: Shape3;
  /** Channels or time points stored after the spatial axes. @default 1 */
  readonly channels?: number;
  /** Voxel (i, j, k) -> world (mm). @default identity */
  readonly affine?: Mat4;
}

/**
 * A 3-D image (optionally multi-channel) with its voxel -> world affine.
 * @example
 * const v = Volume.fromGeometry({ data: new Uint8Array(8), shape: [2, 2, 2], spacing: [1, 1, 2], origin: [0, 0, 0] });
 * v.voxelToWorld([1, 1, 1]); // [1, 1, 2]
 */
export class Volume<D extends VoxelDType = VoxelDType> {
  readonly data: VoxelArrayFor<D>;
  readonly dtype: D;
  readonly shape: Shape3;
  readonly channels: number;
  /** Scalars per voxel (2 complex, 3 RGB, 4 RGBA, else 1). */
  readonly components: number;
  readonly affine: Mat4;
  readonly spacing: Vec3;
  readonly origin: Vec3;
  readonly direction: Mat3;
  #inverse: Mat4 | undefined;

  constructor(init: VolumeInit<D>) {
    const dtype = init.dtype ?? (dtypeOfArray(init.data) as D);
    if (!arrayMatchesDType(init.data, dtype)) {
      throw new TypeError(
        `Cannot create Volume: data does not hold dtype ${dtype}. Received: ${Object.prototype.toString.call(init.data)}`,
      );
    }
    const shape = init.shape;
    if (shape.length !== 3 || !shape.every((n) => Number.isSafeInteger(n) && n > 0)) {
      throw new RangeError(`Cannot create Volume: shape must be 3 positive integers. Received: [${shape.join(",")}]`);
    }
    const channels = init.channels ?? 1;
    if (!Number.isSafeInteger(channels) || channels < 1) {
      throw new RangeError(`Cannot create Volume: channels must be a positive integer. Received: ${channels}`);
    }
    const components = dtypeInfo(dtype).components;
    const expected = shape[0] * shape[1] * shape[2] * channels * components;
    if (init.data.length !== expected) {
      throw new RangeError(
        `Cannot create Volume: data length must be ${expected} (shape [${shape.join(",")}] x ${channels} channels x ${components} components). Received: ${init.data.length}`,
      );
    }
    const affine = init.affine ?? IDENTITY4;
    assertAffine(affine);
    const g = decomposeAffine(affine);
    this.data = init.data;
    this.dtype = dtype;
    this.shape = [shape[0], shape[1], shape[2]];
    this.channels = channels;
    this.components = components;
    this.affine = affine;
    this.spacing = g.spacing;
    this.origin = g.origin;
    this.direction = g.direction;
  }

  /** Builds a Volume from ITK-style geometry; direction defaults to identity. */
  static fromGeometry<D extends VoxelDType>(
    init: Omit<VolumeInit<D>, "affine"> & Partial<Geometry> & { readonly spacing: Vec3; readonly origin: Vec3 },
  ): Volume<D> {
    const { spacing, origin, direction, ...rest } = init;
    const affine = composeAffine({ spacing, origin, direction: direction ?? [[1, 0, 0], [0, 1, 0], [0, 0, 1]] });
    return new Volume({ ...rest, affine });
  }

  /** Number of spatial voxels nx·ny·nz. */
  get voxelCount(): number {
    return this.shape[0] * this.shape[1] * this.shape[2];
  }

  /** Spacing, origin and direction together. */
  get geometry(): Geometry {
    return { spacing: this.spacing, origin: this.origin, direction: this.direction };
  }

  /** Index in `data` of the first scalar of voxel (i, j, k) in channel c; no bounds check. */
  offset(i: number, j: number, k: number, c = 0): number {
    return (i + this.shape[0] * (j + this.shape[1] * (k + this.shape[2] * c))) * this.components;
  }

  /** First scalar of voxel (i, j, k) in channel c; RangeError outside the grid. */
  get(i: number, j: number, k: number, c = 0): number | bigint {
    if (!this.contains(i, j, k) || !Number.isInteger(c) || c < 0 || c >= this.channels) {
      throw new RangeError(`Cannot read voxel: index outside shape [${this.shape.join(",")}]x${this.channels}. Received: (${i},${j},${k},${c})`);
    }
    return this.data[this.offset(i, j, k, c)]!;
  }

  /** Whether integer voxel (i, j, k) lies inside the grid. */
  contains(i: number, j: number, k: number): boolean {
    const [nx, ny, nz] = this.shape;
    return Number.isInteger(i) && Number.isInteger(j) && Number.isInteger(k) && i >= 0 && j >= 0 && k >= 0 && i < nx && j < ny && k < nz;
  }

  /** World position (mm) of continuous voxel coordinates (voxel centres at integers). */
  voxelToWorld(ijk: Vec3): Vec3 {
    return applyAffine(this.affine, ijk);
  }

  /** Continuous voxel coordinates of a world position (mm); round to get the nearest voxel. */
  worldToVoxel(xyz: Vec3): Vec3 {
    this.#inverse ??= invertAffine(this.affine);
    return applyAffine(this.#inverse, xyz);
  }

  /** Same geometry, new data; channels follow from the data length (e.g. a label map for this image). */
  withData<E extends VoxelDType>(data: VoxelArrayFor<E>, dtype?: E): Volume<E> {
    const d = dtype ?? (dtypeOfArray(data) as E);
    const channels = data.length / (this.voxelCount * dtypeInfo(d).components);
    return new Volume<E>({ data, dtype: d, shape: this.shape, channels: Number.isInteger(channels) && channels >= 1 ? channels : 1, affine: this.affine });
  }

  /** Same data, another affine. */
  withAffine(affine: Mat4): Volume<D> {
    return new Volume<D>({ data: this.data, dtype: this.dtype, shape: this.shape, channels: this.channels, affine });
  }
}
