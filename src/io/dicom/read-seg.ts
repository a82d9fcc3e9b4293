// DICOM SEG (BINARY) -> label Volume on the grid of the series it segments. Each frame is placed
// by its own PlanePositionSequence (not by frame order), so a SEG written by another tool, with
// frames in any order and empty slices left out, lands on the right slice — and one that does
// not lie on the reference grid is refused rather than shifted.

import { FormatError } from "../errors.js";
import { applyAffine, invertAffine, type Vec3 } from "../../volume/affine.js";
import { allocVoxels, labelDType } from "../../volume/dtype.js";
import { Volume } from "../../volume/volume.js";
import { DicomAccess } from "./access.js";
import { T, parseDicom } from "./dcmjs.js";
import { flipLpsRas, sameOrientation } from "./geometry.js";
import type { DicomSeries, DicomSeriesInfo } from "./read-series.js";
import { isSupportedTransferSyntax, transferSyntaxName } from "./transfer-syntax.js";
import { SEGMENTATION_STORAGE } from "./write-seg.js";

/** Options for reading a SEG. */
export interface DicomSegReadOptions {
  /** The segmented series (from readDicomSeries): gives the grid the labels are placed on. */
  readonly reference: DicomSeries | DicomSeriesInfo;
  /**
   * Label value per segment, by SegmentLabel: dataset.json's `labels` (name -> value). Segments
   * whose label is not found get their SegmentNumber. @default SegmentNumber for every segment
   */
  readonly labels?: Readonly<Record<string, unknown>>;
  /** Largest accepted distance of a frame from a reference slice, in voxels. @default 0.01 */
  readonly tolerance?: number;
  /** Name of the input in errors. @default "<memory>" */
  readonly path?: string;
}

/** A segment found in the SEG. */
export interface ReadSegment {
  readonly number: number;
  readonly name: string;
  /** Value the segment's voxels get in the label map. */
  readonly label: number;
  readonly algorithmType: string | undefined;
  readonly algorithmName: string | undefined;
  /** RecommendedDisplayCIELabValue as stored (0..65535 scaled), when present. */
  readonly cieLab: readonly number[] | undefined;
}

/** One frame of the SEG and where it went. */
export interface ReadSegFrame {
  readonly segment: number;
  /** Slice of the reference volume. */
  readonly k: number;
  /** SOP instances the frame says it was derived from. */
  readonly referencedSOPInstanceUIDs: readonly string[];
  /** ReferencedFrameNumber of each reference (undefined for single-frame sources). */
  readonly referencedFrameNumbers: readonly (number | undefined)[];
  readonly position: Vec3;
}

/** A decoded SEG. */
export interface DicomSeg {
  readonly volume: Volume;
  readonly segments: readonly ReadSegment[];
  readonly frames: readonly ReadSegFrame[];
  readonly seriesInstanceUID: string | undefined;
  /** SeriesInstanceUID in (0008,1115) ReferencedSeriesSequence. */
  readonly referencedSeriesInstanceUID: string | undefined;
  readonly warnings: readonly string[];
}

/**
 * Decodes a BINARY DICOM SEG onto the reference series' grid.
 * @throws FormatError naming the file and tag for a non-SEG, an unsupported encoding, or frames
 * that are not on the reference grid.
 */
