// Shape, indexing, joining and type/device moves. View ops return fresh handles aliasing the input.
import { type DType, scalarTypeOf } from "../dtype.js";
import { callTensor, callTensors } from "../dispatch.js";
import type { Device, Tensor } from "../tensor.js";

export const reshape = (a: Tensor, shape: readonly number[]): Tensor => callTensor("aten::reshape", [a, shape]);
/** Like reshape but never copies (fails on non-contiguous layouts). */
export const view = (a: Tensor, shape: readonly number[]): Tensor => callTensor("aten::view", [a, shape]);
export const permute = (a: Tensor, dims: readonly number[]): Tensor => callTensor("aten::permute", [a, dims]);
export const transpose = (a: Tensor, d0: number, d1: number): Tensor => callTensor("aten::transpose.int", [a, d0, d1]);
export const squeeze = (a: Tensor, dim?: number): Tensor => (dim === undefined ? callTensor("aten::squeeze", [a]) : callTensor("aten::squeeze.dim", [a, dim]));
export const unsqueeze = (a: Tensor, dim: number): Tensor => callTensor("aten::unsqueeze", [a, dim]);
export const flatten = (a: Tensor, startDim = 0, endDim = -1): Tensor => callTensor("aten::flatten.using_ints", [a, startDim, endDim]);
/** Broadcasts size-1 dims to `shape` without copying (-1 keeps a dim). */
export const expand = (a: Tensor, shape: readonly number[]): Tensor => callTensor("aten::expand", [a, shape]);
export const contiguous = (a: Tensor): Tensor => callTensor("aten::contiguous", [a]);
export const clone = (a: Tensor): Tensor => callTensor("aten::clone", [a]);
/** A tensor sharing data but cut from the autograd graph. */
export const detach = (a: Tensor): Tensor => callTensor("aten::detach", [a]);
export const flip = (a: Tensor, dims: readonly number[]): Tensor => callTensor("aten::flip", [a, dims]);
export const roll = (a: Tensor, shifts: readonly number[], dims: readonly number[]): Tensor => callTensor("aten::roll", [a, shifts, dims]);
export const repeat = (a: Tensor, repeats: readonly number[]): Tensor => callTensor("aten::repeat", [a, repeats]);

/** Elements start..end (exclusive, negative counts from the end) with `step` along `dim`, as a view. */
export const slice = (a: Tensor, dim: number, start = 0, end: number | null = null, step = 1): Tensor => callTensor("aten::slice.Tensor", [a, dim, start, end, step]);
export const narrow = (a: Tensor, dim: number, start: number, length: number): Tensor => callTensor("aten::narrow", [a, dim, start, length]);

/** Advanced indexing `a[i0, i1, ...]` with index tensors (null leaves a dim whole). */
export const index = (a: Tensor, indices: readonly (Tensor | null)[]): Tensor => callTensor("aten::index.Tensor", [a, indices]);
/** Out-of-place `a[indices] = values` (accumulate adds instead). */
export const indexPut = (a: Tensor, indices: readonly (Tensor | null)[], values: Tensor, accumulate = false): Tensor =>
  callTensor("aten::index_put", [a, indices, values, accumulate]);
export const indexSelect = (a: Tensor, dim: number, idx: Tensor): Tensor => callTensor("aten::index_select", [a, dim, idx]);
export const gather = (a: Tensor, dim: number, idx: Tensor): Tensor => callTensor("aten::gather", [a, dim, idx]);
/** Out-of-place scatter of `src` (a tensor or a number) into `a` at `idx` along `dim`. */
export const scatter = (a: Tensor, dim: number, idx: Tensor, src: Tensor | number): Tensor =>
  typeof src === "number" ? callTensor("aten::scatter.value", [a, dim, idx, src]) : callTensor("aten::scatter.src", [a, dim, idx, src]);
export const scatterAdd = (a: Tensor, dim: number, idx: Tensor, src: Tensor): Tensor => callTensor("aten::scatter_add", [a, dim, idx, src]);
export const maskedSelect = (a: Tensor, mask: Tensor): Tensor => callTensor("aten::masked_select", [a, mask]);
/** Indices of non-zero elements, shape (n, rank). */
export const nonzero = (a: Tensor): Tensor => callTensor("aten::nonzero", [a]);

export const cat = (tensors: readonly Tensor[], dim = 0): Tensor => callTensor("aten::cat", [tensors, dim]);
export const stack = (tensors: readonly Tensor[], dim = 0): Tensor => callTensor("aten::stack", [tensors, dim]);
export const split = (a: Tensor, sizes: number | readonly number[], dim = 0): Tensor[] =>
  typeof sizes === "number" ? callTensors("aten::split.Tensor", [a, sizes, dim]) : callTensors("aten::split_with_sizes", [a, sizes, dim]);
export const chunk = (a: Tensor, chunks: number, dim = 0): Tensor[] => callTensors("aten::chunk", [a, chunks, dim]);
export const unbind = (a: Tensor, dim = 0): Tensor[] => callTensors("aten::unbind.int", [a, dim]);

export type PadMode = "constant" | "reflect" | "replicate" | "circular";

/**
 * Pads the last dims; `pad` lists (before, after) pairs starting from the LAST dim, as torch's F.pad.
 * @example pad(x, [1, 1, 2, 2]) // W by 1 each side, H by 2
 */
export const pad = (a: Tensor, padding: readonly number[], mode: PadMode = "constant", value = 0): Tensor =>
  callTensor("aten::pad", [a, padding, mode, mode === "constant" ? value : null]);

/** Casts to a dtype (a copy unless already that dtype, then a fresh alias). */
export const toDType = (a: Tensor, dtype: DType): Tensor => callTensor("aten::to.dtype", [a, scalarTypeOf(dtype)]);
/** Moves to a device ("cpu", "cuda:0", ...). */
export const toDevice = (a: Tensor, device: Device): Tensor => callTensor("aten::to.device", [a, device, scalarTypeOf(a.dtype)]);

/** Integer class map (any shape) to one-hot with classes in the last dim (int64). */
export const oneHot = (a: Tensor, numClasses = -1): Tensor => callTensor("aten::one_hot", [a, numClasses]);

export const matmul = (a: Tensor, b: Tensor): Tensor => callTensor("aten::matmul", [a, b]);
export const bmm = (a: Tensor, b: Tensor): Tensor => callTensor("aten::bmm", [a, b]);
/** @example einsum("bcn,bcm->bnm", [a, b]) */
export const einsum = (equation: string, tensors: readonly Tensor[]): Tensor => callTensor("aten::einsum", [equation, tensors]);
