// The preprocessed-case cache: one folder per plan configuration, one pair of files per case.
// A case is reused when its header records the current preprocessing hash and the same source
// files (path, size, mtime) and its binary has the recorded size; otherwise it is preprocessed
// again. Cases are processed a few at a time, so memory stays at a few volumes.
import { mkdir, stat } from "node:fs/promises";
import path from "node:path";
import { mapPool } from "../_internal/pool.js";
import { type Dataset, type DatasetCase, boxFilePath, readCase, readCaseBoxes } from "../dataset/index.js";
import { type PlanConfiguration, type Plans, preprocessingHash } from "../plan/index.js";
import { type CacheHeader, CacheFormatError, type SourceStamp, casePaths, readHeaderSync, writeCase } from "./cache-format.js";
import { preprocessCase } from "./preprocess-case.js";

/** Options of {@link preprocessDataset}. */
export interface PreprocessOptions {
  /** Only these case ids. @default every training case */
  caseIds?: readonly string[];
  /**
   * Cases whose boxes are read into the cache although labelwise.json does not mark them boxes
   * (a split turned them into box cases). Cases marked boxes always get theirs.
   */
  boxCases?: readonly string[];
  /** Cases processed at once. @default 2 */
  concurrency?: number;
  /** Preprocess every case even when the cache is valid. @default false */
  force?: boolean;
  /** fsync written files (off only for scratch data). @default true */
  fsync?: boolean;
  onProgress?: (done: number, total: number, caseId: string, reused: boolean) => void;
}

/** What the cache holds for a set of cases. */
export interface CacheIndex {
  readonly dir: string;
  readonly preprocessingHash: string;
  /** Headers by case id. */
  readonly headers: ReadonlyMap<string, CacheHeader>;
  /** Case ids reused from an earlier run, and those (re)written now. */
  readonly reused: readonly string[];
  readonly written: readonly string[];
}

/** Size and mtime of every file a cached case derives from (its box file too when boxes are read: edited boxes are redone). */
async function stamps(c: DatasetCase, boxFile: string | null): Promise<SourceStamp[]> {
  const files = [...c.images, ...(c.label === null ? [] : [c.label])];
  const out = await Promise.all(
    files.map(async (path) => {
      const s = await stat(path);
      return { path, size: s.size, mtimeMs: s.mtimeMs };
    }),
  );
  // A missing box file is left out here: reading the boxes then fails with the dataset's message.
  const b = boxFile === null ? undefined : await stat(boxFile).catch(() => undefined);
  if (b) out.push({ path: boxFile!, size: b.size, mtimeMs: b.mtimeMs });
  return out;
}

function sameSources(a: readonly SourceStamp[], b: readonly SourceStamp[]): boolean {
  return a.length === b.length && a.every((s, i) => s.path === b[i]!.path && s.size === b[i]!.size && s.mtimeMs === b[i]!.mtimeMs);
}

/** The cached header of a case if it is still valid, else null. */
async function validHeader(dir: string, id: string, hash: string, sources: readonly SourceStamp[]): Promise<CacheHeader | null> {
  const p = casePaths(dir, id);
  let h: CacheHeader | null;
  try {
    h = readHeaderSync(p.header);
  } catch (e) {
    if (e instanceof CacheFormatError) return null;
    throw e;
  }
  if (!h || h.id !== id || h.preprocessingHash !== hash || !sameSources(h.sources, sources)) return null;
  try {
    if ((await stat(p.bin)).size !== h.bytes) return null;
  } catch {
    return null;
  }
  return h;
}

/**
 * Preprocesses the dataset's training cases into `dir` under plan configuration `config`, reusing
 * valid cached cases.
 * @example
 * const cache = await preprocessDataset(ds, plans, resolvePlanConfiguration(plans, "3d_fullres"), "runs/hippo/preprocessed/3d_fullres");
 */
export async function preprocessDataset(ds: Dataset, plans: Plans, config: PlanConfiguration, dir: string, opts: PreprocessOptions = {}): Promise<CacheIndex> {
  await mkdir(dir, { recursive: true });
  const hash = preprocessingHash(plans, config);
  const wanted = opts.caseIds ? new Set(opts.caseIds) : null;
  const cases = ds.training.filter((c) => wanted === null || wanted.has(c.id));
  if (wanted) {
    const missing = [...wanted].filter((id) => !cases.some((c) => c.id === id));
    if (missing.length) throw new RangeError(`Cannot preprocess: unknown case id(s) ${missing.join(", ")}`);
  }
  const boxCases = new Set(opts.boxCases ?? []);
  const reused: string[] = [];
  const written: string[] = [];
  let done = 0;
  const headers = await mapPool(cases, opts.concurrency ?? 2, async (c) => {
    const wantBoxes = c.annotation === "boxes" || boxCases.has(c.id);
    const sources = await stamps(c, wantBoxes ? path.join(ds.root, boxFilePath(c.id)) : null);
    const cached = opts.force ? null : await validHeader(dir, c.id, hash, sources);
    if (cached) {
      reused.push(c.id);
      opts.onProgress?.(++done, cases.length, c.id, true);
      return cached;
    }
    const loaded = await readCase(c);
    const boxes = wantBoxes ? await readCaseBoxes(ds, c) : null;
    const pc = preprocessCase(c.id, loaded.images, loaded.label, boxes, config, { ignoreLabel: plans.ignoreLabel });
    const header = await writeCase(dir, pc, hash, sources, opts.fsync ?? true);
    written.push(c.id);
    opts.onProgress?.(++done, cases.length, c.id, false);
    return header;
  });
  return { dir, preprocessingHash: hash, headers: new Map(headers.map((h) => [h.id, h])), reused: reused.sort(), written: written.sort() };
}
