// Elementwise math, comparisons and selection. A number operand uses the Scalar overload.
import { callTensor } from "../dispatch.js";
import type { Tensor } from "../tensor.js";

export type TensorOrNumber = Tensor | number;

function binary(name: string, a: Tensor, b: TensorOrNumber, scalarOverload = "Scalar", tensorOverload = "Tensor"): Tensor {
  return typeof b === "number" ? callTensor(`${name}.${scalarOverload}`, [a, b]) : callTensor(`${name}.${tensorOverload}`, [a, b]);
}

export const add = (a: Tensor, b: TensorOrNumber): Tensor => binary("aten::add", a, b);
export const sub = (a: Tensor, b: TensorOrNumber): Tensor => binary("aten::sub", a, b);
export const mul = (a: Tensor, b: TensorOrNumber): Tensor => binary("aten::mul", a, b);
export const div = (a: Tensor, b: TensorOrNumber): Tensor => binary("aten::div", a, b);
/** `b - a` for a number `b` (Python's `b - a`). */
export const rsub = (a: Tensor, b: number): Tensor => callTensor("aten::rsub.Scalar", [a, b]);
export const pow = (a: Tensor, b: TensorOrNumber): Tensor => binary("aten::pow", a, b, "Tensor_Scalar", "Tensor_Tensor");
export const remainder = (a: Tensor, b: TensorOrNumber): Tensor => binary("aten::remainder", a, b);
export const floorDivide = (a: Tensor, b: TensorOrNumber): Tensor =>
  typeof b === "number" ? callTensor("aten::floor_divide.Scalar", [a, b]) : callTensor("aten::floor_divide", [a, b]);
export const maximum = (a: Tensor, b: Tensor): Tensor => callTensor("aten::maximum", [a, b]);
export const minimum = (a: Tensor, b: Tensor): Tensor => callTensor("aten::minimum", [a, b]);
/** a + value * t1 * t2 */
export const addcmul = (a: Tensor, t1: Tensor, t2: Tensor, value = 1): Tensor => callTensor("aten::addcmul", [a, t1, t2, value]);
/** a + value * t1 / t2 */
export const addcdiv = (a: Tensor, t1: Tensor, t2: Tensor, value = 1): Tensor => callTensor("aten::addcdiv", [a, t1, t2, value]);
/** a + weight * (end - a) */
export const lerp = (a: Tensor, end: Tensor, weight: TensorOrNumber): Tensor =>
  typeof weight === "number" ? callTensor("aten::lerp.Scalar", [a, end, weight]) : callTensor("aten::lerp.Tensor", [a, end, weight]);

const unary = (name: string) => (a: Tensor): Tensor => callTensor(name, [a]);
export const neg = unary("aten::neg");
export const abs = unary("aten::abs");
export const exp = unary("aten::exp");
export const log = unary("aten::log");
export const log1p = unary("aten::log1p");
export const log2 = unary("aten::log2");
export const sqrt = unary("aten::sqrt");
export const rsqrt = unary("aten::rsqrt");
export const square = unary("aten::square");
export const reciprocal = unary("aten::reciprocal");
export const sin = unary("aten::sin");
export const cos = unary("aten::cos");
export const tanh = unary("aten::tanh");
export const sign = unary("aten::sign");
export const floor = unary("aten::floor");
export const ceil = unary("aten::ceil");
export const round = unary("aten::round");
export const isnan = unary("aten::isnan");
export const isfinite = unary("aten::isfinite");
export const logicalNot = unary("aten::logical_not");
export const logicalAnd = (a: Tensor, b: Tensor): Tensor => callTensor("aten::logical_and", [a, b]);
export const logicalOr = (a: Tensor, b: Tensor): Tensor => callTensor("aten::logical_or", [a, b]);
export const logicalXor = (a: Tensor, b: Tensor): Tensor => callTensor("aten::logical_xor", [a, b]);

/** Replaces NaN and infinities (defaults: 0, the dtype's largest and smallest finite values). */
export const nanToNum = (a: Tensor, nan = 0, posinf?: number, neginf?: number): Tensor => callTensor("aten::nan_to_num", [a, nan, posinf ?? null, neginf ?? null]);

/** Clamps to [min, max]; either bound may be omitted (null). */
export function clamp(a: Tensor, min: TensorOrNumber | null, max: TensorOrNumber | null = null): Tensor {
  if ((min === null || typeof min === "number") && (max === null || typeof max === "number")) return callTensor("aten::clamp", [a, min, max]);
  if (typeof min === "number" || typeof max === "number") {
    throw new TypeError("clamp(): give both bounds as numbers or both as tensors (null for none)");
  }
  return callTensor("aten::clamp.Tensor", [a, min, max]);
}

export const eq = (a: Tensor, b: TensorOrNumber): Tensor => binary("aten::eq", a, b);
export const ne = (a: Tensor, b: TensorOrNumber): Tensor => binary("aten::ne", a, b);
export const lt = (a: Tensor, b: TensorOrNumber): Tensor => binary("aten::lt", a, b);
export const le = (a: Tensor, b: TensorOrNumber): Tensor => binary("aten::le", a, b);
export const gt = (a: Tensor, b: TensorOrNumber): Tensor => binary("aten::gt", a, b);
export const ge = (a: Tensor, b: TensorOrNumber): Tensor => binary("aten::ge", a, b);

/** Elements of `a` where `condition` holds, else of `b`. */
export function where(condition: Tensor, a: TensorOrNumber, b: TensorOrNumber): Tensor {
  if (typeof a === "number" && typeof b === "number") return callTensor("aten::where.Scalar", [condition, a, b]);
  if (typeof a === "number") return callTensor("aten::where.ScalarSelf", [condition, a, b]);
  if (typeof b === "number") return callTensor("aten::where.ScalarOther", [condition, a, b]);
  return callTensor("aten::where.self", [condition, a, b]);
}

/** Sets elements where `mask` is true to `value`. */
export const maskedFill = (a: Tensor, mask: Tensor, value: TensorOrNumber): Tensor =>
  typeof value === "number" ? callTensor("aten::masked_fill.Scalar", [a, mask, value]) : callTensor("aten::masked_fill.Tensor", [a, mask, value]);
