// State files for modules and optimizers. Both are described here by the few methods this file
// needs (structural types), so this folder does not depend on src/nn/module.ts or src/nn/optim/.
import type { Device, Tensor } from "../../tensor/index.js";
import { specsOf, type TensorSpec } from "./expect.js";
import { type JsonObject, assertJsonObject } from "./json.js";
import { type StateFileInfo, loadStateFile, saveStateFile } from "./state-file.js";

/** What a Module offers for saving and loading (see src/nn/module.ts). */
export interface ModuleStateLike {
  /** Parameters and buffers by dotted name; borrowed references the caller must not dispose. */
  stateDict(): ReadonlyMap<string, Tensor>;
  /**
   * Copies the given tensors into the module's own. It must not keep them: the caller disposes
   * them when the call returns.
   */
  loadStateDict(state: Map<string, Tensor>, opts: { strict: boolean }): void;
}

/** An optimizer's state: per-parameter tensors plus JSON-able settings (lr, step, ...). */
export interface OptimizerStateDict {
  tensors: Map<string, Tensor>;
  meta: Record<string, unknown>;
}

/** What an Optimizer offers for saving and loading (see src/nn/optim/). */
export interface OptimizerStateLike {
  /** Its state; the tensors are borrowed, as with a module, and are not disposed here. */
  stateDict(): { tensors: ReadonlyMap<string, Tensor>; meta: Record<string, unknown> };
  /** Copies the given state in; must not keep the tensors, which the caller disposes afterwards. */
  loadStateDict(state: OptimizerStateDict): void;
}

/** The result of loading a module or optimizer state file. */
export interface LoadedObjectState {
  /** The metadata given to the save call. */
  meta: JsonObject;
  info: StateFileInfo;
}

export interface LoadModuleStateOptions {
  /**
   * true: the file must hold exactly the module's names; false: missing and unexpected names are
   * allowed. Shapes and dtypes of common names must match either way. @default true
   */
  strict?: boolean;
  /** Where the loaded tensors are created before being copied into the module. @default "cpu" */
  device?: Device;
}

export interface LoadOptimizerStateOptions {
  /** Require these names, shapes and dtypes (an optimizer's state may be empty before its first step, so nothing is required by default). */
  expect?: ReadonlyMap<string, TensorSpec>;
  /** @default "cpu" */
  device?: Device;
}

/** Runs `fn` on freshly loaded tensors and frees them afterwards, whether or not it throws. */
function consume<T>(tensors: Map<string, Tensor>, fn: () => T): T {
  try {
    return fn();
  } finally {
    for (const t of tensors.values()) t.dispose();
  }
}

/** Saves a module's parameters and buffers (kind "module"); the module is only read. */
export async function saveModuleState(path: string, module: ModuleStateLike, meta: JsonObject = {}): Promise<StateFileInfo> {
  return saveStateFile(path, module.stateDict(), meta, { kind: "module" });
}

/**
 * Loads a module state file into `module`. Names, shapes and dtypes are checked against the
 * module's current state dict first, so a wrong checkpoint fails with every difference listed and
 * leaves the module unchanged.
 * @throws StateFileError
 */
export async function loadModuleState(path: string, module: ModuleStateLike, opts: LoadModuleStateOptions = {}): Promise<LoadedObjectState> {
  const strict = opts.strict ?? true;
  const loaded = await loadStateFile(path, { kind: "module", expect: specsOf(module.stateDict()), strict, device: opts.device ?? "cpu" });
  consume(loaded.tensors, () => module.loadStateDict(loaded.tensors, { strict }));
  return { meta: loaded.meta, info: loaded.info };
}

/** Saves an optimizer's state (kind "optimizer"): tensors in the tensor file, its settings as jsonState. */
export async function saveOptimizerState(path: string, optimizer: OptimizerStateLike, meta: JsonObject = {}): Promise<StateFileInfo> {
  const state = optimizer.stateDict();
  assertJsonObject(state.meta, "optimizer.stateDict().meta");
  return saveStateFile(path, state.tensors, meta, { kind: "optimizer", jsonState: state.meta });
}

/**
 * Loads an optimizer state file into `optimizer` (tensors and settings together).
 * @throws StateFileError
 */
export async function loadOptimizerState(path: string, optimizer: OptimizerStateLike, opts: LoadOptimizerStateOptions = {}): Promise<LoadedObjectState> {
  const loaded = await loadStateFile(path, { kind: "optimizer", expect: opts.expect, device: opts.device ?? "cpu" });
  consume(loaded.tensors, () => optimizer.loadStateDict({ tensors: loaded.tensors, meta: loaded.jsonState }));
  return { meta: loaded.meta, info: loaded.info };
}
