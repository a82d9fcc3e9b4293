// The committee whose disagreement ranks cases: which predictors vote separately. Two subnetworks
// of a co-training run, a teacher and its student, the decoders of a multi-decoder network
// (FBA-Net+), or the models of an ensemble each vote; a lone single-decoder network can vote with
// mirrored copies of itself (test-time flips) as a cheaper stand-in.
import { flip, type Tensor } from "../tensor/index.js";
import type { InferenceModel } from "./model.js";
import type { Predictor } from "./sliding-window.js";

/** How the committee is formed. */
export type CommitteeKind = "auto" | "networks" | "decoders" | "models" | "tta";
export const COMMITTEE_KINDS: readonly CommitteeKind[] = ["auto", "networks", "decoders", "models", "tta"];

/** One voter: its name and the predictors whose softmax outputs it averages. */
export interface CommitteeMember {
  readonly name: string;
  readonly predictors: readonly Predictor[];
}

/** A committee and how it was formed. */
export interface Committee {
  readonly kind: Exclude<CommitteeKind, "auto">;
  readonly members: readonly CommitteeMember[];
}

const AXIS_NAMES = ["x", "y", "z"];

/** The predictor on inputs mirrored along voxel axes (0 = x), its output mirrored back. */
function mirrored(predict: Predictor, voxelAxes: readonly number[]): Predictor {
  // A (B, C, D, H, W) window: voxel axis a (0 = x) is tensor dim 4 − a.
  const dims = voxelAxes.map((a) => 4 - a);
  return (x: Tensor) => flip(predict(flip(x, dims)), dims);
}

/**
 * Forms the committee of {@link CommitteeKind} `kind` from loaded models.
 * - "networks": every network of every model votes alone (load models with `modules: "networks"`
 *   to include a teacher or every subnetwork, not only those the model predicts with);
 * - "decoders": every decoder of every network votes alone (FBA-Net+'s decoders share one encoder);
 * - "models": each model votes with its averaged networks (an ensemble of runs);
 * - "tta": one model (its averaged networks) votes as is and mirrored along each of its mirror axes;
 * - "auto": "networks" when there are at least two networks, else "decoders" when there are at
 *   least two decoders, else "tta".
 * @throws RangeError naming what the models lack for the committee asked for
 * @example
 * const { members } = formCommittee([await loadInferenceModel(run, { modules: "networks" })], "auto");
 */
export function formCommittee(models: readonly InferenceModel[], kind: CommitteeKind = "auto"): Committee {
  if (models.length === 0) throw new RangeError("Cannot form a committee: no model given");
  const networks = models.flatMap((m) =>
    m.predictors.map((p, i) => ({ name: models.length > 1 ? `${m.source}#${m.moduleNames[i] ?? i}` : (m.moduleNames[i] ?? String(i)), p, decoders: m.decoderPredictors[i] ?? [p] })),
  );
  // A single-decoder network votes as itself in a decoder committee.
  const decoders = networks.flatMap((n) => (n.decoders.length > 1 ? n.decoders.map((p, k) => ({ name: `${n.name}/decoder${k}`, p })) : [{ name: n.name, p: n.p }]));
  const chosen = kind === "auto" ? (networks.length >= 2 ? "networks" : decoders.length >= 2 ? "decoders" : "tta") : kind;
  switch (chosen) {
    case "networks":
      if (networks.length < 2) {
        throw new RangeError(
          `Cannot form a committee of networks: the model has one network (${networks[0]!.name}), and disagreement needs two (e.g. a cross-pseudo or dual-contrast run, a teacher and student, ` +
            "or more runs with --ensemble). Use --members tta to compare the network with mirrored copies of itself",
        );
      }
      return { kind: "networks", members: networks.map((n) => ({ name: n.name, predictors: [n.p] })) };
    case "decoders":
      if (decoders.length < 2) {
        throw new RangeError(`Cannot form a committee of decoders: the model has one network with one decoder (${networks[0]!.name}); FBA-Net+-style networks have several. Use --members tta`);
      }
      return { kind: "decoders", members: decoders.map((d) => ({ name: d.name, predictors: [d.p] })) };
    case "models":
      if (models.length < 2) throw new RangeError(`Cannot form a committee of models: one model given (${models[0]!.source}); name more runs with --ensemble`);
      return { kind: "models", members: models.map((m) => ({ name: m.source, predictors: m.predictors })) };
    case "tta": {
      if (models.length > 1) throw new RangeError(`Cannot form a test-time-flip committee from ${models.length} models: give one model (or use --members models)`);
      const m = models[0]!;
      const axes = [...new Set(m.mirrorAxes)].filter((a) => a === 0 || a === 1 || a === 2);
      if (axes.length === 0) throw new RangeError(`Cannot form a test-time-flip committee: the model (${m.source}) was trained without mirroring, so flipped inputs are not in its training distribution`);
      return {
        kind: "tta",
        members: [{ name: "identity", predictors: m.predictors }, ...axes.map((a) => ({ name: `flip-${AXIS_NAMES[a]}`, predictors: m.predictors.map((p) => mirrored(p, [a])) }))],
      };
    }
    default:
      throw new RangeError(`Cannot form a committee: kind must be one of ${COMMITTEE_KINDS.join(", ")}. Received: ${String(kind)}`);
  }
}
