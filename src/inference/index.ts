// The inference layer's public door: sliding-window prediction (Gaussian blending, batching,
// mirroring TTA, ensembles), preprocessing and its exact inverse, post-processing, model loading
// and the folder mode with done markers. See README.md in this folder.
export { gaussianWeights1d, importanceMap, type BlendMode, type ImportanceOptions, type Size3 } from "./gaussian.js";
export { windowStarts, windowGrid, windowCount } from "./windows.js";
export { slidingWindowProbabilities, slidingWindowLabels, type Predictor, type SlidingWindowOptions, type LabelGrid } from "./sliding-window.js";
export { applyNonFinitePolicy, NonFiniteInputError, type NonFinitePolicy } from "./non-finite.js";
export { prepareCase, restoreLabels, uncropAndReorient, type PreparedCase, type PrepareOptions, type InverseRecord } from "./preprocess.js";
export { postprocessLabels, wantsPostprocessing, type PostprocessOptions } from "./postprocess.js";
export {
  loadInferenceModel,
  networkPredictor,
  patchDHW,
  ModelLoadError,
  CHECKPOINT_NAMES,
  CHECKPOINT_POINTERS,
  MODEL_MANIFEST,
  PLAN_SEARCH_DEPTH,
  type InferenceModel,
  type LogitsModule,
  type LoadModelOptions,
  type CheckpointChoice,
} from "./model.js";
export { predictVolume, checkEnsemble, type PredictOptions, type Prediction } from "./predict.js";
export { discoverCases, readCaseScan, niftiStem, type CaseSource, type LoadedScan } from "./cases.js";
export {
  committeeDisagreement,
  DISAGREEMENT_MEASURES,
  type Disagreement,
  type DisagreementMeasure,
  type DisagreementOptions,
  type DisagreementRegion,
} from "./disagreement.js";
export { formCommittee, COMMITTEE_KINDS, type Committee, type CommitteeKind, type CommitteeMember } from "./committee.js";
export { scoreVolume, suggestCases, rankCases, type SuggestOptions, type CaseScores, type Suggestion, type SuggestEvent, type SuggestResult } from "./suggest.js";
export {
  predictCases,
  caseOutputs,
  caseKey,
  isCaseDone,
  type BatchOptions,
  type BatchEvent,
  type BatchSummary,
  type DoneMarker,
  type OutputFormat,
} from "./batch.js";
export { CaseClaims, casesOfPart, CLAIMS_FOLDER, type CaseClaimsOptions, type ClaimRecord, type ClaimResult } from "./claims.js";
export { boxesOnGrid, restrictToBoxes, readCaseBoxFile, type GridBox, type MissingBoxPolicy } from "./box-restrict.js";
