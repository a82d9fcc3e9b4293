// Voxel element types: every NIfTI datatype that has a JavaScript typed-array home.
// float128 and complex256 have none and are refused by the readers, not silently narrowed.

/** Voxel element type names (NIfTI datatype names, lower-case). */
export type VoxelDType =
  | "uint8"
  | "int8"
  | "uint16"
  | "int16"
  | "uint32"
  | "int32"
  | "uint64"
  | "int64"
  | "float32"
  | "float64"
  | "complex64"
  | "complex128"
  | "rgb24"
  | "rgba32";

/** Any typed array a Volume can hold. */
export type VoxelArray =
  | Uint8Array
  | Int8Array
  | Uint16Array
  | Int16Array
  | Uint32Array
  | Int32Array
  | BigUint64Array
  | BigInt64Array
  | Float32Array
  | Float64Array;

/** Typed array type stored for each dtype. */
export type VoxelArrayFor<D extends VoxelDType> = D extends "uint8" | "rgb24" | "rgba32"
  ? Uint8Array
  : D extends "int8"
    ? Int8Array
    : D extends "uint16"
      ? Uint16Array
      : D extends "int16"
        ? Int16Array
        : D extends "uint32"
          ? Uint32Array
          : D extends "int32"
            ? Int32Array
            : D extends "uint64"
              ? BigUint64Array
              : D extends "int64"
                ? BigInt64Array
                : D extends "float32" | "complex64"
                  ? Float32Array
                  : Float64Array;

/** Static facts about one voxel dtype. */
export interface DTypeInfo {
  readonly name: VoxelDType;
  /** NIfTI datatype code (nifti1.h NIFTI_TYPE_*). */
  readonly niftiCode: number;
  /** Bytes of one scalar component (the unit of byte swapping). */
  readonly scalarBytes: number;
  /** Scalar components per voxel: 2 for complex, 3 for RGB, 4 for RGBA, else 1. */
  readonly components: number;
  /** Whether values are BigInt (64-bit integers). */
  readonly bigint: boolean;
  readonly integer: boolean;
  readonly signed: boolean;
}

type Ctor = new (buffer: ArrayBuffer, byteOffset?: number, length?: number) => VoxelArray;

const TABLE: readonly (DTypeInfo & { ctor: Ctor })[] = [
  { name: "uint8", niftiCode: 2, scalarBytes: 1, components: 1, bigint: false, integer: true, signed: false, ctor: Uint8Array },
  { name: "int16", niftiCode: 4, scalarBytes: 2, components: 1, bigint: false, integer: true, signed: true, ctor: Int16Array },
  { name: "int32", niftiCode: 8, scalarBytes: 4, components: 1, bigint: false, integer: true, signed: true, ctor: Int32Array },
  { name: "float32", niftiCode: 16, scalarBytes: 4, components: 1, bigint: false, integer: false, signed: true, ctor: Float32Array },
  { name: "complex64", niftiCode: 32, scalarBytes: 4, components: 2, bigint: false, integer: false, signed: true, ctor: Float32Array },
  { name: "float64", niftiCode: 64, scalarBytes: 8, components: 1, bigint: false, integer: false, signed: true, ctor: Float64Array },
  { name: "rgb24", niftiCode: 128, scalarBytes: 1, components: 3, bigint: false, integer: true, signed: false, ctor: Uint8Array },
  { name: "int8", niftiCode: 256, scalarBytes: 1, components: 1, bigint: false, integer: true, signed: true, ctor: Int8Array },
  { name: "uint16", niftiCode: 512, scalarBytes: 2, components: 1, bigint: false, integer: true, signed: false, ctor: Uint16Array },
  { name: "uint32", niftiCode: 768, scalarBytes: 4, components: 1, bigint: false, integer: true, signed: false, ctor: Uint32Array },
  { name: "int64", niftiCode: 1024, scalarBytes: 8, components: 1, bigint: true, integer: true, signed: true, ctor: BigInt64Array },
  { name: "uint64", niftiCode: 1280, scalarBytes: 8, components: 1, bigint: true, integer: true, signed: false, ctor: BigUint64Array },
  { name: "complex128", niftiCode: 1792, scalarBytes: 8, components: 2, bigint: false, integer: false, signed: true, ctor: Float64Array },
  { name: "rgba32", niftiCode: 2304, scalarBytes: 1, components: 4, bigint: false, integer: true, signed: false, ctor: Uint8Array },
];

