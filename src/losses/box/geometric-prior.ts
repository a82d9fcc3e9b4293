// The geometric (shape) prior: for each organ lying completely inside the patch, its template is
// placed into the box, aligned to the predicted surface with ICP, and the Chamfer distance between
// the predicted surface points and the aligned template is the loss.
import { type Generator, type Tensor, indexSelect, randperm, tensor, tidy } from "../../tensor/index.js";
import type { PatchBox3 } from "./boxes.js";
import { chamferDistance } from "./chamfer.js";
import { type IcpOptions, icp } from "./icp.js";
import { type BoxActivation, organChannels, organLogit } from "./probabilities.js";
import { cropSample, growRegion, zeroLoss } from "./regions.js";
import { zeroCrossings } from "./surface.js";
import { ellipsoidTemplate, orientTemplate, placeTemplate } from "./template.js";

export interface GeometricPriorOptions {
  /** See probabilities.ts. @default "softmax" */
  activation?: BoxActivation;
  /** Per organ channel k, a template (P, 3) in [−1, 1]³ (`templateFromMask`); missing ones use `ellipsoidTemplate()`. */
  templates?: readonly (Tensor | null | undefined)[];
  /** Voxel size (d, h, w) in mm: ICP and distances are in mm so rotations are rigid in the body. @default [1, 1, 1] */
  spacing?: readonly [number, number, number];
  /** Voxels around the box searched for predicted surface (leaks just outside the box are pulled in too). @default 2 */
  margin?: number;
  /** Predicted surface points kept per box (uniform subset, drawn with `generator`): bounds the brute-force matching. @default 2048 */
  maxPoints?: number;
  generator?: Generator;
  /** ICP settings, or false to use the box placement as is. @default {} (icp's defaults) */
  icp?: IcpOptions | false;
  /**
   * Divide each box's Chamfer distance by r², r the box's mean half-extent in mm, so organs of every
   * size weigh alike and λ_geo does not depend on the spacing. @default true
   */
  normalize?: boolean;
  /** See zeroCrossings. @default 1e-3 */
  minContrast?: number;
  /** Boxes whose predicted surface has fewer points are skipped (nothing to align yet). @default 8 */
  minPoints?: number;
}

/** What happened for one box (host numbers, for logging). */
export interface GeometricPriorTerm {
  sample: number;
  channel: number;
  /** This box's (normalised) Chamfer distance. */
  value: number;
  /** Predicted surface points used. */
  points: number;
  /** ICP's result, or null without ICP. */
  icp: { scale: number; rmse: number; iterations: number } | null;
}

/**
 * The geometric prior and its per-box details: mean over applied boxes of the Chamfer distance
 * L_geo = mean_x min_y ‖x − y‖² + mean_y min_x ‖y − x‖² between the predicted surface x and the
 * template y placed into the box and aligned by ICP.
 *
 * Which boxes: only `complete` ones (organ entirely inside the patch), with a predicted surface of
 * at least `minPoints` points. The surface is the zero crossing of the organ's binary logit
 * log(p / (1 − p)) along grid edges (surface.ts), differentiable in the logits, so the gradient moves
 * the p = 0.5 surface toward the template. Where the prediction is empty there is no surface and no
 * gradient: the projection term creates the organ, the prior shapes it.
 * The ICP pose is a constant (fitted without gradient); at ICP's optimum the derivative of its
 * matching cost with respect to the pose is 0, so holding it fixed loses little.
 * - Paper: Du et al., IEEE TMI 2023, arXiv:2302.02125 (geometric prior: template, ICP, Chamfer)
 * @param logits (N, K+1, D, H, W) softmax logits, or (N, K, D, H, W) sigmoid logits / probabilities
 * @param boxes per sample, its clipped boxes with the complete flag (`resolveBoxes` / `boxMasks(...).boxes`)
 * @returns loss: a scalar (0 with zero gradient when no box applies); terms: one entry per applied box
 */
