// What an accuracy benchmark row is (a dataset, an experiment config and a split) and what running
// it saves (a part: metrics per class in mm, training time, iterations, commit, machine, config).
import type { PlannerOptions } from "../../src/data/index.js";
import type { MachineInfo } from "../harness/index.js";

/**
 * A work root under bench/work/: plans, splits, the preprocessing cache and the row runs of every
 * dataset a suite trains on. Rows with the same work root and dataset share the plan and cache.
 */
export interface WorkRoot {
  /** Folder name under bench/work/ ([A-Za-z0-9_.-]). */
  readonly name: string;
  /** Planner options of every dataset planned in this root (a quick root plans smaller patches). */
  readonly planner: PlannerOptions;
}

/** One row of an accuracy suite. */
export interface SegmentationRow {
  /** Row id ([A-Za-z0-9_.-]); the part and run folder are named by it. */
  readonly name: string;
  /** The dataset folder the row trains on (nnU-Net raw layout). */
  readonly dataset: string;
  /** Folder of reference label maps the validation predictions are scored against. @default <dataset>/labelsTr */
  readonly labels?: string;
  readonly work: WorkRoot;
  /**
   * Plan a derived dataset (same images, other annotations) by copying the plans of this dataset,
   * so both train on identical preprocessing. @default plan the row's own dataset
   */
  readonly planFrom?: string;
  /** Builds the row's dataset folder first (derived datasets); must be idempotent. */
  readonly prepare?: () => Promise<void>;
  /** The experiment config as a config file would hold it; validated when the row runs. */
  readonly config: Readonly<Record<string, unknown>>;
  /** Score only the first n validation cases of the fold. @default all */
  readonly evalCases?: number;
  /** Sliding-window overlap at prediction. @default 0.5 */
  readonly overlap?: number;
  /**
   * Mirroring test-time augmentation along the plan's mirror axes (nnU-Net's default); costs 2^axes
   * forward passes per window. @default false
   */
  readonly tta?: boolean;
  /** Report columns (dataset, labelled cases, method, ...); also part of the row's identity. */
  readonly meta: Readonly<Record<string, string | number | null>>;
}

/** Mean, standard deviation and excluded count of one metric over the scored cases. */
export interface MetricStat {
  readonly mean: number | null;
  readonly std: number | null;
  /** Cases left out (NaN: e.g. a distance with one mask empty). */
  readonly excluded: number;
}

export interface ClassScore {
  readonly label: number;
  readonly name: string;
  readonly dice: MetricStat;
  readonly jaccard: MetricStat;
  readonly hd95: MetricStat;
  readonly asd: MetricStat;
}

/** A finished or failed row, saved as bench/results/<suite>/parts/<row>[.quick].json. */
export interface SegmentationPart {
  readonly suite: string;
  readonly row: string;
  readonly profile: "full" | "quick";
  readonly status: "done" | "failed";
  /** Why a failed row failed. */
  readonly error?: string;
  /** Hash of everything that defines the row; a saved part with another hash is run again. */
  readonly fingerprint: string;
  readonly meta: Readonly<Record<string, string | number | null>>;
  readonly dataset: string;
  /** The resolved experiment config (null when the row failed before resolving it). */
  readonly config: unknown;
  /** The training run folder (`labelwise predict --model <runDir>` uses its final checkpoint). */
  readonly runDir: string | null;
  /** The trainer's wall time across every piece of an interrupted and resumed run. */
  readonly trainMinutes: number | null;
  readonly iterations: number | null;
  /** Training cases of the fold by stream. */
  readonly trainingCases: { readonly labelled: number; readonly unlabelled: number; readonly boxes: number } | null;
  /** The scored validation cases. */
  readonly valCases: readonly string[];
  readonly classes: readonly ClassScore[];
  /** Mean over classes of the per-class means. */
  readonly mean: { readonly dice: number | null; readonly jaccard: number | null; readonly hd95: number | null; readonly asd: number | null } | null;
  /** Per case: Dice per class, class order. */
  readonly perCaseDice: readonly { readonly case: string; readonly dice: readonly (number | null)[] }[];
  readonly predictMinutes: number | null;
  readonly machine: MachineInfo;
  readonly finishedAt: string;
}
