// First pass over a file: its header (everything before the pixel data), what kind of object it
// is, and the position, orientation and rescale of each of its frames.

import type { Vec3 } from "../../volume/affine.js";
import { DicomAccess } from "./access.js";
import { T, hasDicomMagic, parseDicom, type DcmjsDataset } from "./dcmjs.js";

/** A file's header, parsed up to (not including) the pixel data. */
export interface DicomHeader {
  readonly path: string;
  readonly transferSyntaxUID: string;
  /** Main dataset without the pixel data. */
  readonly access: DicomAccess;
  readonly sopClassUID: string | undefined;
  readonly sopInstanceUID: string | undefined;
  readonly seriesInstanceUID: string | undefined;
  readonly modality: string | undefined;
  readonly seriesDescription: string | undefined;
  /** Whether (7FE0,0010) PixelData is present. */
  readonly hasPixelData: boolean;
}

/** A file that is not read as an image, and why. */
export interface SkippedFile {
  readonly path: string;
  readonly reason: string;
}

/** Geometry and value mapping of one frame. */
export interface FrameInfo {
  /** 1-based frame number for multi-frame files; undefined for single-frame files. */
  readonly frame: number | undefined;
  readonly position: Vec3;
  readonly orientation: readonly number[];
  /** [between rows, between columns] in mm. */
  readonly pixelSpacing: readonly [number, number];
  readonly slope: number;
  readonly intercept: number;
}

/** Modalities and SOP classes that carry no image for a volume (SEG is read by decodeDicomSeg). */
const NON_IMAGE_MODALITIES = new Set(["SEG", "RTSTRUCT", "RTPLAN", "RTRECORD", "RTDOSE", "SR", "PR", "KO", "REG", "DOC", "PLAN"]);
const DICOMDIR_CLASS = "1.2.840.10008.1.3.10";

/**
 * Parses a file's header. Files that are not DICOM Part 10 come back as SkippedFile; a file with
 * the DICM marker that dcmjs cannot parse is an error (a damaged member of the series must not
 * silently leave a gap).
 * @throws FormatError naming the file.
 */
export function readDicomHeader(bytes: Uint8Array, path: string): DicomHeader | SkippedFile {
  if (!hasDicomMagic(bytes)) {
    return { path, reason: bytes.length < 132 ? `not DICOM (only ${bytes.length} bytes)` : "not DICOM Part 10 (no 'DICM' marker at byte 128)" };
  }
  const { meta, dataset } = parseDicom(bytes, path, true);
  const m = new DicomAccess(meta, path);
  const ts = m.str(T.TransferSyntaxUID);
  if (!ts) throw m.fail(T.TransferSyntaxUID, "is missing from the file meta information");
  const a = DicomAccess.root(dataset, path);
  return {
    path,
    transferSyntaxUID: ts,
    access: a,
    sopClassUID: a.str(T.SOPClassUID) ?? m.str(T.MediaStorageSOPClassUID),
    sopInstanceUID: a.str(T.SOPInstanceUID) ?? m.str(T.MediaStorageSOPInstanceUID),
    seriesInstanceUID: a.str(T.SeriesInstanceUID),
    modality: a.str(T.Modality),
    seriesDescription: a.str(T.SeriesDescription),
    hasPixelData: T.PixelData in dataset,
  };
}

/** Why a parsed file is not an image for a volume, or undefined when it is one. */
export function nonImageReason(h: DicomHeader): string | undefined {
  if (h.sopClassUID === DICOMDIR_CLASS) return "DICOMDIR (a file-set index, not an image)";
  if (h.modality && NON_IMAGE_MODALITIES.has(h.modality.toUpperCase())) return `Modality ${h.modality} is not an image series`;
  if (!h.hasPixelData) {
    if (h.access.has(T.FloatPixelData) || h.access.has(T.DoubleFloatPixelData)) return "float pixel data ((7FE0,0008)/(7FE0,0009)) is not supported";
    return "no (7FE0,0010) PixelData";
  }
  return undefined;
}

/** Number of frames: (0028,0008) NumberOfFrames, 1 when absent. */
export function frameCount(a: DicomAccess): number {
  return a.has(T.NumberOfFrames) ? a.requireUint(T.NumberOfFrames, 1, 1 << 20) : 1;
}

