// "What to label next": score every case by how much a committee (two subnetworks, teacher and
// student, an ensemble, or flips of one network) disagrees about it, and rank the cases, most
// disputed first. The scan goes through the same preprocessing and sliding window as prediction;
// scores are computed on the network grid, where every voxel has the plan's spacing.
import { tensor, tidy, type Tensor } from "../tensor/index.js";
import type { Volume } from "../volume/index.js";
import { readCaseScan, type CaseSource } from "./cases.js";
import type { Committee } from "./committee.js";
import { committeeDisagreement, type Disagreement, type DisagreementMeasure, type DisagreementRegion } from "./disagreement.js";
import { type InferenceModel, patchDHW } from "./model.js";
import type { NonFinitePolicy } from "./non-finite.js";
import { checkEnsemble } from "./predict.js";
import { prepareCase } from "./preprocess.js";
import { slidingWindowProbabilities } from "./sliding-window.js";

/** Options of {@link scoreVolume} and {@link suggestCases}. */
export interface SuggestOptions {
  /** Window overlap in [0, 1). @default 0.5 */
  readonly overlap?: number;
  /** Windows per forward pass. @default 1 */
  readonly batchSize?: number;
  /** Where js and kl are averaged. @default "foreground" */
  readonly region?: DisagreementRegion;
  /** NaN/Inf voxels in a scan. @default "error" */
  readonly nonFinite?: NonFinitePolicy;
  /**
   * Memory allowed for the members' probability maps (members × classes × voxels × 4 bytes on the
   * network grid); the measures need about as much again (logarithms, entropies) while they run. @default 2 GiB
   */
  readonly maxProbabilityBytes?: number;
  /** Called after every window batch with (member index, windows done, windows in total). */
  readonly onProgress?: (member: number, done: number, total: number) => void;
  /** Case id for messages. */
  readonly caseId?: string;
}

/** One case's scores. */
export interface CaseScores extends Disagreement {
  /** Volume some member predicts as foreground, in millilitres (network grid). */
  readonly foregroundMl: number;
}

/**
 * Disagreement of a committee about one scan.
 * @param image the scan as read (channels stacked; any orientation)
 * @param models the loaded models (they must share one plan); `committee` holds their predictors
 * @throws RangeError when the probability maps would exceed `maxProbabilityBytes` or the scan's channels do not fit
 * @example
 * const models = [await loadInferenceModel(run, { modules: "networks" })];
 * const scores = scoreVolume(scan, models, formCommittee(models));
 */
export function scoreVolume(image: Volume, models: readonly InferenceModel[], committee: Committee, opts: SuggestOptions = {}): CaseScores {
  checkEnsemble(models);
  const first = models[0]!;
  const what = opts.caseId ? `case ${opts.caseId}` : "the scan";
  if (image.channels !== first.inChannels) throw new RangeError(`Cannot score ${what}: the model takes ${first.inChannels} channel(s) but the scan has ${image.channels}`);
  const prepared = prepareCase(image, first.plan, { nonFinite: opts.nonFinite ?? "error", ...(opts.caseId ? { id: opts.caseId } : {}) });
  const [nx, ny, nz] = prepared.image.shape;
  const members = committee.members;
  const bytes = members.length * first.numClasses * nx * ny * nz * 4;
  const limit = opts.maxProbabilityBytes ?? 2 * 1024 ** 3;
  if (bytes > limit) {
    throw new RangeError(
      `Cannot score ${what}: ${members.length} members × ${first.numClasses} classes × ${nx}×${ny}×${nz} voxels need ${(bytes / 1024 ** 3).toFixed(2)} GiB of probabilities, ` +
        `more than the ${(limit / 1024 ** 3).toFixed(2)} GiB allowed (raise maxProbabilityBytes, or use fewer members)`,
    );
  }
  const d = tidy(() => {
    const x = tensor(prepared.image.data, [prepared.image.channels, nz, ny, nx]);
    const probs: Tensor[] = members.map((m, i) =>
      slidingWindowProbabilities(x, m.predictors, {
        patchSize: patchDHW(first.plan),
        overlap: opts.overlap ?? 0.5,
        batchSize: opts.batchSize ?? 1,
        ...(opts.onProgress ? { onProgress: (done: number, total: number) => opts.onProgress!(i, done, total) } : {}),
      }),
    );
    return committeeDisagreement(probs, opts.region ? { region: opts.region } : {});
  });
  const voxelMl = first.plan.spacing.reduce((a, b) => a * b, 1) / 1000;
  return { ...d, foregroundMl: d.foregroundVoxels * voxelMl };
}

