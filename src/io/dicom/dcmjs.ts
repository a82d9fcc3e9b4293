// The single door to dcmjs: Part 10 parsing and writing, the data dictionary (tag <-> keyword),
// and small helpers to build elements. Everything else in src/io/dicom works on the tag-keyed
// ("denaturalized") datasets dcmjs produces: every element is { vr, Value: [...] }, which keeps
// value multiplicity explicit (dcmjs's "naturalized" form collapses one-element lists).
//
// dcmjs is a self-contained ES module bundle without Node built-ins, so this file is browser-safe.

import dcmjs from "dcmjs";
import { FormatError } from "../errors.js";

/**
 * One data element in dcmjs's tag-keyed form (close to the DICOM JSON model): VR and values
 * (numbers, strings, { Alphabetic } person names, item datasets for SQ, ArrayBuffers for OB/OW).
 * Declared here rather than re-exported so that the published types do not depend on dcmjs.
 */
export interface DcmjsElement {
  vr: string;
  Value?: unknown[];
  _rawValue?: unknown;
}

/** A dataset keyed by 8-hex-digit upper-case tags, e.g. "00200032". */
export type DcmjsDataset = Record<string, DcmjsElement>;

const { DicomDict, DicomMessage, DicomMetaDictionary } = dcmjs.data;

/** Hex tag ("00200032") of a DICOM keyword; throws at load time for a misspelt keyword. */
function tagOf(keyword: string): string {
  const e = DicomMetaDictionary.nameMap[keyword];
  if (!e) throw new Error(`labelwise/dicom: unknown DICOM keyword ${keyword}`);
  return e.tag.replace(/[(),]/g, "").toUpperCase();
}

const KEYWORDS = [
  // file meta
  "FileMetaInformationVersion",
  "MediaStorageSOPClassUID",
  "MediaStorageSOPInstanceUID",
  "TransferSyntaxUID",
  "ImplementationClassUID",
  "ImplementationVersionName",
  // identification
  "SpecificCharacterSet",
  "ImageType",
  "InstanceCreationDate",
  "InstanceCreationTime",
  "SOPClassUID",
  "SOPInstanceUID",
  "StudyDate",
  "SeriesDate",
  "ContentDate",
  "StudyTime",
  "SeriesTime",
  "ContentTime",
  "AccessionNumber",
  "Modality",
  "Manufacturer",
  "ReferringPhysicianName",
  "StudyDescription",
  "SeriesDescription",
  "ManufacturerModelName",
  "ReferencedSeriesSequence",
  "ReferencedInstanceSequence",
  "ReferencedSOPClassUID",
  "ReferencedSOPInstanceUID",
  "ReferencedFrameNumber",
  "DerivationDescription",
  "SourceImageSequence",
  "DerivationImageSequence",
  "DerivationCodeSequence",
  "PurposeOfReferenceCodeSequence",
  "CodeValue",
  "CodingSchemeDesignator",
  "CodeMeaning",
  "PatientName",
  "PatientID",
  "PatientBirthDate",
  "PatientSex",
  "PatientAge",
  "BodyPartExamined",
  "SliceThickness",
  "SpacingBetweenSlices",
  "DeviceSerialNumber",
  "SoftwareVersions",
  "PatientPosition",
  "StudyInstanceUID",
  "SeriesInstanceUID",
  "StudyID",
  "SeriesNumber",
  "AcquisitionNumber",
  "InstanceNumber",
  "ImagePositionPatient",
  "ImageOrientationPatient",
  "FrameOfReferenceUID",
  "PositionReferenceIndicator",
  "SamplesPerPixel",
  "PhotometricInterpretation",
  "NumberOfFrames",
  "Rows",
  "Columns",
  "PixelSpacing",
  "BitsAllocated",
  "BitsStored",
  "HighBit",
  "PixelRepresentation",
  "LossyImageCompression",
  "RescaleIntercept",
  "RescaleSlope",
  "RescaleType",
  "ContentLabel",
  "ContentDescription",
  "ContentCreatorName",
  "DimensionOrganizationUID",
  "DimensionOrganizationSequence",
  "DimensionIndexSequence",
  "DimensionIndexPointer",
  "FunctionalGroupPointer",
  "DimensionDescriptionLabel",
  "DimensionOrganizationType",
  "DimensionIndexValues",
  "SharedFunctionalGroupsSequence",
  "PerFrameFunctionalGroupsSequence",
  "FrameContentSequence",
  "PlanePositionSequence",
  "PlaneOrientationSequence",
  "PixelMeasuresSequence",
  "PixelValueTransformationSequence",
  "SegmentationType",
  "SegmentSequence",
  "SegmentNumber",
  "SegmentLabel",
  "SegmentDescription",
  "SegmentAlgorithmType",
  "SegmentAlgorithmName",
  "SegmentedPropertyCategoryCodeSequence",
  "SegmentedPropertyTypeCodeSequence",
  "SegmentIdentificationSequence",
  "ReferencedSegmentNumber",
  "RecommendedDisplayCIELabValue",
  "FloatPixelData",
  "DoubleFloatPixelData",
  "PixelData",
] as const;

