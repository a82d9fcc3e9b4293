// A dataset as training code sees it: dataset.json, labelwise.json and the case files, checked
// for structure (every listed file exists, labelled cases have labels) when opened. Voxel-level
// integrity (geometry, values, NaN) is `labelwise check`'s job; opening stays cheap.
import path from "node:path";
import { readNifti, readNiftiGeometry, type NiftiReadOptions } from "../../io/index.js";
import type { Volume } from "../../volume/index.js";
import { DatasetError } from "../errors.js";
import { readBoxFile, validateBoxes, type BoxValidationOptions, type ResolvedBox } from "./boxes.js";
import { assertSupportedFileEnding, channelNames, readDatasetJson, type DatasetJson } from "./dataset-json.js";
import { scanLayout } from "./layout.js";
import { annotationOf, readManifest, type Annotation, type Manifest } from "./manifest.js";
import { formatProblem, type Problem } from "./problem.js";
import type { SplitCase } from "./splits.js";

/** One case, with absolute file paths. */
export interface DatasetCase {
  readonly id: string;
  /** One image per channel, in channel order. */
  readonly images: readonly string[];
  /** The label file, or null (unlabelled scans may have none). */
  readonly label: string | null;
  readonly annotation: Annotation;
}

/** An opened dataset. */
export interface Dataset {
  /** Absolute path of the dataset folder. */
  readonly root: string;
  readonly json: DatasetJson;
  /** labelwise.json, when the dataset has one. */
  readonly manifest: Manifest | undefined;
  readonly channels: readonly string[];
  /** Training cases, sorted by id. */
  readonly training: readonly DatasetCase[];
  /** imagesTs cases, sorted by id (annotation "unlabelled"). */
  readonly test: readonly DatasetCase[];
}

/**
 * Opens an nnU-Net v2 raw dataset folder (with its optional labelwise.json).
 * @throws ConfigError for an invalid dataset.json or labelwise.json; DatasetError when files are
 *   missing, channels are incomplete, or a labelled case has no label.
 * @example
 * const ds = await openDataset("/data/hippocampus");
 * ds.training.filter((c) => c.annotation === "labelled").length;
 */
export async function openDataset(root: string): Promise<Dataset> {
  const abs = path.resolve(root);
  const json = await readDatasetJson(abs);
  assertSupportedFileEnding(json);
  const manifest = await readManifest(abs);
  const scan = await scanLayout(abs, json);
  const problems: Problem[] = scan.problems.filter((p) => p.severity === "error");
  const known = new Set(scan.training.map((c) => c.id));
  for (const id of Object.keys(manifest?.cases ?? {})) {
    if (!known.has(id)) problems.push({ severity: "error", case: id, file: "labelwise.json", field: "cases", message: "case is not in the dataset" });
  }
  const training = scan.training.map((c) => {
    const annotation = annotationOf(manifest, c.id);
    if (annotation === "labelled" && c.label === null) {
      problems.push({ severity: "error", case: c.id, file: c.labelPath, field: "label", message: "missing (the case is labelled; mark it unlabelled or boxes in labelwise.json if intended)" });
    }
    // Channel lists are complete here: a missing channel is a scan error, and errors throw below.
    const images = c.images.map((f) => path.resolve(abs, f ?? ""));
    return { id: c.id, images, label: c.label === null ? null : path.resolve(abs, c.label), annotation };
  });
  if (problems.length) {
    throw new DatasetError(abs, `Cannot open dataset ${abs}: ${problems.length} problem(s)`, problems.map(formatProblem));
  }
  const test = scan.test.map((c) => ({ id: c.id, images: c.images.map((f) => path.resolve(abs, f!)), label: null, annotation: "unlabelled" as const }));
  return { root: abs, json, manifest, channels: channelNames(json), training, test };
}

/** Cases as {@link makeSplits} needs them. */
export function splitCases(ds: Dataset): SplitCase[] {
  return ds.training.map((c) => ({ id: c.id, annotation: c.annotation, hasLabel: c.label !== null }));
}

/** A case's voxels: one Volume per channel and the label map when there is one. */
export interface LoadedCase {
  readonly id: string;
  readonly images: readonly Volume[];
  readonly label: Volume | null;
}

/**
 * Reads a case's images and label (the whole case in memory; read cases one at a time).
 * @example
 * const { images, label } = await readCase(ds.training[0]);
 */
export async function readCase(c: DatasetCase, opts: NiftiReadOptions = {}): Promise<LoadedCase> {
  const images: Volume[] = [];
  for (const f of c.images) images.push((await readNifti(f, opts)).volume);
  const label = c.label === null ? null : (await readNifti(c.label, opts)).volume;
  return { id: c.id, images, label };
}

/**
 * Reads a box-annotated case's boxes in both coordinate forms, on the grid of its first image
 * (header only; no voxels are read).
 * @throws DatasetError when the box file is missing or does not fit the dataset or the image.
 */
export async function readCaseBoxes(ds: Dataset, c: DatasetCase, opts: BoxValidationOptions = {}): Promise<ResolvedBox[]> {
  const file = await readBoxFile(ds.root, c.id);
  if (file === undefined) throw new DatasetError(ds.root, `Cannot read boxes of case ${c.id}: boxes/${c.id}.json is missing`);
  const g = await readNiftiGeometry(c.images[0]!);
  const r = validateBoxes(c.id, file, ds.json, { shape: g.shape, affine: g.affine }, opts);
  if (r.problems.length) throw new DatasetError(ds.root, `Cannot use boxes of case ${c.id}`, r.problems.map(formatProblem));
  return r.boxes;
}
