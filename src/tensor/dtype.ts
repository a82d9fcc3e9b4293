// Tensor element types and their mapping to c10::ScalarType codes and JS typed arrays.

/** Element types a Tensor can hold. */
export type DType = "float32" | "float64" | "float16" | "int64" | "int32" | "int16" | "int8" | "uint8" | "bool";

/** c10::ScalarType enum values (c10/core/ScalarType.h), stable across libtorch 1.x and 2.x. */
const SCALAR_TYPE: Readonly<Record<DType, number>> = {
  uint8: 0,
  int8: 1,
  int16: 2,
  int32: 3,
  int64: 4,
  float16: 5,
  float32: 6,
  float64: 7,
  bool: 11,
};

const BY_CODE = new Map<number, DType>(Object.entries(SCALAR_TYPE).map(([k, v]) => [v, k as DType]));

export type TypedArrayFor<D extends DType> = D extends "float32"
  ? Float32Array
  : D extends "float64"
    ? Float64Array
    : D extends "int64"
      ? BigInt64Array
      : D extends "int32"
        ? Int32Array
        : D extends "int16"
          ? Int16Array
          : D extends "int8"
            ? Int8Array
            : D extends "float16"
              ? Uint16Array
              : Uint8Array;

export type AnyTypedArray =
  | Float32Array
  | Float64Array
  | BigInt64Array
  | Int32Array
  | Int16Array
  | Int8Array
  | Uint16Array
  | Uint8Array;

export function scalarTypeOf(dtype: DType): number {
  const code = SCALAR_TYPE[dtype];
  if (code === undefined) throw new TypeError(`Unknown dtype. Received: ${String(dtype)}`);
  return code;
}

export function dtypeOfScalarType(code: number): DType {
  const d = BY_CODE.get(code);
  if (!d) throw new TypeError(`Unsupported libtorch scalar type code ${code}`);
  return d;
}

export function isFloatingDType(dtype: DType): boolean {
  return dtype === "float32" || dtype === "float64" || dtype === "float16";
}

/** The typed array class that holds elements of `dtype` (bool as 0/1 bytes, float16 as raw bits). */
export function typedArrayCtor(dtype: DType) {
  switch (dtype) {
    case "float32":
      return Float32Array;
    case "float64":
      return Float64Array;
    case "int64":
      return BigInt64Array;
    case "int32":
      return Int32Array;
    case "int16":
      return Int16Array;
    case "int8":
      return Int8Array;
    case "float16":
      return Uint16Array;
    case "uint8":
    case "bool":
      return Uint8Array;
  }
}

/** The dtype a typed array naturally holds (Uint8Array is uint8; pass dtype "bool" explicitly for masks). */
export function dtypeOfTypedArray(a: AnyTypedArray): DType {
  if (a instanceof Float32Array) return "float32";
  if (a instanceof Float64Array) return "float64";
  if (a instanceof BigInt64Array) return "int64";
  if (a instanceof Int32Array) return "int32";
  if (a instanceof Int16Array) return "int16";
  if (a instanceof Int8Array) return "int8";
  if (a instanceof Uint16Array) return "float16";
  return "uint8";
}
