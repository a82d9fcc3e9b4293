// The datasets the accuracy suites train on, the work roots they share, and box-annotated copies
// of labelled datasets (for the weak-supervision suite): a folder under bench/work/datasets whose
// imagesTr and labelsTr link to the original and whose boxes/ are derived from the labels by the
// library function behind `labelwise boxes-from-labels`, perturbed like human boxes.
import { existsSync } from "node:fs";
import { copyFile, mkdir, readFile, rm, symlink } from "node:fs/promises";
import path from "node:path";
import { type BoxPerturbation, deriveBoxFiles } from "../../src/data/index.js";
import { writeJsonAtomic } from "../../src/util/index.js";
import type { WorkRoot } from "./types.js";

/** Folder holding hippocampus/, left-atrium/, btcv-abdomen/ (LABELWISE_BENCH_DATA overrides ../shared/data). */
export function dataRoot(root: string): string {
  return process.env.LABELWISE_BENCH_DATA ? path.resolve(process.env.LABELWISE_BENCH_DATA) : path.resolve(root, "..", "shared", "data");
}

/**
 * Full runs: the planner's defaults, with patches capped at 64×64×48 voxels so that left-atrium and
 * BTCV iterations stay affordable on a CPU (hippocampus's 40×56×40 is below the cap).
 */
export const WORK_FULL: WorkRoot = { name: "full", planner: { maxPatchVoxels: 64 * 64 * 48 } };

/** Quick runs: their own plans with small patches and a 3-level topology. */
export const WORK_QUICK: WorkRoot = { name: "quick", planner: { maxPatchVoxels: 48 * 48 * 32, maxLevels: 3 } };

/** The work root of a profile. */
export const workRootOf = (profile: "full" | "quick"): WorkRoot => (profile === "full" ? WORK_FULL : WORK_QUICK);

/** How box annotations are simulated from labels. */
export interface BoxSimulation extends BoxPerturbation {
  readonly seed: number;
}

/** Default human-like boxes: 1 mm loose on every face, then each face moved by up to ±2 mm. */
export const HUMAN_BOXES: BoxSimulation = { marginMm: 1, jitterMm: 2, seed: 2026 };

const MARKER = "bench-boxes.json";

/**
 * A box-annotated copy of a labelled dataset: `<root>/bench/work/datasets/<name>-boxes`. Returns its
 * folder and an idempotent `prepare` that (re)builds it when missing or made with other settings.
 * The labels stay linked: validation scores against them, and splits mark training cases as box
 * cases (split.boxes), so training never reads a box case's label.
 */
export function boxesDataset(root: string, source: string, sim: BoxSimulation = HUMAN_BOXES): { dir: string; prepare: () => Promise<void> } {
  const dir = path.join(root, "bench", "work", "datasets", `${path.basename(source)}-boxes`);
  const wanted = { source: path.resolve(source), marginMm: sim.marginMm ?? 0, jitterMm: sim.jitterMm ?? 0, seed: sim.seed };
  const prepare = async (): Promise<void> => {
    try {
      const have = JSON.parse(await readFile(path.join(dir, MARKER), "utf8")) as unknown;
      if (JSON.stringify(have) === JSON.stringify(wanted)) return;
    } catch {
      // no marker: build it
    }
    await rm(dir, { recursive: true, force: true });
    await mkdir(dir, { recursive: true });
    await copyFile(path.join(source, "dataset.json"), path.join(dir, "dataset.json"));
    for (const sub of ["imagesTr", "labelsTr"]) {
      if (!existsSync(path.join(source, sub))) throw new Error(`Cannot derive a box dataset from ${source}: it has no ${sub} folder`);
      await symlink(path.resolve(source, sub), path.join(dir, sub), "dir");
    }
    process.stderr.write(`deriving boxes for ${path.basename(source)} (margin ${wanted.marginMm} mm, jitter ±${wanted.jitterMm} mm, seed ${sim.seed}) into ${dir}\n`);
    await deriveBoxFiles(dir, { marginMm: wanted.marginMm, jitterMm: wanted.jitterMm, seed: sim.seed, overwrite: true });
    await writeJsonAtomic(path.join(dir, MARKER), wanted);
  };
  return { dir, prepare };
}
