// Test helper (never exported from the package): synthetic DICOM series written with dcmjs, so
// the tests need no stored data. Each slice s of a series lies at origin + s·step (LPS) and holds
// stored values value(i, j, s); the tests check the reader against that ground truth.

import type { Vec3 } from "../../volume/affine.js";
import { T, el, newUid, writeDicom, type DcmjsDataset } from "./dcmjs.js";

export const CT_IMAGE_STORAGE = "1.2.840.10008.5.1.4.1.1.2";
export const ENHANCED_CT_IMAGE_STORAGE = "1.2.840.10008.5.1.4.1.1.2.1";
export const EXPLICIT_LE = "1.2.840.10008.1.2.1";
export const IMPLICIT_LE = "1.2.840.10008.1.2";

/** A synthetic single-frame series. */
export interface SeriesSpec {
  readonly rows: number;
  readonly columns: number;
  readonly slices: number;
  /** ImageOrientationPatient (row cosines, column cosines). */
  readonly orientation: readonly number[];
  /** [between rows, between columns]. */
  readonly pixelSpacing: readonly [number, number];
  /** ImagePositionPatient of slice s = 0 (LPS). */
  readonly origin: Vec3;
  /** LPS vector from slice s to s + 1. */
  readonly step: Vec3;
  readonly slope?: number;
  readonly intercept?: number;
  /** Stored value of pixel (column i, row j) of slice s; must fit the 12-bit signed range. */
  readonly value?: (i: number, j: number, s: number) => number;
  readonly seriesInstanceUID?: string;
  readonly studyInstanceUID?: string;
  readonly frameOfReferenceUID?: string;
  readonly transferSyntaxUID?: string;
  readonly seriesDescription?: string;
  /** File name of slice s. @default a shuffled name, so that name order is not slice order */
  readonly fileName?: (s: number) => string;
  /** Last chance to damage slice s's dataset (tests of bad inputs). */
  readonly edit?: (s: number, ds: DcmjsDataset, meta: DcmjsDataset) => void;
  /** Seed of the file-name shuffle. @default 1 */
  readonly seed?: number;
}

/** The written files and the truth they encode. */
export interface SyntheticSeries {
  readonly files: { path: string; bytes: Uint8Array }[];
  /** SOPInstanceUID of slice s. */
  readonly sopInstanceUIDs: readonly string[];
  /** Path of slice s. */
  readonly paths: readonly string[];
  readonly seriesInstanceUID: string;
  readonly studyInstanceUID: string;
  readonly frameOfReferenceUID: string;
  /** LPS position of pixel (i, j) of slice s. */
  position(i: number, j: number, s: number): Vec3;
  /** Stored value of pixel (i, j) of slice s. */
  stored(i: number, j: number, s: number): number;
  readonly spec: SeriesSpec;
}

/** Deterministic permutation of 0..n-1 (xorshift, Fisher-Yates). */
export function permutation(n: number, seed = 1): number[] {
  let x = (seed * 2654435761) >>> 0 || 1;
  const rnd = (): number => {
    x ^= x << 13;
    x >>>= 0;
    x ^= x >>> 17;
    x ^= x << 5;
    x >>>= 0;
    return x / 2 ** 32;
  };
  const p = [...Array(n).keys()];
  for (let i = n - 1; i > 0; i--) {
    const j = Math.floor(rnd() * (i + 1));
    [p[i], p[j]] = [p[j]!, p[i]!];
  }
  return p;
}

const defaultValue = (i: number, j: number, s: number): number => ((i * 7 + j * 13 + s * 31) % 3000) - 1000;

/** File meta group for a Part 10 file. */
export function fileMeta(sopClass: string, sopInstance: string, ts = EXPLICIT_LE): DcmjsDataset {
  return {
    [T.FileMetaInformationVersion]: el("OB", new Uint8Array([0, 1]).buffer),
    [T.MediaStorageSOPClassUID]: el("UI", sopClass),
    [T.MediaStorageSOPInstanceUID]: el("UI", sopInstance),
    [T.TransferSyntaxUID]: el("UI", ts),
    [T.ImplementationClassUID]: el("UI", "2.25.1"),
  };
}

