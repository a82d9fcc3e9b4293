// Label map -> DICOM Segmentation (BINARY), one multi-frame instance referencing the source series.
//
// Geometry is taken from the source, never recomputed from the label Volume: frame (segment s,
// slice k) gets ImagePositionPatient of source slice k and the source ImageOrientationPatient, and
// its pixel (column c, row r) is label voxel (i = c, j = r, k). The label Volume must therefore be
// on the source grid; its affine is checked against the source's, so a map that was reoriented
// (e.g. to RAS canonical) and not restored is refused instead of being written mirrored.
//
// The dataset is built element by element and serialised by dcmjs's writer. dcmjs's own
// Segmentation derivation is not used: it starts from a "normalized" multi-frame copy of the
// source pixels and re-sorts the slices itself.

import { maxAbsDiff } from "../../volume/affine.js";
import { dtypeInfo } from "../../volume/dtype.js";
import type { Volume } from "../../volume/volume.js";
import { T, el, newUid, writeDicom, type DcmjsDataset } from "./dcmjs.js";
import type { DicomSeries, DicomSeriesInfo } from "./read-series.js";

/** SOP Class UID of Segmentation Storage. */
export const SEGMENTATION_STORAGE = "1.2.840.10008.5.1.4.1.1.66.4";
const EXPLICIT_LE = "1.2.840.10008.1.2.1";
/** Implementation Class UID of files written by labelwise (a fixed 2.25 UUID-derived UID). */
export const LABELWISE_IMPLEMENTATION_UID = "2.25.183515457316429398725474187963557386511";

/** A coded concept (Code Value, Coding Scheme Designator, Code Meaning). */
export interface SegCode {
  readonly value: string;
  readonly scheme: string;
  readonly meaning: string;
}

/** SNOMED CT "Tissue" (CID 7150 category; also a CID 7165 type): the default for both. */
export const TISSUE: SegCode = { value: "85756007", scheme: "SCT", meaning: "Tissue" };

/** Options for writing a SEG. */
export interface DicomSegWriteOptions {
  /**
   * Segment names: dataset.json's `labels` (name -> value; entries that are not one integer, such
   * as nnU-Net region lists, are ignored) or a value -> name map. @default "label <value>"
   */
  readonly labels?: Readonly<Record<string, unknown>> | ReadonlyMap<number, string>;
  /** Display colour per label value, sRGB 0..255. @default golden-angle hues */
  readonly colors?: Readonly<Record<number, readonly [number, number, number]>>;
  /** Segmented property category/type per label value. @default SCT 85756007 "Tissue" for both */
  readonly codes?: Readonly<Record<number, { readonly category?: SegCode; readonly type?: SegCode }>>;
  /** @default "labelwise segmentation" */
  readonly seriesDescription?: string;
  /** @default 300 */
  readonly seriesNumber?: number;
  /** (0070,0080) ContentLabel: upper case, digits, space, underscore, up to 16. @default "SEGMENTATION" */
  readonly contentLabel?: string;
  readonly contentDescription?: string;
  readonly contentCreatorName?: string;
  /** SegmentAlgorithmName. @default "labelwise" */
  readonly algorithmName?: string;
  /** Manufacturer of the "equipment" (the software). @default "labelwise" */
  readonly manufacturer?: string;
  /** (0018,1020) SoftwareVersions (pass the package version). @default "unspecified" */
  readonly softwareVersions?: string;
  /** Largest accepted difference between the label and source affines (mm). @default 1e-3 */
  readonly geometryTolerance?: number;
  /** Also write frames where a segment is empty (every segment then has one frame per slice). @default false */
  readonly includeEmptyFrames?: boolean;
  readonly seriesInstanceUID?: string;
  readonly sopInstanceUID?: string;
  /** Content date and time. @default now */
  readonly date?: Date;
}

/** One segment written. */
export interface WrittenSegment {
  /** SegmentNumber in the SEG (1, 2, ... in label order). */
  readonly number: number;
  /** Label value in the map. */
  readonly label: number;
  readonly name: string;
  /** Number of frames (slices) of this segment. */
  readonly frames: number;
}

/** The encoded SEG and what went into it. */
export interface EncodedSeg {
  readonly bytes: Uint8Array;
  readonly segments: readonly WrittenSegment[];
  readonly frames: number;
  readonly sopInstanceUID: string;
  readonly seriesInstanceUID: string;
}

