// Training checkpoints. One checkpoint is one state file (safetensors + sidecar, see src/nn/state)
// holding everything a run needs to continue exactly: every module's parameters and buffers, the
// optimizer state, every generator's state, the strategy's extra state, and in its metadata the
// trainer state (iteration, epoch, sampler position, best score) and the run's config.
//
// Files: checkpoints/it_<iteration>.safetensors (+ .json sidecar) and the pointers
// checkpoint_latest.json, checkpoint_best.json, checkpoint_final.json naming one of them. A pointer
// is written atomically after its state file is complete, so a crash at any moment leaves every
// pointer naming a complete, verified file; unreferenced files are then removed.
import { mkdir, readdir, readFile, rm } from "node:fs/promises";
import path from "node:path";
import { type JsonObject, StateFileError, assertJsonObject, loadStateFile, saveStateFile } from "../nn/index.js";
import type { Generator, Tensor } from "../tensor/index.js";
import { writeJsonAtomic } from "../util/index.js";
import type { OptimizerLike, Strategy } from "./strategy.js";

export const CHECKPOINT_FORMAT = "labelwise-checkpoint";
export const CHECKPOINT_VERSION = 1;
export const CHECKPOINT_KINDS = ["latest", "best", "final"] as const;
export type CheckpointKind = (typeof CHECKPOINT_KINDS)[number];

/** The trainer's own state, enough to continue the loop exactly. */
export interface TrainerState {
  /** Optimizer steps done. */
  iteration: number;
  /** Index of the next batch to draw (equals iteration for one batch per step). */
  samplerPosition: number;
  /** Best validation score so far and where, or null. */
  best: { metric: string; value: number; iteration: number } | null;
  /** Seconds of training before this session (for reporting). */
  elapsedSeconds: number;
  /** Sums over the current epoch so far, so an epoch summary after a resume equals an uninterrupted one. */
  epochSums?: { loss: number; count: number; logs: Record<string, number>; seconds: number };
}

/** What goes into a checkpoint. */
export interface CheckpointParts {
  strategy: Strategy;
  optimizer: OptimizerLike;
  /** Generators by name (the trainer's and the strategy's). */
  generators: Readonly<Record<string, Generator>>;
  state: TrainerState;
  /** Run metadata (resolved config, plan, versions): JSON. */
  run: JsonObject;
}

/** A pointer file's content. */
export interface CheckpointPointer {
  format: "labelwise-checkpoint-pointer";
  version: number;
  /** State file path relative to the run directory. */
  file: string;
  iteration: number;
  sha256: string;
  savedAt: string;
}

export const pointerPath = (runDir: string, kind: CheckpointKind) => path.join(runDir, `checkpoint_${kind}.json`);
const fileFor = (iteration: number) => path.join("checkpoints", `it_${String(iteration).padStart(8, "0")}.safetensors`);

/**
 * Saves one checkpoint and points each of `kinds` at it, then removes checkpoint files no pointer
 * names. Tensors are copied to host memory before the first await.
 * @returns the state file path relative to the run directory
 */
export async function saveCheckpoint(runDir: string, kinds: readonly CheckpointKind[], p: CheckpointParts): Promise<string> {
  const tensors = new Map<string, Tensor>();
  const owned: Tensor[] = [];
  try {
    for (const [name, m] of Object.entries(p.strategy.modules())) for (const [k, t] of m.stateDict()) tensors.set(`module/${name}/${k}`, t);
    const opt = p.optimizer.stateDict();
    for (const [k, t] of opt.tensors) tensors.set(`optimizer/${k}`, t);
    for (const [name, g] of Object.entries(p.generators)) {
      const s = g.getState();
      owned.push(s);
      tensors.set(`generator/${name}`, s);
    }
    const extra = p.strategy.state?.();
    if (extra) for (const [k, t] of extra.tensors) tensors.set(`strategy/${k}`, t);
    const meta = {
      format: CHECKPOINT_FORMAT,
      version: CHECKPOINT_VERSION,
      trainer: { ...p.state, best: p.state.best ? { ...p.state.best } : null, ...(p.state.epochSums ? { epochSums: { ...p.state.epochSums, logs: { ...p.state.epochSums.logs } } } : {}) },
      optimizer: opt.meta,
      strategy: { name: p.strategy.name, json: extra?.json ?? {}, ...p.strategy.describe() },
      run: p.run,
    };
    assertJsonObject(meta, "checkpoint metadata");
    const rel = fileFor(p.state.iteration);
    await mkdir(path.join(runDir, "checkpoints"), { recursive: true });
    const saving = saveStateFile(path.join(runDir, rel), tensors, meta, { kind: CHECKPOINT_FORMAT });
    for (const t of owned) t.dispose(); // the file's bytes were copied synchronously
    owned.length = 0;
    const info = await saving;
    for (const kind of kinds) {
      const pointer: CheckpointPointer = { format: "labelwise-checkpoint-pointer", version: 1, file: rel, iteration: p.state.iteration, sha256: info.sha256, savedAt: info.savedAt };
      await writeJsonAtomic(pointerPath(runDir, kind), pointer);
    }
    await pruneCheckpoints(runDir);
    return rel;
  } finally {
    for (const t of owned) t.dispose();
  }
}