/** Builds a CT series in memory (int16 pixels, 12 bits stored, signed). */
export function syntheticSeries(spec: SeriesSpec): SyntheticSeries {
  const { rows, columns, slices, orientation: iop, pixelSpacing: ps, origin, step } = spec;
  const value = spec.value ?? defaultValue;
  const series = spec.seriesInstanceUID ?? newUid();
  const study = spec.studyInstanceUID ?? newUid();
  const frameOfRef = spec.frameOfReferenceUID ?? newUid();
  const perm = permutation(slices, spec.seed ?? 1);
  const name = spec.fileName ?? ((s: number) => `IM${String(perm[s]).padStart(4, "0")}`);
  const position = (i: number, j: number, s: number): Vec3 => [0, 1, 2].map(
    (a) => origin[a as 0]! + s * step[a as 0]! + i * ps[1] * iop[a]! + j * ps[0] * iop[3 + a]!,
  ) as unknown as Vec3;
  const files: { path: string; bytes: Uint8Array }[] = [];
  const sops: string[] = [];
  const paths: string[] = [];
  for (let s = 0; s < slices; s++) {
    const sop = newUid();
    const px = new Int16Array(rows * columns);
    for (let j = 0; j < rows; j++) for (let i = 0; i < columns; i++) px[i + columns * j] = value(i, j, s);
    const ipp = position(0, 0, s);
    const ds: DcmjsDataset = {
      [T.SpecificCharacterSet]: el("CS", "ISO_IR 192"),
      [T.ImageType]: el("CS", "ORIGINAL", "PRIMARY", "AXIAL"),
      [T.SOPClassUID]: el("UI", CT_IMAGE_STORAGE),
      [T.SOPInstanceUID]: el("UI", sop),
      [T.StudyDate]: el("DA", "20240102"),
      [T.StudyTime]: el("TM", "101500"),
      [T.AccessionNumber]: el("SH", "ACC1"),
      [T.Modality]: el("CS", "CT"),
      [T.Manufacturer]: el("LO", "synthetic"),
      [T.ReferringPhysicianName]: el("PN", { Alphabetic: "Ref^Doc" }),
      [T.SeriesDescription]: el("LO", spec.seriesDescription ?? "synthetic oblique CT"),
      [T.PatientName]: el("PN", { Alphabetic: "Test^Patient" }),
      [T.PatientID]: el("LO", "LW-0001"),
      [T.PatientBirthDate]: el("DA", "19700101"),
      [T.PatientSex]: el("CS", "O"),
      [T.SliceThickness]: el("DS", Math.hypot(...step)),
      [T.StudyInstanceUID]: el("UI", study),
      [T.SeriesInstanceUID]: el("UI", series),
      [T.StudyID]: el("SH", "S1"),
      [T.SeriesNumber]: el("IS", 2),
      // Deliberately not the spatial order: readers must sort by position.
      [T.InstanceNumber]: el("IS", perm[s]! + 1),
      [T.ImagePositionPatient]: el("DS", ...ipp),
      [T.ImageOrientationPatient]: el("DS", ...iop),
      [T.FrameOfReferenceUID]: el("UI", frameOfRef),
      [T.PositionReferenceIndicator]: el("LO", ""),
      [T.SamplesPerPixel]: el("US", 1),
      [T.PhotometricInterpretation]: el("CS", "MONOCHROME2"),
      [T.Rows]: el("US", rows),
      [T.Columns]: el("US", columns),
      [T.PixelSpacing]: el("DS", ps[0], ps[1]),
      [T.BitsAllocated]: el("US", 16),
      [T.BitsStored]: el("US", 12),
      [T.HighBit]: el("US", 11),
      [T.PixelRepresentation]: el("US", 1),
      [T.RescaleIntercept]: el("DS", spec.intercept ?? 0),
      [T.RescaleSlope]: el("DS", spec.slope ?? 1),
      [T.RescaleType]: el("LO", "HU"),
      [T.PixelData]: el("OW", px.buffer),
    };
    const meta = fileMeta(CT_IMAGE_STORAGE, sop, spec.transferSyntaxUID ?? EXPLICIT_LE);
    spec.edit?.(s, ds, meta);
    const path = name(s);
    files.push({ path, bytes: writeDicom(meta, ds) });
    sops.push(sop);
    paths.push(path);
  }
  return {
    files,
    sopInstanceUIDs: sops,
    paths,
    seriesInstanceUID: series,
    studyInstanceUID: study,
    frameOfReferenceUID: frameOfRef,
    position,
    stored: (i, j, s) => value(i, j, s),
    spec,
  };
}

