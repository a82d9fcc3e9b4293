// The io layer's public door: medical image formats <-> Volume. Pure TypeScript; the node-only
// file helpers (readNifti, writeNifti, decodeNiftiAsync) import Node built-ins lazily.
export { FormatError, type FormatErrorInfo } from "./errors.js";
export * from "./nifti/index.js";
export {
  reorient,
  undoReorient,
  toCanonical,
  orientationOf,
  axcodesOf,
  axcodesFromOrientation,
  orientationFromAxcodes,
  allAxcodes,
  type Axcodes,
  type Orientation,
  type AxisOrientation,
  type OrientationRecord,
  type AxisMap,
} from "./orientation.js";
