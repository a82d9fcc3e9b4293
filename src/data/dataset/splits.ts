// Seeded dataset splits: k-fold cross-validation over the cases that have ground truth, and, in
// each fold's training part, the labelled subset (a fraction or a count) for semi-supervised
// runs. Splits are saved to splits.json with the explicit case lists, so a run is reproduced by
// reading the file, not by trusting that the generator still produces the same lists.
import { readFile } from "node:fs/promises";
import { z } from "zod";
import { writeJsonAtomic } from "../../util/index.js";
import { parseJsonText, parseWith } from "./json-file.js";
import type { Annotation } from "./manifest.js";
import { compareIds } from "./layout.js";
import { deriveSeed, mulberry32, shuffled } from "./prng.js";

/** File name of saved splits (beside dataset.json by convention; any path works). */
export const SPLITS_JSON = "splits.json";
export const SPLITS_VERSION = 1;

/** What a split needs to know about a case. */
export interface SplitCase {
  readonly id: string;
  /** Its role in training (labelwise.json). */
  readonly annotation: Annotation;
  /** Whether a label file exists: only such cases can be validated against, so only they enter validation folds. */
  readonly hasLabel: boolean;
}

/** How many labelled cases to keep in each fold's training part; the others become unlabelled. */
export type LabelledSelection = { readonly fraction: number } | { readonly count: number };
/** The labelled cases named explicitly (e.g. a published benchmark's list); the others become unlabelled. */
export type LabelledCaseList = { readonly cases: readonly string[] };

/** Options of {@link makeSplits}. */
export interface SplitOptions {
  /** Number of folds; 1 keeps every case for training (no validation part, e.g. a fixed external test set). */
  readonly folds: number;
  /** Seed in [0, 2^32). */
  readonly seed: number;
  /** Labelled subset of each fold's training cases; omitted: every case marked labelled stays labelled. */
  readonly labelled?: LabelledSelection | LabelledCaseList;
  /**
   * Which labelled cases to keep: "random" (seeded; a larger fraction keeps a superset of a smaller
   * one) or "first" in sorted id order (the convention of the left-atrium semi-supervised benchmark).
   * @default "random"
   */
  readonly selection?: "random" | "first";
  /**
   * Of the labelled cases a fold's `labelled` selection leaves out, how many become box-annotated
   * (train.boxes) instead of unlabelled: mixed supervision from one fully labelled dataset whose
   * box files were derived (`labelwise boxes-from-labels`). Taken in the selection's order, so a
   * larger share keeps a smaller one's cases. Omitted: they all become unlabelled.
   */
  readonly boxes?: LabelledSelection;
}

const Ids = z.array(z.string().min(1));
const FoldSchema = z.strictObject({
  fold: z.number().int().nonnegative(),
  train: z.strictObject({ labelled: Ids, unlabelled: Ids, boxes: Ids }),
  val: Ids,
});

/** zod schema of splits.json (version 1). */
export const SplitsSchema = z
  .strictObject({
    format: z.literal("labelwise-splits"),
    version: z.literal(SPLITS_VERSION),
    prng: z.literal("mulberry32"),
    seed: z.number().int().min(0).max(0xffffffff),
    folds: z.number().int().positive(),
    labelled: z.union([z.strictObject({ fraction: z.number().min(0).max(1) }), z.strictObject({ count: z.number().int().nonnegative() }), z.strictObject({ cases: Ids }), z.null()]),
    selection: z.enum(["random", "first"]),
    /** Present when demoted labelled cases were turned into box cases (SplitOptions.boxes). */
    boxes: z.union([z.strictObject({ fraction: z.number().min(0).max(1) }), z.strictObject({ count: z.number().int().nonnegative() })]).optional(),
    splits: z.array(FoldSchema),
  })
  .superRefine((s, ctx) => {
    if (s.splits.length !== s.folds) ctx.addIssue({ code: "custom", path: ["splits"], message: `must hold ${s.folds} folds. Received: ${s.splits.length}` });
    s.splits.forEach((f, i) => {
      if (f.fold !== i) ctx.addIssue({ code: "custom", path: ["splits", i, "fold"], message: `must be ${i}` });
      const seen = new Set<string>();
      for (const id of [...f.train.labelled, ...f.train.unlabelled, ...f.train.boxes, ...f.val]) {
        if (seen.has(id)) ctx.addIssue({ code: "custom", path: ["splits", i], message: `case ${id} appears twice (train and val must not overlap)` });
        seen.add(id);
      }
    });
  });

/** A set of folds with the options that produced them. */
export type Splits = z.infer<typeof SplitsSchema>;
/** One fold. */
export type Fold = Splits["splits"][number];

/** Count kept from `available` candidates. A positive fraction keeps at least one case. */
function labelledCount(sel: LabelledSelection, available: number, what = "labelled"): number {
  if ("fraction" in sel) {
    if (!(sel.fraction >= 0 && sel.fraction <= 1)) throw new RangeError(`Cannot split: ${what} fraction must be in [0, 1]. Received: ${sel.fraction}`);
    if (sel.fraction === 0) return 0;
    return Math.min(available, Math.max(1, Math.round(sel.fraction * available)));
  }
  if (!Number.isInteger(sel.count) || sel.count < 0) throw new RangeError(`Cannot split: ${what} count must be a non-negative integer. Received: ${sel.count}`);
  if (sel.count > available) {
    const of = what === "labelled" ? "labelled training case(s) of a fold" : "labelled training case(s) a fold leaves unlabelled";
    throw new RangeError(`Cannot split: ${what} count ${sel.count} exceeds the ${available} ${of}`);
  }
  return sel.count;
}

