// `labelwise check`: an integrity check of an nnU-Net v2 raw dataset (plus labelwise.json,
// boxes/ and splits.json), stricter than nnU-Net's verify_dataset_integrity: every problem is
// collected rather than stopping at the first, origin/direction/affine mismatches are errors
// rather than warnings, and NaN/Inf, duplicate scans, boxes and the manifest are checked too.
// Cases are read one at a time per worker (bounded concurrency), never the whole dataset.
import { readdir, stat } from "node:fs/promises";
import path from "node:path";
import type { NiftiReadOptions } from "../../io/index.js";
import { mapPool } from "../_internal/pool.js";
import {
  annotationOf,
  BOXES_DIR,
  compareIds,
  DATASET_JSON,
  error,
  loadSplits,
  MANIFEST_JSON,
  readDatasetJson,
  readManifest,
  scanLayout,
  SPLITS_JSON,
  SUPPORTED_FILE_ENDINGS,
  warning,
  type Annotation,
  type DatasetJson,
  type Manifest,
  type Problem,
  type ScannedCase,
} from "../dataset/index.js";
import { ConfigError } from "../errors.js";
import { checkCase, type CaseContext } from "./check-case.js";
import type { GeometryTolerances } from "./geometry.js";
import type { CheckReport } from "./report.js";

/** Options of {@link checkDataset}. */
export interface CheckOptions {
  /** Cases read at once. @default 2 */
  readonly concurrency?: number;
  readonly tolerances?: GeometryTolerances;
  /** Largest accepted box world/voxel disagreement, mm. @default 0.01 */
  readonly worldToleranceMm?: number;
  /** NIfTI reader options (memory limit maxBytes, affine checks). */
  readonly read?: NiftiReadOptions;
  /** Called after each case (for a progress display). */
  readonly onProgress?: (done: number, total: number, caseId: string) => void;
}

/** Issues of a ConfigError as problems of `file`. */
function configProblems(e: ConfigError, file: string): Problem[] {
  return e.issues.map((i) => error(null, file, i.path === "" ? file : i.path, i.message));
}

/** Reads a JSON document of the dataset, turning a missing or invalid file into problems. */
async function readDoc<T>(read: () => Promise<T>, file: string, problems: Problem[]): Promise<T | undefined> {
  try {
    return await read();
  } catch (e) {
    if (e instanceof ConfigError) problems.push(...configProblems(e, file));
    else if ((e as { code?: string }).code === "ENOENT") problems.push(error(null, file, file, "missing"));
    else problems.push(error(null, file, file, `unreadable: ${(e as Error).message}`));
    return undefined;
  }
}

/** Box files present, by case id; box files of unknown cases are warnings. */
async function listBoxFiles(root: string, known: ReadonlySet<string>, problems: Problem[]): Promise<Set<string>> {
  const out = new Set<string>();
  let names: string[];
  try {
    names = await readdir(path.join(root, BOXES_DIR));
  } catch {
    return out;
  }
  for (const n of names.sort()) {
    const rel = `${BOXES_DIR}/${n}`;
    if (!n.endsWith(".json") || n.startsWith(".")) {
      problems.push(warning(null, rel, "file", "not a <case>.json box file; ignored"));
      continue;
    }
    const id = n.slice(0, -".json".length);
    if (known.has(id)) out.add(id);
    else problems.push(warning(id, rel, "boxes", "box file for a case that is not in the dataset"));
  }
  return out;
}

/** splits.json (when present): valid, naming only known cases, validating only against existing labels. */
async function checkSplits(root: string, cases: ReadonlyMap<string, ScannedCase>, problems: Problem[]): Promise<void> {
  try {
    await stat(path.join(root, SPLITS_JSON));
  } catch {
    return;
  }
  const s = await readDoc(() => loadSplits(path.join(root, SPLITS_JSON)), SPLITS_JSON, problems);
  if (s === undefined) return;
  for (const f of s.splits) {
    const lists = { "train.labelled": f.train.labelled, "train.unlabelled": f.train.unlabelled, "train.boxes": f.train.boxes, val: f.val };
    for (const [name, ids] of Object.entries(lists)) {
      for (const id of ids) {
        const c = cases.get(id);
        const field = `splits[${f.fold}].${name}`;
        if (c === undefined) problems.push(error(id, SPLITS_JSON, field, "case is not in the dataset"));
        else if ((name === "val" || name === "train.labelled") && c.label === null) problems.push(error(id, SPLITS_JSON, field, `case has no label file (${c.labelPath})`));
      }
    }
  }
}

