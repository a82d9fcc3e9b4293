// `labelwise plan`: fingerprint a dataset and write its plans into the work folder.
import { mkdir } from "node:fs/promises";
import { type Fingerprint, type Plans, type PlannerOptions, computeFingerprint, datasetName, openDataset, planExperiment, saveFingerprint, savePlans } from "../data/index.js";
import { type Workspace, workspace } from "./workspace.js";

export interface PlanDatasetOptions extends PlannerOptions {
  /** Root of the work folders. @default "runs" */
  out?: string;
  /** Cases read at once. @default 2 */
  concurrency?: number;
  onProgress?: (done: number, total: number, caseId: string) => void;
}

export interface PlanDatasetResult {
  workspace: Workspace;
  fingerprint: Fingerprint;
  plans: Plans;
}

/**
 * Computes fingerprint.json and plans.json of the dataset at `dir`.
 * @example const { plans } = await planDataset("data/Dataset004_Hippocampus", { out: "runs", memoryBudgetMiB: 1024 });
 */
export async function planDataset(dir: string, opts: PlanDatasetOptions = {}): Promise<PlanDatasetResult> {
  const { out = "runs", concurrency, onProgress, ...planner } = opts;
  const ds = await openDataset(dir);
  const ws = workspace(out, datasetName(ds));
  const fingerprint = await computeFingerprint(ds, { ...(concurrency ? { concurrency } : {}), ...(onProgress ? { onProgress } : {}) });
  const plans = planExperiment(fingerprint, ds.json, planner);
  await mkdir(ws.root, { recursive: true });
  await saveFingerprint(ws.fingerprint, fingerprint);
  await savePlans(ws.plans, plans);
  return { workspace: ws, fingerprint, plans };
}
