// Test fixtures of the server: a small phantom dataset in a temporary folder (two organs, three
// training cases, one test case, no boxes yet, one case marked unlabelled), a prediction for the
// first case, and a job command factory that runs the fake training job.
import { copyFile, mkdir, mkdtemp, rm, writeFile } from "node:fs/promises";
import { tmpdir } from "node:os";
import path from "node:path";
import { fileURLToPath } from "node:url";
import { writePhantomDataset } from "../../data/phantom/index.js";
import type { JobCommandFactory } from "../jobs/runner.js";

/** A temporary phantom dataset; `cleanup` removes it. */
export interface TestDataset {
  readonly root: string;
  readonly ids: readonly string[];
  readonly testIds: readonly string[];
  cleanup(): Promise<void>;
}

/** Shape of the phantom images: small, so tests and the page stay fast. */
export const FIXTURE_SHAPE = [24, 20, 16] as const;

/** Options of {@link makeTestDataset}; the defaults make the dataset described at the top. */
export interface TestDatasetOptions {
  /** Training cases. @default 3 */
  readonly cases?: number;
  /** Indices of the training cases marked unlabelled in labelwise.json. @default [2] */
  readonly unlabelled?: readonly number[];
  /** Copy case 0's label into the predictions folder as its "prediction". @default true */
  readonly predictFirst?: boolean;
}

export async function makeTestDataset(opts: TestDatasetOptions = {}): Promise<TestDataset> {
  const base = await mkdtemp(path.join(tmpdir(), "labelwise-server-"));
  const root = path.join(base, "Dataset901_Phantom");
  const r = await writePhantomDataset(root, { cases: opts.cases ?? 3, testCases: 1, seed: 7, shape: [...FIXTURE_SHAPE], spacing: [1, 1, 2], classes: 2, boxes: false });
  // Unlabelled scans (case 2 by default): saving boxes on one marks it box-annotated.
  const unlabelled = Object.fromEntries((opts.unlabelled ?? [2]).map((i) => [r.training[i]!, { annotation: "unlabelled" }]));
  await writeFile(path.join(root, "labelwise.json"), JSON.stringify({ format: "labelwise-dataset", version: 1, defaultAnnotation: "labelled", cases: unlabelled }));
  // A "prediction" of case 0: its own label, so Dice is 1.
  const pred = path.join(root, ".labelwise", "predictions");
  await mkdir(pred, { recursive: true });
  if (opts.predictFirst ?? true) await copyFile(path.join(root, "labelsTr", `${r.training[0]}.nii.gz`), path.join(pred, `${r.training[0]}.nii.gz`));
  return { root, ids: r.training, testIds: r.test, cleanup: () => rm(base, { recursive: true, force: true }) };
}

/** The compiled fake job script. */
export const fakeJobScript = fileURLToPath(new URL("./fake-job.js", import.meta.url));

/**
 * Runs every job as the fake training (epochs/interval as given), recording SIGINT in
 * `<jobDir>/sigint.txt`. A training reports `<jobDir>/out/run` as its run folder; a prediction of
 * one case (`datasetRoot` given) "predicts" by copying the case's label into the predictions folder.
 */
export function fakeCommands(opts: { epochs?: number; interval?: number; failAt?: number; datasetRoot?: string } = {}): JobCommandFactory {
  return (spec, ctx) => {
    const args = [
      fakeJobScript,
      "--epochs",
      String(spec.kind === "train" && spec.epochs !== undefined ? spec.epochs : (opts.epochs ?? 5)),
      "--interval",
      String(opts.interval ?? 50),
      "--sigint-file",
      path.join(ctx.jobDir, "sigint.txt"),
    ];
    if (opts.failAt !== undefined) args.push("--fail-at", String(opts.failAt));
    if (spec.kind === "train") args.push("--run-dir", path.join(ctx.jobDir, "out", "run"));
    if (spec.kind === "predict" && spec.scope === "case" && spec.caseId !== undefined && opts.datasetRoot !== undefined) {
      const root = opts.datasetRoot;
      args.push("--copy", path.join(root, "labelsTr", `${spec.caseId}.nii.gz`), path.join(root, ".labelwise", "predictions", `${spec.caseId}.nii.gz`));
    }
    return { command: process.execPath, args, outputDir: path.join(ctx.jobDir, "out") };
  };
}
