// The fold a run trains on. Splits come from the config's file, or are generated (seeded) and
// saved in the work folder under a name that encodes their options, so runs with different
// labelled fractions never overwrite each other's splits and a rerun reads back the same lists.
import { mkdir } from "node:fs/promises";
import path from "node:path";
import { type Dataset, type Fold, type SplitCase, type Splits, canonicalHash, loadSplits, makeSplits, saveSplits, splitCases } from "../data/index.js";
import type { ExperimentConfig } from "./schema.js";
import type { Workspace } from "./workspace.js";

/**
 * A file-name-safe name for generated splits with these options and, when given, the dataset's
 * cases and their annotations: a case added, removed or re-annotated (labelwise.json) gives a new
 * file instead of silently reusing lists made from the old state.
 */
export function splitsName(s: ExperimentConfig["split"], cases?: readonly SplitCase[]): string {
  const labelled =
    s.labelled === undefined
      ? "all"
      : "fraction" in s.labelled
        ? `frac${s.labelled.fraction}`
        : "count" in s.labelled
          ? `count${s.labelled.count}`
          : `list${s.labelled.cases.length}-${canonicalHash([...s.labelled.cases].sort()).slice(0, 8)}`; // a list is named by its content
  const boxes = s.boxes === undefined ? "" : "fraction" in s.boxes ? `_boxfrac${s.boxes.fraction}` : `_boxcount${s.boxes.count}`;
  const content = cases === undefined ? "" : `_cases${canonicalHash([...cases].sort((a, b) => (a.id < b.id ? -1 : a.id > b.id ? 1 : 0))).slice(0, 8)}`;
  return `folds${s.folds}_seed${s.seed}_${labelled}_${s.selection}${boxes}${content}`;
}

/**
 * Loads or creates the run's splits and returns its fold. `recorded` (a resumed run's splits file)
 * wins over everything else, so a run continues on the lists it started with.
 * @throws RangeError when the fold does not exist; ConfigError for an invalid splits file
 */
export async function foldForRun(ds: Dataset, ws: Workspace, s: ExperimentConfig["split"], recorded?: string): Promise<{ fold: Fold; splits: Splits; file: string }> {
  let splits: Splits;
  let file: string;
  if (recorded !== undefined || s.file) {
    file = path.resolve((recorded ?? s.file) as string);
    splits = await loadSplits(file);
  } else {
    file = ws.splits(splitsName(s, splitCases(ds)));
    try {
      splits = await loadSplits(file);
    } catch (e) {
      if ((e as { code?: string }).code !== "ENOENT") throw e;
      splits = makeSplits(splitCases(ds), { folds: s.folds, seed: s.seed, selection: s.selection, ...(s.labelled ? { labelled: s.labelled } : {}), ...(s.boxes ? { boxes: s.boxes } : {}) });
      await mkdir(path.dirname(file), { recursive: true });
      await saveSplits(file, splits);
    }
  }
  const fold = splits.splits[s.fold];
  if (!fold) throw new RangeError(`Cannot train fold ${s.fold}: ${file} has ${splits.splits.length} fold(s)`);
  const known = new Set(ds.training.map((c) => c.id));
  const unknown = [...fold.train.labelled, ...fold.train.unlabelled, ...fold.train.boxes, ...fold.val].filter((id) => !known.has(id));
  if (unknown.length) throw new RangeError(`Cannot train fold ${s.fold}: ${file} names case(s) not in the dataset: ${unknown.slice(0, 5).join(", ")}`);
  return { fold, splits, file };
}
