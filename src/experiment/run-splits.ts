// The fold a run trains on. Splits come from the config's file, or are generated (seeded) and
// saved in the work folder under a name that encodes their options, so runs with different
// labelled fractions never overwrite each other's splits and a rerun reads back the same lists.
import { mkdir } from "node:fs/promises";
import path from "node:path";
import { type Dataset, type Fold, type Splits, canonicalHash, loadSplits, makeSplits, saveSplits, splitCases } from "../data/index.js";
import type { ExperimentConfig } from "./schema.js";
import type { Workspace } from "./workspace.js";

/** A file-name-safe name for generated splits with these options. */
export function splitsName(s: ExperimentConfig["split"]): string {
  const labelled =
    s.labelled === undefined
      ? "all"
      : "fraction" in s.labelled
        ? `frac${s.labelled.fraction}`
        : "count" in s.labelled
          ? `count${s.labelled.count}`
          : `list${s.labelled.cases.length}-${canonicalHash([...s.labelled.cases].sort()).slice(0, 8)}`; // a list is named by its content
  const boxes = s.boxes === undefined ? "" : "fraction" in s.boxes ? `_boxfrac${s.boxes.fraction}` : `_boxcount${s.boxes.count}`;
  return `folds${s.folds}_seed${s.seed}_${labelled}_${s.selection}${boxes}`;
}

/**
 * Loads or creates the run's splits and returns its fold.
 * @throws RangeError when the fold does not exist; ConfigError for an invalid splits file
 */
export async function foldForRun(ds: Dataset, ws: Workspace, s: ExperimentConfig["split"]): Promise<{ fold: Fold; splits: Splits; file: string }> {
  let splits: Splits;
  let file: string;
  if (s.file) {
    file = path.resolve(s.file);
    splits = await loadSplits(file);
  } else {
    file = ws.splits(splitsName(s));
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