/** Keyword -> hex tag for the elements labelwise reads or writes. */
export const T = Object.fromEntries(KEYWORDS.map((k) => [k, tagOf(k)])) as Record<(typeof KEYWORDS)[number], string>;

/** "(0020,0032) ImagePositionPatient" for error messages. */
export function tagLabel(hex: string): string {
  const punct = `(${hex.slice(0, 4)},${hex.slice(4)})`;
  const e = DicomMetaDictionary.dictionary[punct];
  return e ? `${punct} ${e.name}` : punct;
}

/** Builds an element. */
export function el(vr: string, ...values: unknown[]): DcmjsElement {
  return { vr, Value: values };
}

/** The bytes as an ArrayBuffer that holds exactly them (copies only when `bytes` is a view). */
function ownBuffer(bytes: Uint8Array): ArrayBuffer {
  if (bytes.byteOffset === 0 && bytes.byteLength === bytes.buffer.byteLength && bytes.buffer instanceof ArrayBuffer) return bytes.buffer;
  return bytes.slice().buffer as ArrayBuffer;
}

// dcmjs reports what it tolerates (an implicit-VR PixelData "ox" read as OW, a value shorter than
// declared) on its "validation.dcmjs" logger: one console line per file of a series. labelwise
// checks those conditions itself and reports them with the file name, so the logger is muted for
// the duration of each (synchronous) dcmjs call and restored afterwards.
const validationLog = dcmjs.log.getLogger("validation.dcmjs");
function quietly<R>(fn: () => R): R {
  const level = validationLog.getLevel();
  validationLog.setLevel("silent", false);
  try {
    return fn();
  } finally {
    validationLog.setLevel(level, false);
  }
}

/** Whether the bytes start with the Part 10 preamble and "DICM" magic. */
export function hasDicomMagic(bytes: Uint8Array): boolean {
  return bytes.length >= 132 && bytes[128] === 0x44 && bytes[129] === 0x49 && bytes[130] === 0x43 && bytes[131] === 0x4d;
}

/** A parsed Part 10 file: file meta group and main dataset. */
export interface ParsedDicom {
  readonly meta: DcmjsDataset;
  readonly dataset: DcmjsDataset;
}

/**
 * Parses a Part 10 file with dcmjs. `headerOnly` stops before (7FE0,0010) PixelData so that the
 * pixel bytes are not copied (the first pass over a series folder only needs the headers).
 * @throws FormatError naming `path` when dcmjs cannot parse the bytes.
 */
export function parseDicom(bytes: Uint8Array, path: string, headerOnly = false): ParsedDicom {
  if (!hasDicomMagic(bytes)) {
    throw new FormatError({ path, offset: 128, message: "Cannot read DICOM: the file has no 'DICM' marker after the 128-byte preamble (not a DICOM Part 10 file)" });
  }
  try {
    const d = quietly(() =>
      DicomMessage.readFile(ownBuffer(bytes), {
        ignoreErrors: false,
        untilTag: headerOnly ? T.PixelData : null,
        includeUntilTagValue: false,
      }),
    );
    return { meta: d.meta, dataset: d.dict };
  } catch (e) {
    throw new FormatError({
      path,
      message: "Cannot read DICOM: dcmjs could not parse the file (truncated or malformed)",
      received: (e as Error)?.message ?? String(e),
      cause: e,
    });
  }
}

/** Serialises a dataset (and its file meta group) as a Part 10 file. */
export function writeDicom(meta: DcmjsDataset, dataset: DcmjsDataset): Uint8Array {
  const d = new DicomDict(meta);
  d.dict = dataset;
  return new Uint8Array(quietly(() => d.write({ allowInvalidVRLength: false })));
}

/**
 * A new UID under the 2.25 root (ITU-T X.667: the decimal form of a random version-4 UUID), from
 * the platform CSPRNG (globalThis.crypto: Node >= 19 and browsers).
 */
export function newUid(): string {
  const b = new Uint8Array(16);
  globalThis.crypto.getRandomValues(b);
  b[6] = (b[6]! & 0x0f) | 0x40;
  b[8] = (b[8]! & 0x3f) | 0x80;
  let n = 0n;
  for (const x of b) n = (n << 8n) | BigInt(x);
  return `2.25.${n.toString()}`;
}