const BY_NAME = new Map(TABLE.map((e) => [e.name, e]));
const BY_CODE = new Map(TABLE.map((e) => [e.niftiCode, e]));

/** NIfTI datatype codes that exist in the standard but have no typed array (named for error messages). */
export const UNSUPPORTED_NIFTI_CODES: ReadonlyMap<number, string> = new Map([
  [1, "binary"],
  [1536, "float128"],
  [2048, "complex256"],
]);

/** All supported dtype names, in NIfTI code order. */
export const VOXEL_DTYPES: readonly VoxelDType[] = TABLE.map((e) => e.name);

/** Facts about a dtype; throws TypeError for an unknown name. */
export function dtypeInfo(dtype: VoxelDType): DTypeInfo {
  const e = BY_NAME.get(dtype);
  if (!e) throw new TypeError(`Unknown voxel dtype. Received: ${String(dtype)}`);
  return e;
}

/** The dtype with a NIfTI datatype code, or undefined. */
export function dtypeFromNiftiCode(code: number): VoxelDType | undefined {
  return BY_CODE.get(code)?.name;
}

/** Bytes per voxel (all components). */
export function bytesPerVoxel(dtype: VoxelDType): number {
  const e = dtypeInfo(dtype);
  return e.scalarBytes * e.components;
}

/** Allocates a zeroed array for `voxels` voxels of `dtype`. */
export function allocVoxels<D extends VoxelDType>(dtype: D, voxels: number): VoxelArrayFor<D> {
  const e = BY_NAME.get(dtype)!;
  return new e.ctor(new ArrayBuffer(voxels * e.components * e.scalarBytes)) as VoxelArrayFor<D>;
}

/** Views `buffer` (bytes in host order, aligned) as the typed array of `dtype`. */
export function viewVoxels<D extends VoxelDType>(dtype: D, buffer: ArrayBuffer, byteOffset = 0, scalars?: number): VoxelArrayFor<D> {
  const e = dtypeInfo(dtype) as DTypeInfo & { ctor: Ctor };
  return new e.ctor(buffer, byteOffset, scalars ?? (buffer.byteLength - byteOffset) / e.scalarBytes) as VoxelArrayFor<D>;
}

/** The dtype whose typed array class matches `data` (components=1 types only). */
export function dtypeOfArray(data: VoxelArray): VoxelDType {
  if (data instanceof Uint8Array) return "uint8";
  if (data instanceof Int8Array) return "int8";
  if (data instanceof Uint16Array) return "uint16";
  if (data instanceof Int16Array) return "int16";
  if (data instanceof Uint32Array) return "uint32";
  if (data instanceof Int32Array) return "int32";
  if (data instanceof BigUint64Array) return "uint64";
  if (data instanceof BigInt64Array) return "int64";
  if (data instanceof Float32Array) return "float32";
  if (data instanceof Float64Array) return "float64";
  throw new TypeError(`Cannot infer a voxel dtype from ${Object.prototype.toString.call(data)}`);
}

/** Whether `data` is the typed array class `dtype` is stored in. */
export function arrayMatchesDType(data: VoxelArray, dtype: VoxelDType): boolean {
  const e = dtypeInfo(dtype) as DTypeInfo & { ctor: Ctor };
  return data instanceof e.ctor;
}

/** The smallest unsigned dtype holding labels 0..maxLabel (uint8 or uint16; labels are never float). */
export function labelDType(maxLabel: number): "uint8" | "uint16" {
  if (!Number.isInteger(maxLabel) || maxLabel < 0 || maxLabel > 65535) {
    throw new RangeError(`Cannot pick a label dtype: labels must be integers in [0, 65535]. Received: max=${maxLabel}`);
  }
  return maxLabel <= 255 ? "uint8" : "uint16";
}
