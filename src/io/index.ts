// The io layer's public door: medical image formats <-> Volume. Pure TypeScript; the node-only
// file helpers (readNifti, writeNifti, decodeNiftiAsync, readNiftiGeometry) import Node built-ins lazily.
export { FormatError, type FormatErrorInfo } from "./errors.js";
export * from "./nifti/index.js";
// DICOM series -> Volume and label map -> DICOM SEG (src/io/dicom; readDicomSeries/writeDicomSeg/readDicomSeg are node-only).
export * from "./dicom/index.js";
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
