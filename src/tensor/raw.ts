// Conversions between native Tensors and RawTensor (typed array + shape + dtype), the form used
// by state files and golden fixtures.
import type { RawTensor } from "./safetensors.js";
import { tensor, type CreateOptions } from "./ops/creation.js";
import type { Tensor } from "./tensor.js";

export function toRawTensor(t: Tensor): RawTensor {
  return { dtype: t.dtype, shape: [...t.shape], data: t.dataSync() };
}

export function fromRawTensor(raw: RawTensor, opts: Omit<CreateOptions, "dtype"> = {}): Tensor {
  return tensor(raw.data, raw.shape, { ...opts, dtype: raw.dtype });
}