/** The explicit labelled list as a set, after checking that each id is a labelled case of the dataset. */
function checkedCaseList(list: readonly string[], byId: ReadonlyMap<string, SplitCase>): Set<string> {
  const out = new Set<string>();
  for (const id of list) {
    const c = byId.get(id);
    if (!c) throw new RangeError(`Cannot split: the labelled case list names ${id}, which is not a training case of the dataset`);
    if (c.annotation !== "labelled") throw new RangeError(`Cannot split: the labelled case list names ${id}, whose annotation is "${c.annotation}" (only labelled cases can stay labelled)`);
    if (out.has(id)) throw new RangeError(`Cannot split: the labelled case list names ${id} twice`);
    out.add(id);
  }
  return out;
}

/**
 * Splits cases into folds (seeded) and selects each fold's labelled subset (a fraction, a count,
 * or an explicit list: listed cases of a fold's training part stay labelled, the others become
 * unlabelled; a listed case that falls in a fold's validation part is validated on, not trained on).
 * Validation folds are drawn from cases with a label file; cases without one always train.
 * @example
 * const s = makeSplits(cases, { folds: 5, seed: 12345, labelled: { fraction: 0.1 } });
 * s.splits[0].train.labelled; // ~10 % of fold 0's labelled training cases
 */
export function makeSplits(cases: readonly SplitCase[], opts: SplitOptions): Splits {
  const { folds, seed } = opts;
  const selection = opts.selection ?? "random";
  if (!Number.isInteger(folds) || folds < 1) throw new RangeError(`Cannot split: folds must be a positive integer. Received: ${folds}`);
  mulberry32(seed); // validates the seed
  const byId = new Map<string, SplitCase>();
  for (const c of cases) {
    if (byId.has(c.id)) throw new RangeError(`Cannot split: case ${c.id} is listed twice`);
    byId.set(c.id, c);
  }
  const ids = [...byId.keys()].sort(compareIds);
  const evaluable = ids.filter((id) => byId.get(id)!.hasLabel);
  if (folds > 1 && folds > evaluable.length) {
    throw new RangeError(`Cannot split: ${folds} folds need at least ${folds} cases with labels. Received: ${evaluable.length}`);
  }
  // Independent streams: the labelled selection does not change when the number of folds does.
  const perm = shuffled(evaluable, mulberry32(deriveSeed(seed, 0)));
  const labelledIds = ids.filter((id) => byId.get(id)!.annotation === "labelled");
  const listed = opts.labelled && "cases" in opts.labelled ? checkedCaseList(opts.labelled.cases, byId) : null;
  const order = selection === "first" ? labelledIds : shuffled(labelledIds, mulberry32(deriveSeed(seed, 1)));
  const splits: Fold[] = [];
  let start = 0;
  for (let f = 0; f < folds; f++) {
    const size = folds === 1 ? 0 : Math.floor(evaluable.length / folds) + (f < evaluable.length % folds ? 1 : 0);
    const val = new Set(perm.slice(start, start + size));
    start += size;
    const train = ids.filter((id) => !val.has(id));
    const candidates = order.filter((id) => !val.has(id));
    const keep = new Set(
      opts.labelled === undefined ? candidates : listed ? candidates.filter((id) => listed.has(id)) : candidates.slice(0, labelledCount(opts.labelled as LabelledSelection, candidates.length)),
    );
    const demoted = candidates.filter((id) => !keep.has(id));
    const boxed = new Set(opts.boxes === undefined ? [] : demoted.slice(0, labelledCount(opts.boxes, demoted.length, "boxes")));
    const role = (id: string): Annotation => {
      const a = byId.get(id)!.annotation;
      return a === "labelled" && !keep.has(id) ? (boxed.has(id) ? "boxes" : "unlabelled") : a;
    };
    splits.push({
      fold: f,
      train: {
        labelled: train.filter((id) => role(id) === "labelled"),
        unlabelled: train.filter((id) => role(id) === "unlabelled"),
        boxes: train.filter((id) => role(id) === "boxes"),
      },
      val: [...val].sort(compareIds),
    });
  }
  return {
    format: "labelwise-splits",
    version: SPLITS_VERSION,
    prng: "mulberry32",
    seed,
    folds,
    labelled: opts.labelled === undefined ? null : "fraction" in opts.labelled ? { fraction: opts.labelled.fraction } : "count" in opts.labelled ? { count: opts.labelled.count } : { cases: [...listed!].sort(compareIds) },
    selection,
    ...(opts.boxes === undefined ? {} : { boxes: "fraction" in opts.boxes ? { fraction: opts.boxes.fraction } : { count: opts.boxes.count } }),
    splits,
  };
}

/** Validates parsed JSON as splits. */
export function parseSplits(value: unknown, source = SPLITS_JSON): Splits {
  return parseWith(SplitsSchema, value, source);
}

/**
 * Saves splits atomically (validated first).
 * @example await saveSplits(path.join(root, "splits.json"), splits);
 */
export async function saveSplits(path: string, splits: Splits): Promise<void> {
  await writeJsonAtomic(path, parseSplits(splits, path));
}

/**
 * Reads splits saved by {@link saveSplits}; the result deep-equals what was saved.
 * @throws ConfigError when the file is invalid.
 */
export async function loadSplits(path: string): Promise<Splits> {
  return parseSplits(parseJsonText(await readFile(path, "utf8"), path), path);
}
