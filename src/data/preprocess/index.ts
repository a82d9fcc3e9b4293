// Preprocessing (reorient to RAS, crop to non-zero, normalise, resample) and its on-disk cache,
// keyed by the plan's preprocessing hash. Pure TypeScript: worker threads read cached cases.
export type { PreprocessedCase, PreprocessedMeta, CaseBox, LabelArray } from "./types.js";
export { preprocessCase, sampleClassLocations, mapBox, type PreprocessCaseOptions } from "./preprocess-case.js";
export {
  CacheHeaderSchema,
  CACHE_FORMAT,
  CACHE_VERSION,
  CacheFormatError,
  encodeCase,
  writeCase,
  readCaseSync,
  readHeaderSync,
  casePaths,
  type CacheHeader,
  type SourceStamp,
} from "./cache-format.js";
export { preprocessDataset, type PreprocessOptions, type CacheIndex } from "./cache.js";
