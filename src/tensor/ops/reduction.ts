// Reductions, along all dims or chosen ones, with keepdim; sorting and top-k.
import { callTensor, callTensors } from "../dispatch.js";
import type { Tensor } from "../tensor.js";

export type Dims = number | readonly number[];

export interface ReduceOptions {
  /** Keep reduced dims as size 1. @default false */
  keepdim?: boolean;
}

const asList = (d: Dims): readonly number[] => (typeof d === "number" ? [d] : d);

/** Sum over all elements, or over `dim`. */
export function sum(a: Tensor, dim?: Dims, opts: ReduceOptions = {}): Tensor {
  return dim === undefined ? callTensor("aten::sum", [a]) : callTensor("aten::sum.dim_IntList", [a, asList(dim), opts.keepdim ?? false]);
}

export function mean(a: Tensor, dim?: Dims, opts: ReduceOptions = {}): Tensor {
  return dim === undefined ? callTensor("aten::mean", [a]) : callTensor("aten::mean.dim", [a, asList(dim), opts.keepdim ?? false]);
}

export function prod(a: Tensor, dim?: number, opts: ReduceOptions = {}): Tensor {
  return dim === undefined ? callTensor("aten::prod", [a]) : callTensor("aten::prod.dim_int", [a, dim, opts.keepdim ?? false]);
}

/** Maximum over all elements, or over `dims` (values only; see maxWithIndices for argmax too). */
export function amax(a: Tensor, dim?: Dims, opts: ReduceOptions = {}): Tensor {
  return dim === undefined ? callTensor("aten::max", [a]) : callTensor("aten::amax", [a, asList(dim), opts.keepdim ?? false]);
}

export function amin(a: Tensor, dim?: Dims, opts: ReduceOptions = {}): Tensor {
  return dim === undefined ? callTensor("aten::min", [a]) : callTensor("aten::amin", [a, asList(dim), opts.keepdim ?? false]);
}

/** Max along one dim: [values, indices]. */
export function maxWithIndices(a: Tensor, dim: number, opts: ReduceOptions = {}): [Tensor, Tensor] {
  return callTensors("aten::max.dim", [a, dim, opts.keepdim ?? false]) as [Tensor, Tensor];
}

export function minWithIndices(a: Tensor, dim: number, opts: ReduceOptions = {}): [Tensor, Tensor] {
  return callTensors("aten::min.dim", [a, dim, opts.keepdim ?? false]) as [Tensor, Tensor];
}

export function argmax(a: Tensor, dim?: number, opts: ReduceOptions = {}): Tensor {
  return callTensor("aten::argmax", [a, dim ?? null, opts.keepdim ?? false]);
}

export function argmin(a: Tensor, dim?: number, opts: ReduceOptions = {}): Tensor {
  return callTensor("aten::argmin", [a, dim ?? null, opts.keepdim ?? false]);
}

export interface VarianceOptions extends ReduceOptions {
  /** Bessel's correction (N-1). @default true */
  unbiased?: boolean;
}

export function variance(a: Tensor, dim?: Dims, opts: VarianceOptions = {}): Tensor {
  return callTensor("aten::var.dim", [a, dim === undefined ? null : asList(dim), opts.unbiased ?? true, opts.keepdim ?? false]);
}

export function std(a: Tensor, dim?: Dims, opts: VarianceOptions = {}): Tensor {
  return callTensor("aten::std.dim", [a, dim === undefined ? null : asList(dim), opts.unbiased ?? true, opts.keepdim ?? false]);
}

/** p-norm over all elements or over `dim`. */
export function norm(a: Tensor, p = 2, dim?: Dims, opts: ReduceOptions = {}): Tensor {
  return dim === undefined ? callTensor("aten::norm.Scalar", [a, p]) : callTensor("aten::norm.ScalarOpt_dim", [a, p, asList(dim), opts.keepdim ?? false]);
}

export function logsumexp(a: Tensor, dim: Dims, opts: ReduceOptions = {}): Tensor {
  return callTensor("aten::logsumexp", [a, asList(dim), opts.keepdim ?? false]);
}

export function cumsum(a: Tensor, dim: number): Tensor {
  return callTensor("aten::cumsum", [a, dim]);
}

export function all(a: Tensor, dim?: number, opts: ReduceOptions = {}): Tensor {
  return dim === undefined ? callTensor("aten::all", [a]) : callTensor("aten::all.dim", [a, dim, opts.keepdim ?? false]);
}

export function any(a: Tensor, dim?: number, opts: ReduceOptions = {}): Tensor {
  return dim === undefined ? callTensor("aten::any", [a]) : callTensor("aten::any.dim", [a, dim, opts.keepdim ?? false]);
}

/** The k largest (or smallest) entries along `dim`: [values, indices]. */
export function topk(a: Tensor, k: number, dim = -1, opts: { largest?: boolean; sorted?: boolean } = {}): [Tensor, Tensor] {
  return callTensors("aten::topk", [a, k, dim, opts.largest ?? true, opts.sorted ?? true]) as [Tensor, Tensor];
}

/** Sorts along `dim` (stable): [values, indices]. */
export function sort(a: Tensor, dim = -1, opts: { descending?: boolean } = {}): [Tensor, Tensor] {
  return callTensors("aten::sort.stable", [a, true, dim, opts.descending ?? false]) as [Tensor, Tensor];
}