function rescaleOf(a: DicomAccess | undefined): { slope: number; intercept: number } | undefined {
  if (!a || (!a.has(T.RescaleSlope) && !a.has(T.RescaleIntercept))) return undefined;
  const slope = a.num(T.RescaleSlope) ?? 1;
  const intercept = a.num(T.RescaleIntercept) ?? 0;
  if (slope === 0) throw a.fail(T.RescaleSlope, "must not be 0", "0");
  return { slope, intercept };
}

function spacingOf(a: DicomAccess): readonly [number, number] {
  const ps = a.requireNums(T.PixelSpacing, 2);
  if (!(ps[0]! > 0 && ps[1]! > 0)) throw a.fail(T.PixelSpacing, "must hold two positive numbers", `[${ps.join("\\")}]`);
  return [ps[0]!, ps[1]!];
}

/**
 * Position, orientation, pixel spacing and rescale of every frame. Single-frame files use the
 * top-level elements; multi-frame files (enhanced CT/MR and the like) their functional groups,
 * per-frame first, then shared.
 * @throws FormatError naming the file and the missing or malformed tag.
 */
export function frameInfos(h: DicomHeader): FrameInfo[] {
  const a = h.access;
  const frames = frameCount(a);
  const perFrame = a.items(T.PerFrameFunctionalGroupsSequence);
  if (frames === 1 && perFrame.length === 0) {
    const position = a.requireNums(T.ImagePositionPatient, 3) as unknown as Vec3;
    const orientation = a.requireNums(T.ImageOrientationPatient, 6);
    const r = rescaleOf(a) ?? { slope: 1, intercept: 0 };
    return [{ frame: undefined, position, orientation, pixelSpacing: spacingOf(a), ...r }];
  }
  if (perFrame.length !== frames) {
    throw a.fail(
      T.PerFrameFunctionalGroupsSequence,
      perFrame.length === 0
        ? `is missing: a multi-frame image (${frames} frames) without per-frame functional groups has no per-frame positions and is not supported`
        : `must hold one item per frame ((0028,0008) NumberOfFrames = ${frames})`,
      `${perFrame.length} items`,
    );
  }
  const shared = a.item(T.SharedFunctionalGroupsSequence);
  const group = (pf: DicomAccess, seq: string): DicomAccess | undefined => pf.item(seq) ?? shared?.item(seq);
  const topRescale = rescaleOf(a);
  return perFrame.map((pf, f) => {
    const pos = group(pf, T.PlanePositionSequence);
    if (!pos) throw pf.fail(T.PlanePositionSequence, "is missing (neither per-frame nor shared)");
    const ori = group(pf, T.PlaneOrientationSequence);
    if (!ori) throw pf.fail(T.PlaneOrientationSequence, "is missing (neither per-frame nor shared)");
    const meas = group(pf, T.PixelMeasuresSequence);
    if (!meas) throw pf.fail(T.PixelMeasuresSequence, "is missing (neither per-frame nor shared)");
    const r = rescaleOf(group(pf, T.PixelValueTransformationSequence)) ?? topRescale ?? { slope: 1, intercept: 0 };
    return {
      frame: f + 1,
      position: pos.requireNums(T.ImagePositionPatient, 3) as unknown as Vec3,
      orientation: ori.requireNums(T.ImageOrientationPatient, 6),
      pixelSpacing: spacingOf(meas),
      ...r,
    };
  });
}

/** Elements of the patient and study modules, copied verbatim into derived objects (SEG). */
export const PATIENT_STUDY_TAGS: readonly string[] = [
  T.PatientName,
  T.PatientID,
  T.PatientBirthDate,
  T.PatientSex,
  T.PatientAge,
  T.StudyInstanceUID,
  T.StudyDate,
  T.StudyTime,
  T.ReferringPhysicianName,
  T.StudyID,
  T.AccessionNumber,
  T.StudyDescription,
];

/** Copies the patient/study elements of a header (values only, JSON-safe apart from binary VRs). */
export function patientStudyElements(a: DicomAccess): DcmjsDataset {
  const out: DcmjsDataset = {};
  for (const t of PATIENT_STUDY_TAGS) {
    const e = a.ds[t];
    if (e) out[t] = { vr: e.vr, Value: Array.isArray(e.Value) ? structuredClone(e.Value) : [] };
  }
  return out;
}