/** Row and column cosines of a rotation by Euler angles (degrees) about x, then y, then z. */
export function obliqueOrientation(ax: number, ay: number, az: number): number[] {
  const r = (d: number): number => (d * Math.PI) / 180;
  const [cx, sx, cy, sy, cz, sz] = [Math.cos(r(ax)), Math.sin(r(ax)), Math.cos(r(ay)), Math.sin(r(ay)), Math.cos(r(az)), Math.sin(r(az))];
  // R = Rz · Ry · Rx; columns are the rotated x and y axes.
  const R = [
    [cz * cy, cz * sy * sx - sz * cx, cz * sy * cx + sz * sx],
    [sz * cy, sz * sy * sx + cz * cx, sz * sy * cx - cz * sx],
    [-sy, cy * sx, cy * cx],
  ];
  return [R[0]![0]!, R[1]![0]!, R[2]![0]!, R[0]![1]!, R[1]![1]!, R[2]![1]!];
}

/** row × col for an orientation. */
export function normalOf(iop: readonly number[]): Vec3 {
  const [a, b, c, d, e, f] = iop as [number, number, number, number, number, number];
  return [b * f - c * e, c * d - a * f, a * e - b * d];
}

/** Enhanced (multi-frame) CT: the same truth as syntheticSeries, in one file with functional groups. */
export function syntheticEnhancedCT(spec: SeriesSpec): SyntheticSeries {
  const single = syntheticSeries({ ...spec, fileName: (s) => `s${s}` });
  const { rows, columns, slices, orientation: iop, pixelSpacing: ps } = spec;
  const sop = newUid();
  const px = new Int16Array(rows * columns * slices);
  // Frames deliberately in reverse spatial order.
  const frameOf = (s: number): number => slices - 1 - s;
  for (let s = 0; s < slices; s++) {
    for (let j = 0; j < rows; j++) for (let i = 0; i < columns; i++) px[frameOf(s) * rows * columns + i + columns * j] = single.stored(i, j, s);
  }
  const perFrame = [...Array(slices).keys()].map((f) => {
    const s = slices - 1 - f;
    return {
      [T.PlanePositionSequence]: el("SQ", { [T.ImagePositionPatient]: el("DS", ...single.position(0, 0, s)) }),
      [T.PixelValueTransformationSequence]: el("SQ", {
        [T.RescaleIntercept]: el("DS", spec.intercept ?? 0),
        [T.RescaleSlope]: el("DS", spec.slope ?? 1),
        [T.RescaleType]: el("LO", "HU"),
      }),
    };
  });
  const ds: DcmjsDataset = {
    [T.SpecificCharacterSet]: el("CS", "ISO_IR 192"),
    [T.ImageType]: el("CS", "ORIGINAL", "PRIMARY", "AXIAL", "NONE"),
    [T.SOPClassUID]: el("UI", ENHANCED_CT_IMAGE_STORAGE),
    [T.SOPInstanceUID]: el("UI", sop),
    [T.Modality]: el("CS", "CT"),
    [T.PatientName]: el("PN", { Alphabetic: "Test^Patient" }),
    [T.PatientID]: el("LO", "LW-0001"),
    [T.StudyInstanceUID]: el("UI", single.studyInstanceUID),
    [T.SeriesInstanceUID]: el("UI", single.seriesInstanceUID),
    [T.FrameOfReferenceUID]: el("UI", single.frameOfReferenceUID),
    [T.NumberOfFrames]: el("IS", slices),
    [T.SamplesPerPixel]: el("US", 1),
    [T.PhotometricInterpretation]: el("CS", "MONOCHROME2"),
    [T.Rows]: el("US", rows),
    [T.Columns]: el("US", columns),
    [T.BitsAllocated]: el("US", 16),
    [T.BitsStored]: el("US", 12),
    [T.HighBit]: el("US", 11),
    [T.PixelRepresentation]: el("US", 1),
    [T.SharedFunctionalGroupsSequence]: el("SQ", {
      [T.PlaneOrientationSequence]: el("SQ", { [T.ImageOrientationPatient]: el("DS", ...iop) }),
      [T.PixelMeasuresSequence]: el("SQ", {
        [T.PixelSpacing]: el("DS", ps[0], ps[1]),
        [T.SliceThickness]: el("DS", Math.hypot(...spec.step)),
      }),
    }),
    [T.PerFrameFunctionalGroupsSequence]: el("SQ", ...perFrame),
    [T.PixelData]: el("OW", px.buffer),
  };
  const bytes = writeDicom(fileMeta(ENHANCED_CT_IMAGE_STORAGE, sop), ds);
  return {
    ...single,
    files: [{ path: "enhanced.dcm", bytes }],
    paths: [...Array(slices)].map(() => "enhanced.dcm"),
    sopInstanceUIDs: [...Array(slices)].map(() => sop),
  };
}
