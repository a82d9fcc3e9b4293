// The dataset as the server sees it: the case listing (re-read when older than a second, so files
// added on disk show up), lookups by case id, per-case status, label colours, and where the
// server keeps its own state (`<dataset>/.labelwise/`). Every file path handed out here comes from
// the dataset listing or from server configuration; a client-supplied id only selects an entry of
// the listing, it never becomes part of a path.
import { readdir } from "node:fs/promises";
import path from "node:path";
import {
  BOXES_DIR,
  createManifest,
  foregroundLabels,
  openDataset,
  readManifest,
  writeManifest,
  type Annotation,
  type Dataset,
  type DatasetCase,
} from "../data/index.js";

/** What a case id may look like (the listing decides whether it exists). */
export const CASE_ID_PATTERN = "^[A-Za-z0-9][A-Za-z0-9._-]{0,127}$";
const CASE_ID_RE = new RegExp(CASE_ID_PATTERN);

/** One foreground label of dataset.json with its display colour. */
export interface LabelInfo {
  readonly name: string;
  readonly value: number;
  /** "#rrggbb" */
  readonly color: string;
  /** A region label (several values); it cannot carry a box. */
  readonly region: boolean;
}

/** A case of the listing with what exists for it. */
export interface CaseSummary {
  readonly id: string;
  readonly split: "train" | "test";
  readonly annotation: Annotation;
  readonly channels: number;
  readonly hasLabel: boolean;
  readonly hasBoxes: boolean;
  readonly hasPrediction: boolean;
}

/** A case found by id. */
export interface FoundCase {
  readonly case: DatasetCase;
  readonly split: "train" | "test";
}

interface Listing {
  readonly at: number;
  readonly ds: Dataset;
  readonly byId: ReadonlyMap<string, FoundCase>;
}

/** How long a listing is reused before the folders are scanned again. */
const LISTING_TTL_MS = 1000;

/** Hue steps of the golden angle give well-separated colours for any number of labels. */
function defaultColor(value: number): string {
  const h = (value * 137.508 + 10) % 360;
  const s = 0.75;
  const l = 0.55;
  const f = (n: number) => {
    const k = (n + h / 30) % 12;
    const c = l - s * Math.min(l, 1 - l) * Math.max(-1, Math.min(k - 3, 9 - k, 1));
    return Math.round(c * 255)
      .toString(16)
      .padStart(2, "0");
  };
  return `#${f(0)}${f(8)}${f(4)}`;
}

