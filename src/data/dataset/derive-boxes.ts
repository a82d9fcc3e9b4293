// `labelwise boxes-from-labels`: box annotations derived from a dataset's label maps, optionally
// perturbed to look like human boxes (a margin and a per-face jitter, both in mm), so box-supervised
// training can be benchmarked on fully labelled datasets. Files go where the dataset expects them
// (boxes/<case>.json beside dataset.json), each written atomically; optionally labelwise.json marks
// the cases as box-annotated.
import { access } from "node:fs/promises";
import path from "node:path";
import { readNifti } from "../../io/index.js";
import type { Vec3 } from "../../volume/index.js";
import { Rng, mixSeed } from "../random/index.js";
import { type BoxFile, type VoxelBox, boxFilePath, boxesFromLabel, voxelToWorldBox, writeBoxFile } from "./boxes.js";
import { openDataset } from "./dataset.js";
import { annotationOf, createManifest, writeManifest, type Annotation } from "./manifest.js";

/** How derived boxes are perturbed. */
export interface BoxPerturbation {
  /** Every face moves outward by this many mm (a loose annotator). @default 0 */
  readonly marginMm?: number;
  /** Every face then moves by its own uniform draw in [−jitter, +jitter] mm (an imprecise one). @default 0 */
  readonly jitterMm?: number;
}

/**
 * A perturbed voxel box: each face moves by (margin + u·jitter) mm along its voxel axis, u uniform in
 * [−1, 1] per face (drawn even when jitter is 0, so the margin never changes the jitter draws),
 * rounded to whole voxels, clipped to the image and kept at least one voxel thick.
 * @param spacing voxel size (i, j, k) in mm
 * @param shape image shape (i, j, k)
 */
export function perturbVoxelBox(box: VoxelBox, spacing: Vec3, shape: Vec3, p: BoxPerturbation, rng: Rng): VoxelBox {
  const margin = p.marginMm ?? 0;
  const jitter = p.jitterMm ?? 0;
  if (!Number.isFinite(margin)) throw new RangeError(`Cannot perturb a box: the margin must be a finite number of mm. Received: ${margin}`);
  if (!(jitter >= 0) || !Number.isFinite(jitter)) throw new RangeError(`Cannot perturb a box: the jitter must be a finite number of mm >= 0. Received: ${jitter}`);
  const min = [0, 0, 0];
  const max = [0, 0, 0];
  for (let a = 0; a < 3; a++) {
    const s = spacing[a]!;
    const lo = box.min[a]! - Math.round((margin + rng.uniform(-1, 1) * jitter) / s);
    const hi = box.max[a]! + Math.round((margin + rng.uniform(-1, 1) * jitter) / s);
    min[a] = Math.max(0, lo);
    max[a] = Math.min(shape[a]!, hi);
    if (max[a]! <= min[a]!) {
      // Collapsed by inward jitter: one voxel at the original box's centre.
      const mid = Math.min(shape[a]! - 1, Math.max(0, Math.floor((box.min[a]! + box.max[a]! - 1) / 2)));
      min[a] = mid;
      max[a] = mid + 1;
    }
  }
  return { min: min as unknown as Vec3, max: max as unknown as Vec3 };
}

/** Options of {@link deriveBoxFiles}. */
export interface DeriveBoxesOptions extends BoxPerturbation {
  /** Case ids. @default every training case with a label file */
  readonly cases?: readonly string[];
  /** Seed of the jitter; case `id` draws from mixSeed(seed, id), so its boxes do not depend on the other cases derived. @default 0 */
  readonly seed?: number;
  /** Replace existing box files (otherwise any existing one stops the command before anything is written). @default false */
  readonly overwrite?: boolean;
  /** Also mark the cases as box-annotated in labelwise.json (other entries are kept). @default false */
  readonly mark?: boolean;
  /** Called after each case's file is written. */
  readonly onCase?: (caseId: string, file: BoxFile) => void;
}

/** What {@link deriveBoxFiles} wrote. */
export interface DeriveBoxesResult {
  /** Case ids whose box files were written, in id order. */
  readonly cases: readonly string[];
  /** Boxes written in total. */
  readonly boxes: number;
  /** Whether labelwise.json was (re)written. */
  readonly manifest: boolean;
}

/**
 * Writes boxes/<case>.json for cases of a dataset from their label maps: one box per plain
 * dataset.json label present (tight, then perturbed), voxel and world coordinates both.
 * @throws RangeError for unknown cases, cases without a label file, existing box files without
 *   `overwrite`, or bad perturbation values (before any file is written)
 * @example
 * await deriveBoxFiles("/data/Dataset004_Hippocampus", { marginMm: 2, jitterMm: 3, seed: 1 });
 */
export async function deriveBoxFiles(root: string, opts: DeriveBoxesOptions = {}): Promise<DeriveBoxesResult> {
  const ds = await openDataset(root);
  const seed = opts.seed ?? 0;
  if (!Number.isSafeInteger(seed) || seed < 0) throw new RangeError(`Cannot derive boxes: the seed must be a non-negative integer. Received: ${seed}`);
  perturbVoxelBox({ min: [0, 0, 0], max: [1, 1, 1] }, [1, 1, 1], [1, 1, 1], opts, new Rng(0)); // validates margin and jitter up front
  const byId = new Map(ds.training.map((c) => [c.id, c]));
  const ids = opts.cases ? [...new Set(opts.cases)] : ds.training.filter((c) => c.label !== null).map((c) => c.id);
  const unknown = ids.filter((id) => !byId.has(id));
  if (unknown.length) throw new RangeError(`Cannot derive boxes: case(s) not in the dataset's training cases: ${unknown.slice(0, 10).join(", ")}`);
  const unlabelled = ids.filter((id) => byId.get(id)!.label === null);
  if (unlabelled.length) throw new RangeError(`Cannot derive boxes: case(s) without a label file: ${unlabelled.slice(0, 10).join(", ")}`);
  if (ids.length === 0) throw new RangeError(`Cannot derive boxes: the dataset ${ds.root} has no training case with a label file`);
  if (!opts.overwrite) {
    const existing: string[] = [];
    for (const id of ids) if (await access(path.join(ds.root, boxFilePath(id))).then(() => true, () => false)) existing.push(boxFilePath(id));
    if (existing.length) throw new RangeError(`Cannot derive boxes: ${existing.length} box file(s) exist, e.g. ${existing.slice(0, 3).join(", ")} (pass overwrite to replace them)`);
  }
  let total = 0;
  for (const id of [...ids].sort()) {
    const label = (await readNifti(byId.get(id)!.label!)).volume;
    const tight = boxesFromLabel(id, label, ds.json);
    const rng = new Rng(mixSeed(seed, id));
    const file: BoxFile = {
      ...tight,
      boxes: tight.boxes.map((b) => {
        const voxel = perturbVoxelBox(b.voxel!, label.spacing, label.shape, opts, rng);
        return { label: b.label, value: b.value, voxel, world: voxelToWorldBox(voxel, label.affine) };
      }),
    };
    await writeBoxFile(ds.root, file);
    total += file.boxes.length;
    opts.onCase?.(id, file);
  }
  if (opts.mark) {
    const chosen = new Set(ids);
    const annotations: Record<string, Annotation> = {};
    for (const c of ds.training) annotations[c.id] = chosen.has(c.id) ? "boxes" : annotationOf(ds.manifest, c.id);
    await writeManifest(ds.root, createManifest(annotations, ds.manifest?.defaultAnnotation ?? "labelled"));
  }
  return { cases: [...ids].sort(), boxes: total, manifest: opts.mark === true };
}
