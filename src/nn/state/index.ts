// State files: tensors as safetensors plus a JSON sidecar, written atomically, verified on load.
export { saveStateFile, loadStateFile, type SaveStateOptions, type LoadStateOptions, type LoadedState, type StateFileInfo } from "./state-file.js";
export {
  saveModuleState,
  loadModuleState,
  saveOptimizerState,
  loadOptimizerState,
  type ModuleStateLike,
  type OptimizerStateLike,
  type OptimizerStateDict,
  type LoadedObjectState,
  type LoadModuleStateOptions,
  type LoadOptimizerStateOptions,
} from "./module-state.js";
export { StateFileError, type StateFileReason } from "./errors.js";
export { specProblems, type TensorSpec } from "./expect.js";
export { sidecarPath, STATE_FORMAT, STATE_VERSION, type Sidecar } from "./format.js";
export { assertJsonObject, type JsonObject, type JsonValue } from "./json.js";
