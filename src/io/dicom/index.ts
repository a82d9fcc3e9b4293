// DICOM in and out, through dcmjs: a series folder -> Volume (RAS+ affine), and a label map ->
// DICOM SEG referencing that series (and back). Everything but node-file.ts works on bytes and is
// browser-safe; readDicomSeries / writeDicomSeg / readDicomSeg load node:fs lazily.
export {
  decodeDicomSeries,
  planDicomSeries,
  allocateSeries,
  decodeSeriesFile,
  finishSeries,
  summariseSeries,
  type DicomReadOptions,
  type DicomSeries,
  type DicomSeriesInfo,
  type DicomSeriesPlan,
  type DicomSeriesSummary,
  type DicomSliceRef,
} from "./read-series.js";
export { readDicomHeader, type DicomHeader, type SkippedFile } from "./header.js";
export {
  encodeDicomSeg,
  labelNameMap,
  rgbToDicomLab,
  SEGMENTATION_STORAGE,
  TISSUE,
  type DicomSegWriteOptions,
  type EncodedSeg,
  type SegCode,
  type WrittenSegment,
} from "./write-seg.js";
export { decodeDicomSeg, type DicomSeg, type DicomSegReadOptions, type ReadSegment, type ReadSegFrame } from "./read-seg.js";
export { LPS_TO_RAS, lpsToRas, flipLpsRas, planeAxes, stackSlices, type PlaneAxes, type SliceStack, type SliceStackOptions } from "./geometry.js";
export { SUPPORTED_TRANSFER_SYNTAXES, transferSyntaxName, isSupportedTransferSyntax } from "./transfer-syntax.js";
export { readDicomSeries, writeDicomSeg, readDicomSeg, type DicomFolderReadOptions } from "./node-file.js";
