// In-place updates for optimisers, EMA and buffers. They mutate `a` and return nothing, so no
// alias handle is left to dispose. Autograd refuses in-place changes of leaves that require grad:
// call these inside noGrad().
import { callTensor } from "../dispatch.js";
import type { Tensor } from "../tensor.js";

function run(op: string, args: Parameters<typeof callTensor>[1]): void {
  callTensor(op, args).dispose();
}

/** a += alpha * b */
export const addInPlace = (a: Tensor, b: Tensor | number, alpha = 1): void =>
  typeof b === "number" ? run("aten::add_.Scalar", [a, b * alpha]) : run("aten::add_.Tensor", [a, b, alpha]);
/** a *= b */
export const mulInPlace = (a: Tensor, b: Tensor | number): void => (typeof b === "number" ? run("aten::mul_.Scalar", [a, b]) : run("aten::mul_.Tensor", [a, b]));
/** a /= b */
export const divInPlace = (a: Tensor, b: Tensor | number): void => (typeof b === "number" ? run("aten::div_.Scalar", [a, b]) : run("aten::div_.Tensor", [a, b]));
/** a += value * t1 * t2 */
export const addcmulInPlace = (a: Tensor, t1: Tensor, t2: Tensor, value = 1): void => run("aten::addcmul_", [a, t1, t2, value]);
/** a += value * t1 / t2 */
export const addcdivInPlace = (a: Tensor, t1: Tensor, t2: Tensor, value = 1): void => run("aten::addcdiv_", [a, t1, t2, value]);
/** a += weight * (end - a) */
export const lerpInPlace = (a: Tensor, end: Tensor, weight: number): void => run("aten::lerp_.Scalar", [a, end, weight]);
/** a = src (broadcast, dtype converted) */
export const copyInPlace = (a: Tensor, src: Tensor): void => run("aten::copy_", [a, src]);
export const zeroInPlace = (a: Tensor): void => run("aten::zero_", [a]);
export const fillInPlace = (a: Tensor, value: number): void => run("aten::fill_.Scalar", [a, value]);
export const clampInPlace = (a: Tensor, min: number | null, max: number | null): void => run("aten::clamp_", [a, min, max]);
export const uniformInPlace = (a: Tensor, from: number, to: number, generator?: import("../generator.js").Generator): void =>
  run("aten::uniform_", [a, from, to, generator ?? null]);
export const normalInPlace = (a: Tensor, mean: number, std: number, generator?: import("../generator.js").Generator): void =>
  run("aten::normal_", [a, mean, std, generator ?? null]);
