// The tensor form of a batch, as strategies receive it in trainStep. Built inside the step's scope
// from the loader's typed arrays (so every tensor here is freed when the step ends); strategies
// must not keep them.
import type { HostBatch, PatchBox } from "../data/index.js";
import { type Tensor, tensor } from "../tensor/index.js";

/** Labelled samples: image and ground-truth label map. */
export interface LabelledBatch {
  /** (N, C, D, H, W) float32. */
  readonly image: Tensor;
  /** (N, D, H, W) int64 class indices (the ignore label, if the dataset has one, appears as its value). */
  readonly label: Tensor;
  readonly caseIds: readonly string[];
}

/** Unlabelled samples: image only. */
export interface UnlabelledBatch {
  /** (N, C, D, H, W) float32. */
  readonly image: Tensor;
  readonly caseIds: readonly string[];
}

/** Box-annotated samples: image, per-class box masks and the boxes on the patch grid. */
export interface BoxBatch {
  /** (N, C, D, H, W) float32. */
  readonly image: Tensor;
  /** (N, K, D, H, W) float32 in {0, 1}; channel k is the box of label value k + 1 (K = numClasses − 1). */
  readonly boxMask: Tensor;
  /** Per sample, the boxes present in the patch, (d, h, w) voxel ranges. */
  readonly boxes: readonly (readonly PatchBox[])[];
  readonly caseIds: readonly string[];
}

/** One training batch: the streams the strategy asked for (its `composition`). */
export interface Batch {
  /** Index in the run's batch sequence (= the sampler position before this batch). */
  readonly index: number;
  readonly labelled?: LabelledBatch;
  readonly unlabelled?: UnlabelledBatch;
  readonly boxes?: BoxBatch;
}

/** Converts a loader batch to tensors (call inside a scope; the tensors die with it). */
export function toTensorBatch(host: HostBatch): Batch {
  const [px, py, pz] = host.patchSize;
  const shape = (n: number, c: number) => [n, c, pz, py, px];
  const out: { index: number; labelled?: LabelledBatch; unlabelled?: UnlabelledBatch; boxes?: BoxBatch } = { index: host.index };
  const l = host.streams.labelled;
  if (l) {
    const n = l.caseIds.length;
    if (!l.label) throw new TypeError("toTensorBatch: the labelled stream has no label map");
    const raw = l.label instanceof Uint16Array ? tensor(Int32Array.from(l.label), [n, pz, py, px]) : tensor(l.label, [n, pz, py, px], { dtype: "uint8" });
    out.labelled = { image: tensor(l.image, shape(n, host.channels)), label: raw.to("int64"), caseIds: l.caseIds };
  }
  const u = host.streams.unlabelled;
  if (u) out.unlabelled = { image: tensor(u.image, shape(u.caseIds.length, host.channels)), caseIds: u.caseIds };
  const b = host.streams.boxes;
  if (b) {
    const n = b.caseIds.length;
    const k = b.boxMask ? b.boxMask.length / (n * px * py * pz) : 0;
    const mask = tensor(b.boxMask ?? new Uint8Array(0), [n, k, pz, py, px], { dtype: "uint8" }).to("float32");
    out.boxes = { image: tensor(b.image, shape(n, host.channels)), boxMask: mask, boxes: b.boxes ?? [], caseIds: b.caseIds };
  }
  return out;
}