export function geometricPriorTerms(
  logits: Tensor,
  boxes: readonly (readonly PatchBox3[])[],
  opts: GeometricPriorOptions = {},
): { loss: Tensor; terms: GeometricPriorTerm[] } {
  const op = "geometricPriorLoss";
  const activation = opts.activation ?? "softmax";
  const K = organChannels(op, logits, activation);
  const N = logits.shape[0] as number;
  if (boxes.length !== N) throw new RangeError(`${op}: boxes must list ${N} samples. Received: ${boxes.length}`);
  const spatial = logits.shape.slice(2) as [number, number, number];
  const spacing = opts.spacing ?? [1, 1, 1];
  if (spacing.length !== 3 || !spacing.every((s) => s > 0)) throw new RangeError(`${op}: spacing must be three positive numbers. Received: [${spacing.join(",")}]`);
  const margin = opts.margin ?? 2;
  const maxPoints = opts.maxPoints ?? 2048;
  const minPoints = Math.max(1, opts.minPoints ?? 8);
  const dtype = logits.dtype;
  return tidy(() => {
    const defaultTemplate = ellipsoidTemplate(1024, dtype);
    const losses: Tensor[] = [];
    const terms: GeometricPriorTerm[] = [];
    for (const list of boxes) {
      for (const box of list) {
        if (!box.complete) continue;
        if (box.channel < 0 || box.channel >= K) throw new RangeError(`${op}: box channel ${box.channel} outside 0..${K - 1}`);
        if (box.sample < 0 || box.sample >= N) throw new RangeError(`${op}: box sample ${box.sample} outside 0..${N - 1}`);
        const out = tidy(() => {
          const crop = growRegion({ lo: [...box.min], hi: [...box.max] }, margin, spatial);
          const field = organLogit(cropSample(logits, box.sample, crop), box.channel, activation).squeeze(0).squeeze(0);
          let pts = zeroCrossings(field, { minContrast: opts.minContrast });
          const M = pts.shape[0] as number;
          if (M < minPoints) return null;
          if (M > maxPoints) pts = indexSelect(pts, 0, randperm(M, { generator: opts.generator }).slice(0, 0, maxPoints));
          // Millimetres about the box centre (index coordinates of the box's middle).
          const centre = box.min.map((v, a) => (v + (box.max[a] as number) - 1) / 2);
          const toMm = (p: Tensor, offset: readonly number[]) =>
            p.add(tensor(offset.map((o, a) => o - (centre[a] as number)), [1, 3], { dtype })).mul(tensor([...spacing], [1, 3], { dtype }));
          const x = toMm(pts, crop.lo);
          const stored = (opts.templates?.[box.channel] ?? defaultTemplate).to(dtype);
          // The template follows the patch's mirroring and quarter turns, as the anatomy in it did.
          const template = box.orientation ? orientTemplate(stored, box.orientation) : stored;
          let y = toMm(placeTemplate(template, box), [0, 0, 0]);
          let fit: GeometricPriorTerm["icp"] = null;
          if (opts.icp !== false) {
            const r = icp(y, x.detach(), opts.icp ?? {});
            y = r.aligned;
            fit = { scale: r.scale, rmse: r.rmse, iterations: r.iterations };
          }
          let loss = chamferDistance(x, y);
          if (opts.normalize ?? true) {
            const radius = box.min.reduce((s, v, a) => s + (((box.max[a] as number) - v) * (spacing[a] as number)) / 2, 0) / 3;
            loss = loss.div(radius * radius);
          }
          return { loss, points: pts.shape[0] as number, fit };
        });
        if (!out) continue;
        losses.push(out.loss);
        terms.push({ sample: box.sample, channel: box.channel, value: out.loss.item(), points: out.points, icp: out.fit });
      }
    }
    const loss = losses.length === 0 ? zeroLoss(logits) : losses.reduce((a, b) => a.add(b)).div(losses.length);
    return { loss, terms };
  });
}

/**
 * The geometric prior as a scalar loss (see geometricPriorTerms).
 * @example const loss = geometricPriorLoss(logits, masks.boxes, { templates, spacing: [2, 1.5, 1.5] });
 */
export function geometricPriorLoss(logits: Tensor, boxes: readonly (readonly PatchBox3[])[], opts: GeometricPriorOptions = {}): Tensor {
  return tidy(() => geometricPriorTerms(logits, boxes, opts).loss);
}