/** Dataset-level checks of dataset.json against what is on disk. */
function checkCounts(ds: DatasetJson, training: readonly ScannedCase[], manifest: Manifest | undefined, problems: Problem[]): void {
  if (ds.numTraining !== training.length) {
    const where = ds.dataset ? 'the "dataset" key lists' : "imagesTr holds";
    problems.push(error(null, DATASET_JSON, "numTraining", `declares ${ds.numTraining} but ${where} ${training.length} case(s)`));
  }
  const known = new Set(training.map((c) => c.id));
  for (const id of Object.keys(manifest?.cases ?? {}).sort(compareIds)) {
    if (!known.has(id)) problems.push(error(id, MANIFEST_JSON, `cases.${id}`, "case is not in the dataset"));
  }
}

/** Orders problems: dataset-level first, then by case (training before test), then file and field. */
function sortProblems(problems: Problem[], order: ReadonlyMap<string, number>): Problem[] {
  const rank = (p: Problem) => (p.case === null ? -1 : order.get(p.case) ?? order.size);
  return problems
    .map((p, i) => ({ p, i }))
    .sort((a, b) => rank(a.p) - rank(b.p) || compareIds(a.p.case ?? "", b.p.case ?? "") || compareIds(a.p.file ?? "", b.p.file ?? "") || a.i - b.i)
    .map((x) => x.p);
}

/**
 * Checks a dataset folder and returns every problem found (it never throws for bad data).
 * @example
 * const r = await checkDataset("/data/hippocampus");
 * if (!r.ok) for (const line of formatProblems(r)) console.log(line);
 */
export async function checkDataset(root: string, opts: CheckOptions = {}): Promise<CheckReport> {
  const t0 = performance.now();
  const abs = path.resolve(root);
  const problems: Problem[] = [];
  let training: readonly ScannedCase[] = [];
  let test: readonly ScannedCase[] = [];
  const finish = (): CheckReport => {
    const order = new Map<string, number>();
    [...training, ...test].forEach((c, i) => order.has(c.id) || order.set(c.id, i));
    const sorted = sortProblems(problems, order);
    const errors = sorted.filter((p) => p.severity === "error").length;
    return {
      format: "labelwise-check",
      version: 1,
      dataset: abs,
      ok: errors === 0,
      cases: { training: training.length, test: test.length },
      errors,
      warnings: sorted.length - errors,
      seconds: (performance.now() - t0) / 1000,
      problems: sorted,
    };
  };
  const isDir = await stat(abs).then((s) => s.isDirectory(), () => false);
  if (!isDir) {
    problems.push(error(null, null, "dataset", `${abs} is not a folder`));
    return finish();
  }
  const ds = await readDoc(() => readDatasetJson(abs), DATASET_JSON, problems);
  if (ds === undefined) return finish();
  if (!SUPPORTED_FILE_ENDINGS.includes(ds.file_ending)) {
    problems.push(error(null, DATASET_JSON, "file_ending", `labelwise reads NIfTI only (${SUPPORTED_FILE_ENDINGS.join(" or ")}). Received: ${ds.file_ending}`));
    return finish();
  }
  // An unusable manifest leaves annotations unknown: label and box requirements are then not checked.
  const before = problems.length;
  const manifest = await readDoc(() => readManifest(abs), MANIFEST_JSON, problems);
  const manifestOk = problems.length === before;
  const scan = await scanLayout(abs, ds);
  training = scan.training;
  test = scan.test;
  problems.push(...scan.problems);
  checkCounts(ds, training, manifest, problems);
  const byId = new Map(training.map((c) => [c.id, c]));
  const boxFiles = await listBoxFiles(abs, new Set(byId.keys()), problems);
  await checkSplits(abs, byId, problems);

  const ctx: CaseContext = { root: abs, ds, tolerances: opts.tolerances ?? {}, read: opts.read ?? {}, worldToleranceMm: opts.worldToleranceMm };
  const jobs = [...training.map((c) => ({ c, kind: "training" as const })), ...test.map((c) => ({ c, kind: "test" as const }))];
  let done = 0;
  const digests = await mapPool(jobs, opts.concurrency ?? 2, async ({ c, kind }) => {
    const annotation: Annotation | undefined = kind === "test" || !manifestOk ? undefined : annotationOf(manifest, c.id);
    let digest: string | undefined;
    try {
      const r = await checkCase(ctx, c, kind, annotation, kind === "training" && boxFiles.has(c.id));
      problems.push(...r.problems);
      digest = r.digest;
    } catch (e) {
      problems.push(error(c.id, null, "check", `could not be checked: ${(e as Error).message}`));
    }
    opts.onProgress?.(++done, jobs.length, c.id);
    return digest;
  });
  // In case order (not completion order), so the same dataset always gives the same lines.
  const firstSeen = new Map<string, string>();
  digests.forEach((d, i) => {
    if (d === undefined) return;
    const { c, kind } = jobs[i]!;
    const first = firstSeen.get(d);
    if (first === undefined) firstSeen.set(d, `${kind === "test" ? "imagesTs" : "imagesTr"}/${c.id}`);
    else problems.push(error(c.id, c.images[0] ?? null, "duplicate", `image data identical to ${first} (the same scan under two case ids leaks between training and validation)`));
  });
  return finish();
}
