// Largest-connected-component refinement of pseudo-labels (BCP): a teacher's stray islands are
// removed before its labels supervise the student. The labelling runs on the host with the
// metrics layer's pure-TypeScript connected components.
import { largestComponent, type ComponentConnectivity } from "../../metrics/index.js";
import { type Tensor, ShapeError, isFloatingDType, noGrad, tensor, tidy } from "../../tensor/index.js";

export interface LargestComponentLabelOptions {
  /** Neighbourhood that connects voxels. @default 26 */
  connectivity?: ComponentConnectivity;
  /** Classes to clean; others are kept as they are. @default every non-zero class present */
  classes?: readonly number[];
}

/**
 * Keeps, per image and per class, only the largest 3-D connected component; voxels of the other
 * components become background (0). Runs on a host copy (no gradient; labels have none).
 * - Paper: Bai et al., BCP, arXiv:2305.00673 (teacher pseudo-labels keep the largest component)
 * @param labels int label map (N, D, H, W) or (N, 1, D, H, W)
 * @returns int64 of the same shape
 * @example const pseudo = largestComponentLabels(hardPseudoLabels(teacherLogits));
 */
export function largestComponentLabels(labels: Tensor, opts: LargestComponentLabelOptions = {}): Tensor {
  const op = "largestComponentLabels";
  if (isFloatingDType(labels.dtype)) throw new TypeError(`Cannot run ${op}: labels must be an integer label map. Received: ${labels.dtype}`);
  const r = labels.rank;
  if (r !== 4 && !(r === 5 && labels.shape[1] === 1)) throw new ShapeError(op, "labels (N, D, H, W) or (N, 1, D, H, W)", labels.shape);
  const [n, d, h, w] = (r === 4 ? labels.shape : [labels.shape[0], ...labels.shape.slice(2)]) as [number, number, number, number];
  const voxels = d * h * w;
  const data = noGrad(() => tidy(() => labels.to("int32").dataSync() as Int32Array));
  const out = new Int32Array(data.length);
  const cc = { ...(opts.connectivity === undefined ? {} : { connectivity: opts.connectivity }), ...(opts.classes ? { classes: opts.classes } : {}) };
  for (let i = 0; i < n; i++) {
    // Row-major (D, H, W) is the metrics layer's x-fastest [nx, ny, nz] = [W, H, D].
    const sample = data.subarray(i * voxels, (i + 1) * voxels);
    out.set(largestComponent({ data: sample, shape: [w, h, d] }, cc), i * voxels);
  }
  return tidy(() => tensor(out, [...labels.shape], { dtype: "int32" }).to("int64"));
}