/** A ranked case. */
export interface Suggestion extends CaseScores {
  /** 1 = label this one first. */
  readonly rank: number;
  readonly id: string;
  /** The measure the ranking uses. */
  readonly score: number;
  readonly seconds: number;
}

/** Progress of {@link suggestCases}. */
export type SuggestEvent =
  | { readonly type: "start"; readonly id: string; readonly index: number; readonly total: number }
  | { readonly type: "windows"; readonly id: string; readonly member: string; readonly done: number; readonly total: number }
  | { readonly type: "done"; readonly id: string; readonly index: number; readonly total: number; readonly scores: CaseScores; readonly seconds: number }
  | { readonly type: "warning"; readonly id: string; readonly message: string }
  | { readonly type: "fail"; readonly id: string; readonly index: number; readonly total: number; readonly error: Error };

/** What {@link suggestCases} returns. */
export interface SuggestResult {
  /** Scored cases, most disagreement first (ties by id). */
  readonly ranking: readonly Suggestion[];
  readonly failed: readonly { readonly id: string; readonly error: Error }[];
  readonly seconds: number;
}

/**
 * Orders scored cases by one measure, highest first; equal scores by case id, so the order is stable.
 * @example rankCases([{ id: "a", scores, seconds: 1 }], "js")[0].rank === 1
 */
export function rankCases(scored: readonly { id: string; scores: CaseScores; seconds: number }[], measure: DisagreementMeasure): Suggestion[] {
  return [...scored]
    .sort((a, b) => b.scores[measure] - a.scores[measure] || (a.id < b.id ? -1 : a.id > b.id ? 1 : 0))
    .map((c, i) => {
      // Only the score fields are copied: `scores` may be a richer object (e.g. an earlier Suggestion).
      const { js, kl, dice, regionVoxels, foregroundVoxels, voxels, foregroundMl } = c.scores;
      return { rank: i + 1, id: c.id, score: c.scores[measure], js, kl, dice, foregroundMl, foregroundVoxels, regionVoxels, voxels, seconds: c.seconds };
    });
}

/**
 * Scores every case with the committee, one scan in memory at a time, and ranks them. A case that
 * fails (unreadable, NaN under the "error" policy, too large) is reported and the others go on.
 * @example
 * const { ranking } = await suggestCases(await discoverCases("imagesTs", 1), models, formCommittee(models), "js");
 */
export async function suggestCases(
  cases: readonly CaseSource[],
  models: readonly InferenceModel[],
  committee: Committee,
  measure: DisagreementMeasure,
  opts: SuggestOptions & { readonly onEvent?: (e: SuggestEvent) => void } = {},
): Promise<SuggestResult> {
  const start = performance.now();
  const emit = opts.onEvent ?? (() => {});
  const scored: { id: string; scores: CaseScores; seconds: number }[] = [];
  const failed: { id: string; error: Error }[] = [];
  const total = cases.length;
  for (let index = 0; index < total; index++) {
    const c = cases[index]!;
    emit({ type: "start", id: c.id, index, total });
    const t0 = performance.now();
    try {
      const scan = await readCaseScan(c);
      for (const message of scan.warnings) emit({ type: "warning", id: c.id, message });
      const scores = scoreVolume(scan.volume, models, committee, {
        ...opts,
        caseId: c.id,
        onProgress: (m, done, t) => emit({ type: "windows", id: c.id, member: committee.members[m]!.name, done, total: t }),
      });
      const seconds = (performance.now() - t0) / 1000;
      scored.push({ id: c.id, scores, seconds });
      emit({ type: "done", id: c.id, index, total, scores, seconds });
    } catch (e) {
      const error = e instanceof Error ? e : new Error(String(e));
      failed.push({ id: c.id, error });
      emit({ type: "fail", id: c.id, index, total, error });
    }
  }
  return { ranking: rankCases(scored, measure), failed, seconds: (performance.now() - start) / 1000 };
}