/** Value -> name from dataset.json `labels` or a Map. */
export function labelNameMap(labels: DicomSegWriteOptions["labels"]): Map<number, string> {
  const out = new Map<number, string>();
  if (!labels) return out;
  if (labels instanceof Map) {
    for (const [v, n] of labels) out.set(v, n);
    return out;
  }
  for (const [name, v] of Object.entries(labels as Record<string, unknown>)) {
    const value = typeof v === "number" ? v : Array.isArray(v) && v.length === 1 && typeof v[0] === "number" ? v[0] : undefined;
    if (value !== undefined && Number.isInteger(value) && !out.has(value)) out.set(value, name);
  }
  return out;
}

/** Golden-angle hue for label v (distinct neighbours, stable per value), as sRGB 0..255. */
export function defaultColor(v: number): [number, number, number] {
  const h = ((v * 137.50776405) % 360) / 60;
  const s = 0.75;
  const val = 0.95;
  const c = val * s;
  const x = c * (1 - Math.abs((h % 2) - 1));
  const m = val - c;
  const [r, g, b] = h < 1 ? [c, x, 0] : h < 2 ? [x, c, 0] : h < 3 ? [0, c, x] : h < 4 ? [0, x, c] : h < 5 ? [x, 0, c] : [c, 0, x];
  return [Math.round((r + m) * 255), Math.round((g + m) * 255), Math.round((b + m) * 255)];
}

/**
 * sRGB (0..255) -> DICOM RecommendedDisplayCIELabValue: CIE L*a*b* (D65 white) scaled to
 * 0..65535 (L* over 0..100, a* and b* over -128..127; PS 3.3 C.10.7.1.1).
 */
export function rgbToDicomLab(rgb: readonly [number, number, number]): [number, number, number] {
  const lin = rgb.map((c) => {
    const v = Math.min(255, Math.max(0, c)) / 255;
    return v <= 0.04045 ? v / 12.92 : ((v + 0.055) / 1.055) ** 2.4;
  }) as [number, number, number];
  const X = 0.4124564 * lin[0] + 0.3575761 * lin[1] + 0.1804375 * lin[2];
  const Y = 0.2126729 * lin[0] + 0.7151522 * lin[1] + 0.072175 * lin[2];
  const Z = 0.0193339 * lin[0] + 0.119192 * lin[1] + 0.9503041 * lin[2];
  const f = (t: number): number => (t > (6 / 29) ** 3 ? Math.cbrt(t) : t / (3 * (6 / 29) ** 2) + 4 / 29);
  const [fx, fy, fz] = [f(X / 0.95047), f(Y / 1.0), f(Z / 1.08883)];
  const L = 116 * fy - 16;
  const a = 500 * (fx - fy);
  const b = 200 * (fy - fz);
  const clamp = (v: number): number => Math.min(65535, Math.max(0, Math.round(v)));
  return [clamp((L * 65535) / 100), clamp(((a + 128) * 65535) / 255), clamp(((b + 128) * 65535) / 255)];
}

function codeItem(c: SegCode): DcmjsDataset {
  return { [T.CodeValue]: el("SH", c.value), [T.CodingSchemeDesignator]: el("SH", c.scheme), [T.CodeMeaning]: el("LO", c.meaning) };
}

const pad2 = (n: number): string => String(n).padStart(2, "0");
const dicomDate = (d: Date): string => `${d.getFullYear()}${pad2(d.getMonth() + 1)}${pad2(d.getDate())}`;
const dicomTime = (d: Date): string => `${pad2(d.getHours())}${pad2(d.getMinutes())}${pad2(d.getSeconds())}`;

/**
 * Encodes a label map as a DICOM SEG (Part 10 bytes). One segment per label value present (> 0),
 * SegmentNumbers 1..N in ascending label order; frames only where a segment is present unless
 * includeEmptyFrames.
 * @throws RangeError when the labels are not on the source grid, hold no foreground or values
 * outside 0..65535; TypeError for a non-integer dtype.
 */
