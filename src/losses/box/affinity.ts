// Pairwise affinities S_ij between every voxel i and its 26 neighbours j, which decide the pairs the
// pairwise term pulls to the same label: grey-level similarity (BoxInst) or the cosine similarity of
// the contrastive head's embeddings (the method). Both are targets, so they are computed without
// gradient (see pairwise.ts for why).
import { type DType, type Tensor, neighbourOffsets, noGrad, pad, stack, tensor, tidy } from "../../tensor/index.js";

export interface AffinityOptions {
  /** Spacing between the window taps (the neighbourhood is 3×3×3). @default 1 */
  dilation?: number;
}

/** Offsets in the order of `neighbours()` from the tensor layer (26 of them, no centre). */
function offsets(dilation: number): [number, number, number][] {
  if (!Number.isInteger(dilation) || dilation < 1) throw new RangeError(`neighbour dilation must be a positive integer. Received: ${dilation}`);
  return neighbourOffsets({ kernelSize: 3, dilation });
}

/**
 * Applies `pair(x, x shifted by offset)` for every neighbour offset and stacks the results.
 * One offset at a time, so the peak memory is one shifted copy, not 26 (embeddings have E channels).
 * @param x (N, C, D, H, W)
 * @returns (N, 26, D, H, W)
 */
function perOffset(x: Tensor, dilation: number, pair: (a: Tensor, b: Tensor) => Tensor): Tensor {
  const [, , D, H, W] = x.shape as [number, number, number, number, number];
  const r = dilation;
  return noGrad(() =>
    tidy(() => {
      const padded = pad(x, [r, r, r, r, r, r]);
      const planes = offsets(dilation).map(([dz, dy, dx]) =>
        tidy(() => {
          const shifted = padded
            .slice(2, r + dz, r + dz + D)
            .slice(3, r + dy, r + dy + H)
            .slice(4, r + dx, r + dx + W);
          return pair(x, shifted);
        }),
      );
      return stack(planes, 1);
    }),
  );
}

function check5(op: string, x: Tensor): void {
  if (x.rank !== 5) throw new RangeError(`${op}: input must be (N, C, D, H, W). Received: shape=[${x.shape.join(",")}]`);
}

/**
 * S_ij = C_i · C_j, the cosine similarity of L2-normalised embeddings (the dot product: the
 * contrastive head normalises already). Neighbours outside the volume get 0; use `neighbourValidity`
 * to exclude them rather than rely on the value.
 * - Paper: Du et al., IEEE TMI 2023, arXiv:2302.02125 (contrastive similarity in the pairwise term)
 * @param embedding (N, E, D, H, W), unit norm along E
 * @returns (N, 26, D, H, W), no gradient
 */
export function embeddingAffinity(embedding: Tensor, opts: AffinityOptions = {}): Tensor {
  check5("embeddingAffinity", embedding);
  return perOffset(embedding, opts.dilation ?? 1, (a, b) => a.mul(b).sum(1));
}

export interface PrototypeAffinityOptions extends AffinityOptions {
  /** T in softmax_c(C·μ_c / T): the contrastive loss's temperature keeps the two scales alike. @default 0.1 */
  temperature?: number;
}

/**
 * S_ij = Σ_c q_ic q_jc with q_i = softmax_c(C_i·μ_c / T): the probability that voxels i and j belong
 * to the same class when each is assigned to the prototypes μ_c (unit class means of the contrastive
 * head's labelled voxels) as the InfoNCE would. A fixed threshold on the raw cosine C_i·C_j depends
 * on how far apart the classes have moved in the embedding (early in training they are all within a
 * few degrees, so every pair passes); this similarity is relative to the classes' own separation,
 * and pairs straddling the embedding's decision boundary get S ≤ ½ whatever the absolute scale.
 * @param embedding (N, E, D, H, W), unit norm along E
 * @param prototypes (C, E), unit rows (e.g. background and one organ)
 * @returns (N, 26, D, H, W), no gradient
 */
export function prototypeAffinity(embedding: Tensor, prototypes: Tensor, opts: PrototypeAffinityOptions = {}): Tensor {
  check5("prototypeAffinity", embedding);
  const E = embedding.shape[1] as number;
  if (prototypes.rank !== 2 || prototypes.shape[1] !== E) {
    throw new RangeError(`prototypeAffinity: prototypes must be (C, ${E}) to match the embedding's channels. Received: shape=[${prototypes.shape.join(",")}]`);
  }
  const T = opts.temperature ?? 0.1;
  if (!(T > 0)) throw new RangeError(`prototypeAffinity: temperature must be > 0. Received: ${T}`);
  const C = prototypes.shape[0] as number;
  return noGrad(() =>
    tidy(() => {
      // (N, 1, E, D, H, W) · (1, C, E, 1, 1, 1) summed over E: every voxel's cosine to each prototype.
      const logits = embedding.unsqueeze(1).mul(prototypes.reshape([1, C, E, 1, 1, 1])).sum(2).div(T);
      return perOffset(logits.softmax(1), opts.dilation ?? 1, (a, b) => a.mul(b).sum(1));
    }),
  );
}

export interface IntensityAffinityOptions extends AffinityOptions {
  /** θ in exp(−θ‖I_i − I_j‖). @default 0.5 */
  scale?: number;
}

/**
 * S_ij = exp(−θ ‖I_i − I_j‖₂), the norm taken over image channels (|I_i − I_j| for one channel).
 * - Paper: Tian et al., BoxInst, CVPR 2021, arXiv:2012.02310 (colour similarity, θ = 0.5)
 * @param image (N, Ci, D, H, W)
 * @returns (N, 26, D, H, W), no gradient
 */
export function intensityAffinity(image: Tensor, opts: IntensityAffinityOptions = {}): Tensor {
  check5("intensityAffinity", image);
  const scale = opts.scale ?? 0.5;
  if (!(scale > 0)) throw new RangeError(`intensityAffinity: scale must be > 0. Received: ${scale}`);
  return perOffset(image, opts.dilation ?? 1, (a, b) => a.sub(b).square().sum(1).sqrt().mul(-scale).exp());
}

/**
 * 1 where neighbour j of voxel i lies inside a (D, H, W) volume, else 0. Built from per-axis
 * indicators on the host (an offset's validity is the product of its three axes').
 * @returns (1, 26, D, H, W)
 */
export function neighbourValidity(spatial: readonly [number, number, number], opts: AffinityOptions & { dtype?: DType } = {}): Tensor {
  const offs = offsets(opts.dilation ?? 1);
  const K = offs.length;
  const axes = [0, 1, 2].map((a) => {
    const L = spatial[a] as number;
    const v = new Float64Array(K * L);
    offs.forEach((o, k) => {
      for (let i = 0; i < L; i++) {
        const j = i + (o[a] as number);
        v[k * L + i] = j >= 0 && j < L ? 1 : 0;
      }
    });
    return v;
  });
  const [D, H, W] = spatial;
  const dtype = opts.dtype ?? "float32";
  return tidy(() =>
    tensor(axes[0] as Float64Array, [1, K, D, 1, 1], { dtype })
      .mul(tensor(axes[1] as Float64Array, [1, K, 1, H, 1], { dtype }))
      .mul(tensor(axes[2] as Float64Array, [1, K, 1, 1, W], { dtype })),
  );
}