/** The pointer of `kind`, or null when there is none. */
export async function readPointer(runDir: string, kind: CheckpointKind): Promise<CheckpointPointer | null> {
  let text: string;
  try {
    text = await readFile(pointerPath(runDir, kind), "utf8");
  } catch (e) {
    if ((e as { code?: string }).code === "ENOENT") return null;
    throw e;
  }
  const p = JSON.parse(text) as CheckpointPointer;
  if (p.format !== "labelwise-checkpoint-pointer" || typeof p.file !== "string" || path.isAbsolute(p.file) || p.file.includes("..")) {
    throw new StateFileError(pointerPath(runDir, kind), "format", ["not a labelwise checkpoint pointer"]);
  }
  return p;
}

/** Deletes state files in checkpoints/ that no pointer names. */
async function pruneCheckpoints(runDir: string): Promise<void> {
  const keep = new Set<string>();
  for (const kind of CHECKPOINT_KINDS) {
    const p = await readPointer(runDir, kind);
    if (p) keep.add(path.basename(p.file));
  }
  const dir = path.join(runDir, "checkpoints");
  for (const name of await readdir(dir)) {
    const base = name.endsWith(".json") ? name.slice(0, -5) : name;
    if (!keep.has(base) && !base.startsWith(".")) await rm(path.join(dir, name), { force: true });
  }
}

/** A loaded checkpoint: its tensors (owned by the caller until restored) and metadata. */
export interface LoadedCheckpoint {
  readonly file: string;
  readonly tensors: Map<string, Tensor>;
  readonly trainer: TrainerState;
  readonly optimizerMeta: Record<string, unknown>;
  readonly strategy: { name: string; json: JsonObject; networks: Record<string, JsonObject>; predictWith: string[] };
  readonly run: JsonObject;
  /** Frees the tensors (after restoring, or to discard the checkpoint). */
  dispose(): void;
}

/**
 * Loads the checkpoint `kind` of a run, verified (both files complete and from one save).
 * @returns null when the run has no such checkpoint
 * @throws StateFileError for a damaged checkpoint
 */
export async function loadCheckpoint(runDir: string, kind: CheckpointKind = "latest"): Promise<LoadedCheckpoint | null> {
  const pointer = await readPointer(runDir, kind);
  if (!pointer) return null;
  const file = path.join(runDir, pointer.file);
  const loaded = await loadStateFile(file, { kind: CHECKPOINT_FORMAT });
  if (loaded.info.sha256 !== pointer.sha256) {
    for (const t of loaded.tensors.values()) t.dispose();
    throw new StateFileError(file, "checksum", [`checkpoint_${kind}.json records sha256 ${pointer.sha256}, the file has ${loaded.info.sha256}`]);
  }
  const m = loaded.meta as unknown as { format: string; version: number; trainer: TrainerState; optimizer: Record<string, unknown>; strategy: LoadedCheckpoint["strategy"]; run: JsonObject };
  if (m.format !== CHECKPOINT_FORMAT || !(m.version <= CHECKPOINT_VERSION)) {
    for (const t of loaded.tensors.values()) t.dispose();
    throw new StateFileError(file, "format", [`not a version ≤ ${CHECKPOINT_VERSION} labelwise checkpoint`]);
  }
  return {
    file,
    tensors: loaded.tensors,
    trainer: m.trainer,
    optimizerMeta: m.optimizer,
    strategy: m.strategy,
    run: m.run,
    dispose() {
      for (const t of loaded.tensors.values()) t.dispose();
    },
  };
}

/** Tensors under a prefix ("module/student/"), keys without it. */
function section(tensors: ReadonlyMap<string, Tensor>, prefix: string): Map<string, Tensor> {
  const out = new Map<string, Tensor>();
  for (const [k, t] of tensors) if (k.startsWith(prefix)) out.set(k.slice(prefix.length), t);
  return out;
}

/**
 * Copies a loaded checkpoint into live objects: modules (strict names and shapes), optimizer,
 * generators and strategy state. The checkpoint's tensors stay owned by `ckpt`.
 * @throws StateDictError / TypeError when the checkpoint does not fit (another network or optimizer)
 */
export function restoreCheckpoint(ckpt: LoadedCheckpoint, p: Omit<CheckpointParts, "state" | "run">): void {
  if (ckpt.strategy.name !== p.strategy.name) throw new TypeError(`Cannot resume: the checkpoint was written by strategy "${ckpt.strategy.name}", this run uses "${p.strategy.name}"`);
  for (const [name, m] of Object.entries(p.strategy.modules())) m.loadStateDict(section(ckpt.tensors, `module/${name}/`), { strict: true });
  p.optimizer.loadStateDict({ tensors: section(ckpt.tensors, "optimizer/"), meta: ckpt.optimizerMeta });
  for (const [name, g] of Object.entries(p.generators)) {
    const s = ckpt.tensors.get(`generator/${name}`);
    if (!s) throw new TypeError(`Cannot resume: the checkpoint has no state for generator "${name}"`);
    g.setState(s);
  }
  if (p.strategy.loadState) p.strategy.loadState({ tensors: section(ckpt.tensors, "strategy/"), json: ckpt.strategy.json });
}