export function decodeDicomSeg(bytes: Uint8Array, opts: DicomSegReadOptions): DicomSeg {
  const path = opts.path ?? "<memory>";
  const info: DicomSeriesInfo = "info" in opts.reference ? opts.reference.info : opts.reference;
  const { meta, dataset } = parseDicom(bytes, path, false);
  const m = new DicomAccess(meta, path);
  const a = DicomAccess.root(dataset, path);
  const warnings: string[] = [];
  const ts = m.requireStr(T.TransferSyntaxUID);
  if (!isSupportedTransferSyntax(ts)) throw m.fail(T.TransferSyntaxUID, `${ts} (${transferSyntaxName(ts)}) is not supported for SEG`, ts);
  const cls = a.str(T.SOPClassUID);
  if (cls !== SEGMENTATION_STORAGE) throw a.fail(T.SOPClassUID, `must be Segmentation Storage (${SEGMENTATION_STORAGE})`, cls ?? "none");
  const type = a.str(T.SegmentationType);
  if (type !== "BINARY") throw a.fail(T.SegmentationType, "must be BINARY (FRACTIONAL is not supported)", type ?? "none");
  if (a.requireUint(T.BitsAllocated, 1, 64) !== 1) throw a.fail(T.BitsAllocated, "must be 1 for a BINARY segmentation", a.str(T.BitsAllocated));
  const rows = a.requireUint(T.Rows, 1, 65535);
  const cols = a.requireUint(T.Columns, 1, 65535);
  if (rows !== info.rows || cols !== info.columns) {
    throw a.fail(T.Rows, `and (0028,0011) Columns must match the reference series (${info.rows}x${info.columns})`, `${rows}x${cols}`);
  }
  const frameOfRef = a.str(T.FrameOfReferenceUID);
  if (info.frameOfReferenceUID && frameOfRef !== info.frameOfReferenceUID) {
    throw a.fail(T.FrameOfReferenceUID, `differs from the reference series' (${info.frameOfReferenceUID}): the SEG does not belong to that series`, frameOfRef ?? "none");
  }
  const nFrames = a.requireUint(T.NumberOfFrames, 1, 1 << 24);

  // Segments and their label values.
  const byName = new Map<string, number>();
  for (const [name, v] of Object.entries(opts.labels ?? {})) if (typeof v === "number" && Number.isInteger(v)) byName.set(name, v);
  const segItems = a.items(T.SegmentSequence);
  if (segItems.length === 0) throw a.fail(T.SegmentSequence, "is missing or empty");
  const segments: ReadSegment[] = segItems.map((s) => {
    const number = s.requireUint(T.SegmentNumber, 1, 65535);
    const name = s.str(T.SegmentLabel) ?? `segment ${number}`;
    return {
      number,
      name,
      label: byName.get(name) ?? number,
      algorithmType: s.str(T.SegmentAlgorithmType),
      algorithmName: s.str(T.SegmentAlgorithmName),
      cieLab: s.nums(T.RecommendedDisplayCIELabValue),
    };
  });
  const segByNumber = new Map(segments.map((s) => [s.number, s]));

  // Frames.
  const perFrame = a.items(T.PerFrameFunctionalGroupsSequence);
  if (perFrame.length !== nFrames) throw a.fail(T.PerFrameFunctionalGroupsSequence, `must hold one item per frame (${nFrames})`, `${perFrame.length} items`);
  const shared = a.item(T.SharedFunctionalGroupsSequence);
  const inv = invertAffine(info.affine);
  const tol = opts.tolerance ?? 0.01;
  const nz = info.slices.length;
  const frames: ReadSegFrame[] = perFrame.map((pf, f) => {
    const segId = pf.item(T.SegmentIdentificationSequence) ?? shared?.item(T.SegmentIdentificationSequence);
    if (!segId) throw pf.fail(T.SegmentIdentificationSequence, "is missing");
    const segment = segId.requireUint(T.ReferencedSegmentNumber, 1, 65535);
    if (!segByNumber.has(segment)) throw segId.fail(T.ReferencedSegmentNumber, "names no segment of (0062,0002) SegmentSequence", String(segment));
    const ori = pf.item(T.PlaneOrientationSequence) ?? shared?.item(T.PlaneOrientationSequence);
    if (!ori) throw pf.fail(T.PlaneOrientationSequence, "is missing (neither per-frame nor shared)");
    const iop = ori.requireNums(T.ImageOrientationPatient, 6);
    if (!sameOrientation(iop, info.orientation)) {
      throw ori.fail(T.ImageOrientationPatient, `differs from the reference series' [${info.orientation.join("\\")}]`, `[${iop.join("\\")}]`);
    }
    const pos = pf.item(T.PlanePositionSequence) ?? shared?.item(T.PlanePositionSequence);
    if (!pos) throw pf.fail(T.PlanePositionSequence, "is missing (neither per-frame nor shared)");
    const position = pos.requireNums(T.ImagePositionPatient, 3) as unknown as Vec3;
    const [i, j, kf] = applyAffine(inv, flipLpsRas(position));
    const k = Math.round(kf);
    if (Math.abs(i) > tol || Math.abs(j) > tol || Math.abs(kf - k) > tol || k < 0 || k >= nz) {
      throw pos.fail(
        T.ImagePositionPatient,
        `of frame ${f + 1} is not on a slice of the reference series (voxel coordinates [${[i, j, kf].map((v) => v.toFixed(3)).join(", ")}])`,
        `[${position.join("\\")}]`,
      );
    }
    const sources = pf.item(T.DerivationImageSequence)?.items(T.SourceImageSequence) ?? [];
    return {
      segment,
      k,
      referencedSOPInstanceUIDs: sources.map((x) => x.str(T.ReferencedSOPInstanceUID) ?? ""),
      referencedFrameNumbers: sources.map((x) => x.num(T.ReferencedFrameNumber)),
      position,
    };
  });

  // Pixels: one continuous bit stream, least significant bit first.
  const pd = dataset[T.PixelData]?.Value?.[0];
  if (!(pd instanceof ArrayBuffer)) throw a.fail(T.PixelData, "is missing or not native pixel data");
  const fs = rows * cols;
  const needBytes = Math.ceil((nFrames * fs) / 8);
  if (pd.byteLength < needBytes) throw a.fail(T.PixelData, `holds ${pd.byteLength} bytes, but ${nFrames} frames of ${cols}x${rows} bits need ${needBytes}`, String(pd.byteLength));
  const bits = new Uint8Array(pd);
  const maxLabel = segments.reduce((m, s) => Math.max(m, s.label), 0);
  const dtype = labelDType(maxLabel);
  const out = allocVoxels(dtype, fs * nz);
  let overlaps = 0;
  frames.forEach((fr, f) => {
    const label = segByNumber.get(fr.segment)!.label;
    const base = fr.k * fs;
    let bit = f * fs;
    for (let p = 0; p < fs; p++, bit++) {
      if ((bits[bit >>> 3]! >>> (bit & 7)) & 1) {
        const prev = out[base + p]!;
        if (prev !== 0 && prev !== label) overlaps++;
        out[base + p] = label;
      }
    }
  });
  if (overlaps > 0) warnings.push(`${path}: ${overlaps} voxels belong to more than one segment; the segment listed later wins`);
  const volume = new Volume({ data: out, dtype, shape: [cols, rows, nz], affine: info.affine });
  return {
    volume,
    segments,
    frames,
    seriesInstanceUID: a.str(T.SeriesInstanceUID),
    referencedSeriesInstanceUID: a.item(T.ReferencedSeriesSequence)?.str(T.SeriesInstanceUID),
    warnings,
  };
}