/** Optional colours in dataset.json: `"label_colors": {"liver": "#aa3311"}` (or `[r, g, b]`, 0–255). */
function colorOverride(json: Record<string, unknown>, name: string): string | undefined {
  const table = json.label_colors ?? json.colors;
  if (table === null || typeof table !== "object" || Array.isArray(table)) return undefined;
  const v = (table as Record<string, unknown>)[name];
  if (typeof v === "string" && /^#[0-9a-fA-F]{6}$/.test(v)) return v.toLowerCase();
  if (Array.isArray(v) && v.length === 3 && v.every((x) => Number.isInteger(x) && x >= 0 && x <= 255)) {
    return `#${(v as number[]).map((x) => x.toString(16).padStart(2, "0")).join("")}`;
  }
  return undefined;
}

async function listNames(dir: string): Promise<Set<string>> {
  try {
    return new Set(await readdir(dir));
  } catch {
    return new Set();
  }
}

/** Options of {@link DatasetService}. */
export interface DatasetServiceOptions {
  /** Folder of prediction files `<case>.nii.gz`. @default `<dataset>/.labelwise/predictions` */
  readonly predictionsDir?: string;
  /** Root of training work folders. @default `<dataset>/.labelwise/runs` */
  readonly runsDir?: string;
}

/** Case listing, lookups and server state folders of one dataset. */
export class DatasetService {
  readonly root: string;
  /** `<dataset>/.labelwise`: the server's own state. */
  readonly stateDir: string;
  readonly jobsDir: string;
  readonly runsDir: string;
  readonly predictionsDir: string;
  private listing: Listing | undefined;
  private pending: Promise<Listing> | undefined;

  private constructor(root: string, opts: DatasetServiceOptions) {
    this.root = root;
    this.stateDir = path.join(root, ".labelwise");
    this.jobsDir = path.join(this.stateDir, "jobs");
    this.runsDir = path.resolve(opts.runsDir ?? path.join(this.stateDir, "runs"));
    this.predictionsDir = path.resolve(opts.predictionsDir ?? path.join(this.stateDir, "predictions"));
  }

  /**
   * Opens a dataset folder (it must pass the data layer's structural checks).
   * @throws ConfigError / DatasetError from {@link openDataset}.
   */
  static async open(root: string, opts: DatasetServiceOptions = {}): Promise<DatasetService> {
    const s = new DatasetService(path.resolve(root), opts);
    await s.dataset();
    return s;
  }

  /** The opened dataset, re-read when the cached listing is older than a second. */
  async dataset(): Promise<Dataset> {
    return (await this.current()).ds;
  }

  /** Forget the cached listing (after writing labelwise.json, boxes or predictions). */
  invalidate(): void {
    this.listing = undefined;
  }

  private async current(): Promise<Listing> {
    if (this.listing && Date.now() - this.listing.at < LISTING_TTL_MS) return this.listing;
    this.pending ??= (async () => {
      try {
        const ds = await openDataset(this.root);
        const byId = new Map<string, FoundCase>();
        for (const c of ds.training) byId.set(c.id, { case: c, split: "train" });
        for (const c of ds.test) if (!byId.has(c.id)) byId.set(c.id, { case: c, split: "test" });
        this.listing = { at: Date.now(), ds, byId };
        return this.listing;
      } finally {
        this.pending = undefined;
      }
    })();
    return this.pending;
  }

  /** The case with this id, or undefined (also for ids that are not well-formed). */
  async find(id: string): Promise<FoundCase | undefined> {
    if (typeof id !== "string" || !CASE_ID_RE.test(id)) return undefined;
    return (await this.current()).byId.get(id);
  }

  /** Foreground labels with colours (dataset.json `label_colors` when given, else a fixed palette). */
  async labels(): Promise<LabelInfo[]> {
    const ds = await this.dataset();
    const json = ds.json as Record<string, unknown>;
    return foregroundLabels(ds.json).map((l) => ({
      name: l.name,
      value: l.values[0]!,
      color: colorOverride(json, l.name) ?? defaultColor(l.values[0]!),
      region: l.region,
    }));
  }

  /** Path of a case's prediction (it may not exist). The id comes from the listing, never from a client. */
  predictionPath(c: DatasetCase): string {
    return path.join(this.predictionsDir, `${c.id}.nii.gz`);
  }

  /** Every case with its status, training cases first. */
  async cases(): Promise<CaseSummary[]> {
    const { ds } = await this.current();
    const [boxes, predictions] = await Promise.all([listNames(path.join(ds.root, BOXES_DIR)), listNames(this.predictionsDir)]);
    const summary = (c: DatasetCase, split: "train" | "test"): CaseSummary => ({
      id: c.id,
      split,
      annotation: c.annotation,
      channels: c.images.length,
      hasLabel: c.label !== null,
      hasBoxes: split === "train" && boxes.has(`${c.id}.json`),
      hasPrediction: predictions.has(`${c.id}.nii.gz`),
    });
    return [...ds.training.map((c) => summary(c, "train")), ...ds.test.map((c) => summary(c, "test"))];
  }

  /**
   * Records a training case's annotation in labelwise.json (created when missing; other cases keep theirs).
   * @throws RangeError when the annotation does not fit the files (labelled without a label file).
   */
  async setAnnotation(c: DatasetCase, annotation: Annotation): Promise<void> {
    const ds = await this.dataset();
    if (annotation === "labelled" && c.label === null) throw new RangeError(`Cannot mark case ${c.id} labelled: it has no label file`);
    const manifest = await readManifest(ds.root);
    const def = manifest?.defaultAnnotation ?? "labelled";
    const all: Record<string, Annotation> = {};
    for (const t of ds.training) all[t.id] = t.id === c.id ? annotation : t.annotation;
    await writeManifest(ds.root, createManifest(all, def));
    this.invalidate();
  }
}
