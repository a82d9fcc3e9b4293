// Jobs: training and prediction runs started from the page. Each runs as its own process group
// (the server stays responsive and a job outlives a server restart); its record lives in
// `<dataset>/.labelwise/jobs/<id>/job.json`, its output in stdout.log / stderr.log beside it.

/** What a job runs. */
export type JobKind = "train" | "predict" | "suggest";

/** Where a job is. `lost`: the process ended while no server watched it and left no exit record. */
export type JobStatus = "running" | "succeeded" | "failed" | "cancelled" | "lost";

/** A training job as the API accepts it. */
export interface TrainSpec {
  readonly kind: "train";
  /** Training strategy name (`labelwise train --strategy`). */
  readonly strategy: string;
  /** Epochs to train (the command's default when absent). */
  readonly epochs?: number;
  /** Id of an earlier training job whose run to resume (same run folder). */
  readonly resume?: string;
  /** Labelled subset of the training cases (the rest become unlabelled): a count or a fraction. */
  readonly labelled?: { readonly count: number } | { readonly fraction: number };
  /** Optimizer steps per epoch. */
  readonly iterationsPerEpoch?: number;
  /** The run's seed. */
  readonly seed?: number;
  /**
   * An experiment config (the `labelwise train --config` JSON) under the fields above, validated
   * with the experiment config schema before the job starts.
   */
  readonly config?: Readonly<Record<string, unknown>>;
}

/** A prediction job as the API accepts it. */
export interface PredictSpec {
  readonly kind: "predict";
  /** Id of the training job whose run folder holds the model. */
  readonly model: string;
  /** Which scans: every training scan, every test scan, or one case. */
  readonly scope: "train" | "test" | "case";
  /** The case when scope is "case". */
  readonly caseId?: string;
}

/** A "what to label next" ranking (`labelwise suggest`) of the dataset's cases that are not fully labelled. */
export interface SuggestSpec {
  readonly kind: "suggest";
  /** Id of the training job whose run folder holds the model. */
  readonly model: string;
}

export type JobSpec = TrainSpec | PredictSpec | SuggestSpec;

/** job.json: everything known about a job. */
export interface JobRecord {
  readonly format: "labelwise-job";
  readonly version: 1;
  readonly id: string;
  readonly kind: JobKind;
  readonly spec: JobSpec;
  status: JobStatus;
  readonly createdAt: string;
  endedAt: string | null;
  /** Process id of the job's wrapper (the process group leader). */
  pid: number | null;
  /** The command line (program first). */
  readonly argv: readonly string[];
  /** Output folder of the job (run folder of a training, predictions folder of a prediction). */
  readonly outputDir: string | null;
  /** Run folder a training reported (`labelwise train`'s "start" event): the model of later predictions. */
  runDir: string | null;
  exitCode: number | null;
  signal: string | null;
  cancelRequested: boolean;
  /** Fraction done, 0..1, from the last progress line. */
  progress: number | null;
  /** Last training loss seen. */
  lastLoss: number | null;
  /** Last progress line in words, or the failure reason. */
  message: string;
}

/** One point of the loss curve: x (iteration, epoch or line number) and the loss. */
export type LossPoint = readonly [number, number];

/** What subscribers of a job receive. */
export type JobEvent =
  | { readonly type: "state"; readonly job: JobRecord }
  | { readonly type: "progress"; readonly progress: number | null; readonly loss: number | null; readonly x: number | null; readonly message: string; readonly data: unknown }
  | { readonly type: "log"; readonly stream: "stdout" | "stderr"; readonly text: string };

/** A job's history for a newly connected client: loss curve and recent output. */
export interface JobHistory {
  readonly loss: readonly LossPoint[];
  readonly logs: readonly { readonly stream: "stdout" | "stderr"; readonly text: string }[];
}

/** Refused job request (conflict with a running job, unknown model …), with its HTTP status. */
export class JobRequestError extends Error {
  override readonly name = "JobRequestError";
  constructor(
    readonly statusCode: 400 | 404 | 409,
    message: string,
    /** Each problem on its own line (e.g. a config's validation issues with their paths). */
    readonly problems: readonly string[] = [],
  ) {
    super(message);
  }
}

/** Job ids: UTC time, kind and random hex, e.g. `20260101-120000-train-3fa9c1`. */
export const JOB_ID_PATTERN = "^[0-9]{8}-[0-9]{6}-(train|predict|suggest)-[0-9a-f]{6}$";
export const JOB_ID_RE = new RegExp(JOB_ID_PATTERN);