export function encodeDicomSeg(labels: Volume, source: DicomSeries | DicomSeriesInfo, opts: DicomSegWriteOptions = {}): EncodedSeg {
  const info: DicomSeriesInfo = "info" in source ? source.info : source;
  const dt = dtypeInfo(labels.dtype);
  if (!dt.integer || dt.bigint || dt.components !== 1) {
    throw new TypeError(`Cannot write DICOM SEG: labels must be an integer volume (uint8/uint16). Received: dtype ${labels.dtype}`);
  }
  if (labels.channels !== 1) throw new RangeError(`Cannot write DICOM SEG: labels must have 1 channel. Received: ${labels.channels}`);
  const nz = info.slices.length;
  const want = [info.columns, info.rows, nz];
  if (labels.shape.some((n, a) => n !== want[a])) {
    throw new RangeError(
      `Cannot write DICOM SEG: labels shape [${labels.shape.join(",")}] is not the source series grid [${want.join(",")}] (columns, rows, slices); ` +
        "resample or reorient the prediction back to the source geometry first",
    );
  }
  const tol = opts.geometryTolerance ?? 1e-3;
  const diff = maxAbsDiff(labels.affine, info.affine);
  if (!(diff <= tol)) {
    throw new RangeError(
      `Cannot write DICOM SEG: labels affine differs from the source series affine by ${diff.toPrecision(3)} mm (tolerance ${tol}); ` +
        "a reoriented or resampled prediction must be brought back to the source geometry first, or it would be written mirrored or shifted",
    );
  }
  if (!info.frameOfReferenceUID) throw new RangeError("Cannot write DICOM SEG: the source series has no (0020,0052) FrameOfReferenceUID to register the segmentation to");
  if (!info.studyInstanceUID) throw new RangeError("Cannot write DICOM SEG: the source series has no (0020,000D) StudyInstanceUID");

  // Which labels are present on which slices.
  const fs = info.columns * info.rows;
  const data = labels.data as unknown as ArrayLike<number>;
  const presence = new Map<number, Uint8Array>();
  for (let k = 0; k < nz; k++) {
    let lastV = -1;
    let lastArr: Uint8Array | undefined;
    const base = k * fs;
    for (let p = 0; p < fs; p++) {
      const v = data[base + p]!;
      if (v === 0) continue;
      if (v !== lastV) {
        if (!(v > 0 && v <= 65535 && Number.isInteger(v))) {
          throw new RangeError(`Cannot write DICOM SEG: label values must be integers in 0..65535. Received: ${v} at voxel index ${base + p}`);
        }
        lastArr = presence.get(v);
        if (!lastArr) presence.set(v, (lastArr = new Uint8Array(nz)));
        lastV = v;
      }
      lastArr![k] = 1;
    }
  }
  const values = [...presence.keys()].sort((a, b) => a - b);
  if (values.length === 0) throw new RangeError("Cannot write DICOM SEG: the label map has no foreground (a SEG needs at least one segment)");

  const names = labelNameMap(opts.labels);
  const frames: { seg: number; label: number; k: number }[] = [];
  const segments: WrittenSegment[] = [];
  values.forEach((label, s) => {
    const pres = presence.get(label)!;
    let count = 0;
    for (let k = 0; k < nz; k++) {
      if (opts.includeEmptyFrames || pres[k]) {
        frames.push({ seg: s + 1, label, k });
        count++;
      }
    }
    segments.push({ number: s + 1, label, name: names.get(label) ?? `label ${label}`, frames: count });
  });

  // Bit-packed frames: one continuous little-endian bit stream (frames are not byte-aligned).
  const totalBits = frames.length * fs;
  const packed = new Uint8Array(Math.ceil(totalBits / 8) + (Math.ceil(totalBits / 8) % 2));
  frames.forEach(({ label, k }, f) => {
    const base = k * fs;
    let bit = f * fs;
    for (let p = 0; p < fs; p++, bit++) if (data[base + p] === label) packed[bit >>> 3]! |= 1 << (bit & 7);
  });

  const now = opts.date ?? new Date();
  const seriesUid = opts.seriesInstanceUID ?? newUid();
  const sopUid = opts.sopInstanceUID ?? newUid();
  const dimOrg = newUid();
  const contentLabel = opts.contentLabel ?? "SEGMENTATION";
  if (!/^[A-Z0-9_ ]{1,16}$/.test(contentLabel)) throw new RangeError(`Cannot write DICOM SEG: contentLabel must be 1-16 of A-Z 0-9 _ space. Received: ${contentLabel}`);
  const algorithm = opts.algorithmName ?? "labelwise";

  const segmentItems = segments.map((s) => {
    const code = opts.codes?.[s.label];
    return {
      [T.SegmentNumber]: el("US", s.number),
      [T.SegmentLabel]: el("LO", s.name.slice(0, 64)),
      [T.SegmentDescription]: el("ST", `label value ${s.label}`),
      [T.SegmentAlgorithmType]: el("CS", "AUTOMATIC"),
      [T.SegmentAlgorithmName]: el("LO", algorithm),
      [T.SegmentedPropertyCategoryCodeSequence]: el("SQ", codeItem(code?.category ?? TISSUE)),
      [T.SegmentedPropertyTypeCodeSequence]: el("SQ", codeItem(code?.type ?? TISSUE)),
      [T.RecommendedDisplayCIELabValue]: el("US", ...rgbToDicomLab(opts.colors?.[s.label] ?? defaultColor(s.label))),
    } satisfies DcmjsDataset;
  });

  const perFrame = frames.map(({ seg, k }) => {
    const src = info.slices[k]!;
    const sourceImage: DcmjsDataset = {
      [T.ReferencedSOPClassUID]: el("UI", src.sopClassUID),
      [T.ReferencedSOPInstanceUID]: el("UI", src.sopInstanceUID),
      [T.PurposeOfReferenceCodeSequence]: el("SQ", codeItem({ value: "121322", scheme: "DCM", meaning: "Source image for image processing operation" })),
    };
    if (src.frameNumber !== undefined) sourceImage[T.ReferencedFrameNumber] = el("IS", src.frameNumber);
    return {
      [T.DerivationImageSequence]: el("SQ", {
        [T.SourceImageSequence]: el("SQ", sourceImage),
        [T.DerivationCodeSequence]: el("SQ", codeItem({ value: "113076", scheme: "DCM", meaning: "Segmentation" })),
      }),
      [T.FrameContentSequence]: el("SQ", { [T.DimensionIndexValues]: el("UL", seg, k + 1) }),
      [T.PlanePositionSequence]: el("SQ", { [T.ImagePositionPatient]: el("DS", ...src.position) }),
      [T.SegmentIdentificationSequence]: el("SQ", { [T.ReferencedSegmentNumber]: el("US", seg) }),
    } satisfies DcmjsDataset;
  });

  // Every source instance once (a multi-frame source is one instance).
  const seenSop = new Set<string>();
  const referenced: DcmjsDataset[] = [];
  for (const s of info.slices) {
    if (seenSop.has(s.sopInstanceUID)) continue;
    seenSop.add(s.sopInstanceUID);
    referenced.push({ [T.ReferencedSOPClassUID]: el("UI", s.sopClassUID), [T.ReferencedSOPInstanceUID]: el("UI", s.sopInstanceUID) });
  }

  const patientStudy: DcmjsDataset = {};
  for (const [tag, e] of Object.entries(info.patientStudy)) patientStudy[tag] = { vr: e.vr, Value: structuredClone(e.Value ?? []) };
  // Type 2 elements of the patient and study modules: present, empty when the source lacks them.
  for (const [tag, vr] of [
    [T.PatientName, "PN"],
    [T.PatientID, "LO"],
    [T.PatientBirthDate, "DA"],
    [T.PatientSex, "CS"],
    [T.StudyDate, "DA"],
    [T.StudyTime, "TM"],
    [T.ReferringPhysicianName, "PN"],
    [T.StudyID, "SH"],
    [T.AccessionNumber, "SH"],
  ] as const) {
    patientStudy[tag] ??= { vr, Value: [] };
  }

  const ds: DcmjsDataset = {
    ...patientStudy,
    [T.SpecificCharacterSet]: el("CS", "ISO_IR 192"),
    [T.ImageType]: el("CS", "DERIVED", "PRIMARY"),
    [T.InstanceCreationDate]: el("DA", dicomDate(now)),
    [T.InstanceCreationTime]: el("TM", dicomTime(now)),
    [T.SOPClassUID]: el("UI", SEGMENTATION_STORAGE),
    [T.SOPInstanceUID]: el("UI", sopUid),
    [T.StudyInstanceUID]: el("UI", info.studyInstanceUID),
    [T.SeriesDate]: el("DA", dicomDate(now)),
    [T.SeriesTime]: el("TM", dicomTime(now)),
    [T.ContentDate]: el("DA", dicomDate(now)),
    [T.ContentTime]: el("TM", dicomTime(now)),
    [T.Modality]: el("CS", "SEG"),
    [T.Manufacturer]: el("LO", opts.manufacturer ?? "labelwise"),
    [T.SeriesDescription]: el("LO", (opts.seriesDescription ?? "labelwise segmentation").slice(0, 64)),
    [T.ManufacturerModelName]: el("LO", "labelwise"),
    [T.ReferencedSeriesSequence]: el("SQ", {
      [T.SeriesInstanceUID]: el("UI", info.seriesInstanceUID),
      [T.ReferencedInstanceSequence]: el("SQ", ...referenced),
    }),
    [T.DeviceSerialNumber]: el("LO", "1"),
    [T.SoftwareVersions]: el("LO", opts.softwareVersions ?? "unspecified"),
    [T.SeriesInstanceUID]: el("UI", seriesUid),
    [T.SeriesNumber]: el("IS", opts.seriesNumber ?? 300),
    [T.InstanceNumber]: el("IS", 1),
    [T.FrameOfReferenceUID]: el("UI", info.frameOfReferenceUID),
    [T.PositionReferenceIndicator]: { vr: "LO", Value: [] },
    [T.DimensionOrganizationSequence]: el("SQ", { [T.DimensionOrganizationUID]: el("UI", dimOrg) }),
    [T.DimensionOrganizationType]: el("CS", "3D"),
    [T.DimensionIndexSequence]: el(
      "SQ",
      {
        [T.DimensionOrganizationUID]: el("UI", dimOrg),
        [T.DimensionIndexPointer]: el("AT", 0x0062000b),
        [T.FunctionalGroupPointer]: el("AT", 0x0062000a),
        [T.DimensionDescriptionLabel]: el("LO", "ReferencedSegmentNumber"),
      },
      {
        [T.DimensionOrganizationUID]: el("UI", dimOrg),
        [T.DimensionIndexPointer]: el("AT", 0x00200032),
        [T.FunctionalGroupPointer]: el("AT", 0x00209113),
        [T.DimensionDescriptionLabel]: el("LO", "ImagePositionPatient"),
      },
    ),
    [T.SamplesPerPixel]: el("US", 1),
    [T.PhotometricInterpretation]: el("CS", "MONOCHROME2"),
    [T.NumberOfFrames]: el("IS", frames.length),
    [T.Rows]: el("US", info.rows),
    [T.Columns]: el("US", info.columns),
    [T.BitsAllocated]: el("US", 1),
    [T.BitsStored]: el("US", 1),
    [T.HighBit]: el("US", 0),
    [T.PixelRepresentation]: el("US", 0),
    [T.LossyImageCompression]: el("CS", "00"),
    [T.ContentLabel]: el("CS", contentLabel),
    [T.ContentDescription]: opts.contentDescription ? el("LO", opts.contentDescription.slice(0, 64)) : { vr: "LO", Value: [] },
    [T.ContentCreatorName]: opts.contentCreatorName ? el("PN", { Alphabetic: opts.contentCreatorName }) : { vr: "PN", Value: [] },
    [T.SegmentationType]: el("CS", "BINARY"),
    [T.SegmentSequence]: el("SQ", ...segmentItems),
    [T.SharedFunctionalGroupsSequence]: el("SQ", {
      [T.PlaneOrientationSequence]: el("SQ", { [T.ImageOrientationPatient]: el("DS", ...info.orientation) }),
      [T.PixelMeasuresSequence]: el("SQ", {
        [T.PixelSpacing]: el("DS", ...info.pixelSpacing),
        [T.SliceThickness]: el("DS", info.sliceThickness ?? info.spacingBetweenSlices),
        [T.SpacingBetweenSlices]: el("DS", info.spacingBetweenSlices),
      }),
    }),
    [T.PerFrameFunctionalGroupsSequence]: el("SQ", ...perFrame),
    [T.PixelData]: el("OB", packed.buffer),
  };
  const meta: DcmjsDataset = {
    [T.FileMetaInformationVersion]: el("OB", new Uint8Array([0, 1]).buffer),
    [T.MediaStorageSOPClassUID]: el("UI", SEGMENTATION_STORAGE),
    [T.MediaStorageSOPInstanceUID]: el("UI", sopUid),
    [T.TransferSyntaxUID]: el("UI", EXPLICIT_LE),
    [T.ImplementationClassUID]: el("UI", LABELWISE_IMPLEMENTATION_UID),
    [T.ImplementationVersionName]: el("SH", "LABELWISE"),
  };
  return { bytes: writeDicom(meta, ds), segments, frames: frames.length, sopInstanceUID: sopUid, seriesInstanceUID: seriesUid };
}
