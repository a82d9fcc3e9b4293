// Datasets: nnU-Net v2 raw folders, MSD import, the labelwise manifest (labelled / unlabelled /
// box-annotated cases), box files, and seeded splits. Pure TypeScript over node:fs; no engine.
export {
  DatasetJsonSchema,
  readDatasetJson,
  assertSupportedFileEnding,
  channelNames,
  foregroundLabels,
  allowedLabelValues,
  labelNamesByValue,
  DATASET_JSON,
  IGNORE_LABEL,
  SUPPORTED_FILE_ENDINGS,
  type DatasetJson,
  type LabelEntry,
} from "./dataset-json.js";
export { scanLayout, channelFileName, compareIds, type ScannedCase, type LayoutScan } from "./layout.js";
export {
  ManifestSchema,
  Annotation,
  MANIFEST_JSON,
  MANIFEST_VERSION,
  annotationOf,
  createManifest,
  parseManifest,
  readManifest,
  writeManifest,
  type Manifest,
} from "./manifest.js";
export {
  BoxSchema,
  BoxFileSchema,
  BOXES_DIR,
  BOXES_VERSION,
  voxelToWorldBox,
  worldToVoxelBox,
  boxFilePath,
  parseBoxFile,
  readBoxFile,
  writeBoxFile,
  validateBoxes,
  labelBoundingBoxes,
  boxesFromLabel,
  type BoxFile,
  type StoredBox,
  type VoxelBox,
  type WorldBox,
  type ResolvedBox,
  type Grid,
  type BoxValidationOptions,
} from "./boxes.js";
// The header-only read lives in the io layer; re-exported for callers that import it from data (src/server).
export { readNiftiGeometry, type NiftiGeometry } from "../../io/index.js";
export { mulberry32, uniformInt, shuffled, deriveSeed, type Prng } from "./prng.js";
export {
  SplitsSchema,
  SPLITS_JSON,
  SPLITS_VERSION,
  makeSplits,
  parseSplits,
  saveSplits,
  loadSplits,
  type Splits,
  type Fold,
  type SplitCase,
  type SplitOptions,
  type LabelledSelection,
  type LabelledCaseList,
} from "./splits.js";
export { openDataset, splitCases, readCase, readCaseBoxes, type Dataset, type DatasetCase, type LoadedCase } from "./dataset.js";
export { deriveBoxFiles, perturbVoxelBox, type BoxPerturbation, type DeriveBoxesOptions, type DeriveBoxesResult } from "./derive-boxes.js";
export { importMsd, MsdJsonSchema, type MsdJson, type MsdImportOptions, type MsdImportResult } from "./msd.js";
export { error, warning, formatProblem, type Problem, type Severity } from "./problem.js";
export { parseWith, parseJsonText, readJsonFile } from "./json-file.js";
