// DICOM series -> Volume, in three pure steps so that a caller can stream files instead of holding
// them all: readDicomHeader (per file) -> planDicomSeries (choose the series, check it, sort the
// slices, size the volume before allocating) -> decodeSeriesFile (per file, pixels into the
// volume) -> finishSeries. decodeDicomSeries runs the three over in-memory files (browser);
// node-file.ts's readDicomSeries over a folder.

import { FormatError } from "../errors.js";
import { DEFAULT_MAX_BYTES } from "../nifti/decoder.js";
import type { Mat4, Vec3 } from "../../volume/affine.js";
import { allocVoxels, bytesPerVoxel, type VoxelArrayFor } from "../../volume/dtype.js";
import { Volume } from "../../volume/volume.js";
import type { DicomAccess } from "./access.js";
import { T, parseDicom, tagLabel, type DcmjsDataset } from "./dcmjs.js";
import {
  describeSlice,
  dicomAffineLps,
  lpsToRas,
  planeAxes,
  sameOrientation,
  stackSlices,
  type SliceStackOptions,
} from "./geometry.js";
import { frameInfos, nonImageReason, patientStudyElements, readDicomHeader, type DicomHeader, type FrameInfo, type SkippedFile } from "./header.js";
import { isSupportedTransferSyntax, transferSyntaxName } from "./transfer-syntax.js";

/** Options for reading a DICOM series. */
export interface DicomReadOptions extends SliceStackOptions {
  /** Which series to read when the input holds several; required then. */
  readonly seriesInstanceUID?: string;
  /** Refuse volumes whose voxel buffer would exceed this many bytes. @default 2 GiB */
  readonly maxBytes?: number;
  /**
   * Voxel type: "auto" keeps integers exact in the smallest of uint8/int16/uint16/int32 that holds
   * every value RescaleSlope/Intercept can produce from the stored bits, else float32;
   * "float32" always. @default "auto"
   */
  readonly dtype?: "auto" | "float32";
  /** Receives each warning as it is found (they are also returned). */
  readonly onWarning?: (message: string) => void;
}

/** Where volume slice k came from; used to reference the source in a SEG. */
export interface DicomSliceRef {
  readonly path: string;
  readonly sopInstanceUID: string;
  readonly sopClassUID: string;
  /** 1-based frame number inside a multi-frame source; undefined for single-frame files. */
  readonly frameNumber: number | undefined;
  /** ImagePositionPatient of the slice as stored (LPS, mm). */
  readonly position: Vec3;
}

/** What a derived object (a SEG) needs to know about the source series. JSON-serialisable. */
export interface DicomSeriesInfo {
  readonly seriesInstanceUID: string;
  readonly studyInstanceUID: string;
  readonly frameOfReferenceUID: string | undefined;
  readonly modality: string | undefined;
  readonly seriesDescription: string | undefined;
  readonly rows: number;
  readonly columns: number;
  /** [between rows, between columns] in mm, as (0028,0030). */
  readonly pixelSpacing: readonly [number, number];
  /** (0020,0037) as stored: row cosines, then column cosines (LPS). */
  readonly orientation: readonly number[];
  readonly sliceThickness: number | undefined;
  /** Distance between neighbouring slices along the normal (mm). */
  readonly spacingBetweenSlices: number;
  readonly tiltDegrees: number;
  /** Voxel -> RAS+ affine of the volume (same as volume.affine). */
  readonly affine: Mat4;
  /** Source of every volume slice, in k order. */
  readonly slices: readonly DicomSliceRef[];
  /** Patient and study elements copied from the first file (tag -> { vr, Value }). */
  readonly patientStudy: DcmjsDataset;
}

/** A decoded series. */
export interface DicomSeries {
  readonly volume: Volume;
  readonly info: DicomSeriesInfo;
  /** Files left out (not DICOM, not an image, other series when one was chosen) and why. */
  readonly skipped: readonly SkippedFile[];
  readonly warnings: readonly string[];
}

/** One series found in the input (for choosing, and for the ambiguity error). */
export interface DicomSeriesSummary {
  readonly seriesInstanceUID: string;
  readonly modality: string | undefined;
  readonly description: string | undefined;
  readonly files: number;
  readonly example: string;
}

type OutDType = "uint8" | "int16" | "uint16" | "int32" | "float32";

interface Slot {
  /** 0-based frame index inside the file. */
  readonly frameIndex: number;
  readonly k: number;
  readonly slope: number;
  readonly intercept: number;
}

/** Pixel format shared by every file of the series. */
interface PixelFormat {
  readonly bitsAllocated: 8 | 16 | 32;
  readonly bitsStored: number;
  readonly signed: boolean;
}

/** Everything known about a series before any pixel is read. */
export interface DicomSeriesPlan {
  readonly info: DicomSeriesInfo;
  readonly dtype: OutDType;
  readonly shape: readonly [number, number, number];
  /** Files to decode, and which frame of each goes to which slice. */
  readonly files: ReadonlyMap<string, readonly Slot[]>;
  readonly format: PixelFormat;
  readonly skipped: readonly SkippedFile[];
  readonly warnings: readonly string[];
}

const HOST_LE = new Uint8Array(new Uint16Array([1]).buffer)[0] === 1;

/** Lists the image series among parsed headers. */
export function summariseSeries(headers: readonly (DicomHeader | SkippedFile)[]): DicomSeriesSummary[] {
  const groups = new Map<string, DicomHeader[]>();
  for (const h of headers) {
    if (!("access" in h) || nonImageReason(h) !== undefined) continue;
    const uid = h.seriesInstanceUID ?? "";
    const g = groups.get(uid);
    if (g) g.push(h);
    else groups.set(uid, [h]);
  }
  return [...groups].map(([uid, hs]) => ({
    seriesInstanceUID: uid,
    modality: hs[0]!.modality,
    description: hs[0]!.seriesDescription,
    files: hs.length,
    example: hs[0]!.path,
  }));
}

function listSeries(s: readonly DicomSeriesSummary[]): string {
  return s
    .map((x) => `  ${x.seriesInstanceUID || "(no SeriesInstanceUID)"}  ${x.modality ?? "?"}  "${x.description ?? ""}"  ${x.files} file${x.files === 1 ? "" : "s"} (e.g. ${x.example})`)
    .join("\n");
}

function pixelFormat(a: DicomAccess): PixelFormat {
  const spp = a.has(T.SamplesPerPixel) ? a.requireUint(T.SamplesPerPixel, 1, 4) : 1;
  if (spp !== 1) throw a.fail(T.SamplesPerPixel, "must be 1 (colour images are not volumes labelwise reads)", String(spp));
  const pi = a.str(T.PhotometricInterpretation);
  if (pi !== undefined && pi !== "MONOCHROME1" && pi !== "MONOCHROME2") {
    throw a.fail(T.PhotometricInterpretation, "must be MONOCHROME1 or MONOCHROME2", pi);
  }
  const ba = a.requireUint(T.BitsAllocated, 1, 64);
  if (ba !== 8 && ba !== 16 && ba !== 32) throw a.fail(T.BitsAllocated, "must be 8, 16 or 32", String(ba));
  const bs = a.has(T.BitsStored) ? a.requireUint(T.BitsStored, 1, ba) : ba;
  const hb = a.has(T.HighBit) ? a.requireUint(T.HighBit, 0, ba - 1) : bs - 1;
  if (hb !== bs - 1) throw a.fail(T.HighBit, `must be BitsStored - 1 = ${bs - 1} (other bit layouts are not supported)`, String(hb));
  const pr = a.has(T.PixelRepresentation) ? a.requireUint(T.PixelRepresentation, 0, 1) : 0;
  return { bitsAllocated: ba, bitsStored: bs, signed: pr === 1 };
}

/** Smallest exact integer dtype for the value range, or float32. */
function chooseDType(format: PixelFormat, rescales: readonly { slope: number; intercept: number }[], want: "auto" | "float32"): OutDType {
  if (want === "float32") return "float32";
  const lo0 = format.signed ? -(2 ** (format.bitsStored - 1)) : 0;
  const hi0 = format.signed ? 2 ** (format.bitsStored - 1) - 1 : 2 ** format.bitsStored - 1;
  let lo = Infinity;
  let hi = -Infinity;
  for (const { slope, intercept } of rescales) {
    if (!Number.isInteger(slope) || !Number.isInteger(intercept)) return "float32";
    const a = slope * lo0 + intercept;
    const b = slope * hi0 + intercept;
    lo = Math.min(lo, a, b);
    hi = Math.max(hi, a, b);
  }
  if (lo >= 0 && hi <= 255) return "uint8";
  if (lo >= -32768 && hi <= 32767) return "int16";
  if (lo >= 0 && hi <= 65535) return "uint16";
  if (lo >= -(2 ** 31) && hi <= 2 ** 31 - 1) return "int32";
  return "float32";
}

/**
 * Chooses the series, checks that its files agree and form a regular stack, sorts the slices and
 * sizes the volume — all before any pixel is decoded.
 * @param source names the input in errors (a folder path, or "<memory>").
 * @throws FormatError naming the file and tag at fault (or `source` for whole-input problems).
 */
export function planDicomSeries(entries: readonly (DicomHeader | SkippedFile)[], opts: DicomReadOptions = {}, source = "<memory>"): DicomSeriesPlan {
  const warnings: string[] = [];
  const warn = (m: string): void => {
    warnings.push(m);
    opts.onWarning?.(m);
  };
  const skipped: SkippedFile[] = [];
  const images: DicomHeader[] = [];
  for (const e of entries) {
    if (!("access" in e)) skipped.push(e);
    else {
      const why = nonImageReason(e);
      if (why) skipped.push({ path: e.path, reason: why });
      else images.push(e);
    }
  }
  if (entries.length === 0) throw new FormatError({ path: source, message: "Cannot read DICOM series: the input holds no files" });
  if (images.length === 0) {
    const reasons = skipped.slice(0, 5).map((s) => `${s.path}: ${s.reason}`).join("; ");
    throw new FormatError({
      path: source,
      message: `Cannot read DICOM series: none of the ${entries.length} files is a DICOM image`,
      received: reasons + (skipped.length > 5 ? `; and ${skipped.length - 5} more` : ""),
    });
  }

  // Choose the series.
  const all = summariseSeries(images);
  let uid: string;
  if (opts.seriesInstanceUID !== undefined) {
    if (!all.some((s) => s.seriesInstanceUID === opts.seriesInstanceUID)) {
      throw new FormatError({
        path: source,
        message: `Cannot read DICOM series: no image series with SeriesInstanceUID ${opts.seriesInstanceUID}; the input holds:\n${listSeries(all)}`,
      });
    }
    uid = opts.seriesInstanceUID;
  } else if (all.length > 1) {
    throw new FormatError({
      path: source,
      message: `Cannot read DICOM series: the input holds ${all.length} image series; choose one with the seriesInstanceUID option:\n${listSeries(all)}`,
    });
  } else {
    uid = all[0]!.seriesInstanceUID;
  }
  const chosen: DicomHeader[] = [];
  const seen = new Map<string, string>();
  for (const h of images) {
    if ((h.seriesInstanceUID ?? "") !== uid) {
      skipped.push({ path: h.path, reason: `other series ${h.seriesInstanceUID ?? "(none)"}` });
      continue;
    }
    if (!h.seriesInstanceUID) throw h.access.fail(T.SeriesInstanceUID, "is missing");
    const sop = h.sopInstanceUID;
    if (!sop) throw h.access.fail(T.SOPInstanceUID, "is missing");
    const prev = seen.get(sop);
    if (prev !== undefined) {
      warn(`${h.path} has the same SOPInstanceUID as ${prev} (a copy of the same image); skipped`);
      skipped.push({ path: h.path, reason: `duplicate of ${prev}` });
      continue;
    }
    seen.set(sop, h.path);
    chosen.push(h);
  }
  for (const s of skipped) if (!s.reason.startsWith("other series") && !s.reason.startsWith("duplicate")) warn(`skipped ${s.path}: ${s.reason}`);

  // Per-file checks against the first file.
  const first = chosen[0]!;
  const fa = first.access;
  const rows = fa.requireUint(T.Rows, 1, 65535);
  const columns = fa.requireUint(T.Columns, 1, 65535);
  const format = pixelFormat(fa);
  const frameOfReferenceUID = fa.str(T.FrameOfReferenceUID);
  const frames: { h: DicomHeader; f: FrameInfo; index: number }[] = [];
  for (const h of chosen) {
    const a = h.access;
    if (!isSupportedTransferSyntax(h.transferSyntaxUID)) {
      throw new FormatError({
        path: h.path,
        message:
          `Cannot read DICOM: (0002,0010) TransferSyntaxUID ${h.transferSyntaxUID} (${transferSyntaxName(h.transferSyntaxUID)}) is not supported; ` +
          "labelwise decodes uncompressed little-endian (implicit or explicit VR) and deflated DICOM. Decompress the series first (e.g. dcmdjpeg, gdcmconv --raw)",
      });
    }
    const sameNumber = (tag: string, want: number, got: number): void => {
      if (got !== want) {
        throw a.fail(tag, `differs between files of the series: ${first.path} has ${want}, this file has ${got}`, String(got));
      }
    };
    sameNumber(T.Rows, rows, a.requireUint(T.Rows, 1, 65535));
    sameNumber(T.Columns, columns, a.requireUint(T.Columns, 1, 65535));
    const pf = h === first ? format : pixelFormat(a);
    sameNumber(T.BitsAllocated, format.bitsAllocated, pf.bitsAllocated);
    sameNumber(T.BitsStored, format.bitsStored, pf.bitsStored);
    sameNumber(T.PixelRepresentation, format.signed ? 1 : 0, pf.signed ? 1 : 0);
    const fr = a.str(T.FrameOfReferenceUID);
    if (fr !== frameOfReferenceUID) {
      throw a.fail(T.FrameOfReferenceUID, `differs between files of the series (${first.path} has ${frameOfReferenceUID ?? "none"}): positions are not comparable`, fr ?? "none");
    }
    const infos = frameInfos(h);
    infos.forEach((f, index) => frames.push({ h, f, index }));
  }
  const ref = frames[0]!.f;
  const axes = planeAxes(ref.orientation, frames[0]!.h.path);
  for (const { h, f } of frames) {
    if (!sameOrientation(f.orientation, ref.orientation)) {
      throw new FormatError({
        path: h.path,
        message:
          `Cannot read DICOM series: (0020,0037) ImageOrientationPatient differs between slices: ${describeSlice({ path: frames[0]!.h.path, frame: ref.frame })} has ` +
          `[${ref.orientation.join("\\")}], ${describeSlice({ path: h.path, frame: f.frame })} has [${f.orientation.join("\\")}] (a localizer or a reformat mixed into the series?)`,
      });
    }
    const ps = f.pixelSpacing;
    if (Math.abs(ps[0] - ref.pixelSpacing[0]) > 1e-4 * ref.pixelSpacing[0] || Math.abs(ps[1] - ref.pixelSpacing[1]) > 1e-4 * ref.pixelSpacing[1]) {
      throw new FormatError({
        path: h.path,
        message: `Cannot read DICOM series: (0028,0030) PixelSpacing differs between slices: ${frames[0]!.h.path} has [${ref.pixelSpacing.join("\\")}], ${describeSlice({ path: h.path, frame: f.frame })} has [${ps.join("\\")}]`,
      });
    }
  }

  // Order and geometry.
  const thickness = fa.num(T.SliceThickness);
  const sbs = fa.num(T.SpacingBetweenSlices);
  const stack = stackSlices(
    axes.normal,
    frames.map(({ h, f }) => ({ position: f.position, path: h.path, frame: f.frame })),
    { ...opts, singleSliceSpacing: opts.singleSliceSpacing ?? (sbs !== undefined && sbs > 0 ? sbs : thickness !== undefined && thickness > 0 ? thickness : undefined) },
  );
  for (const w of stack.warnings) warn(w);
  const nz = frames.length;
  const firstSlice = frames[stack.order[0]!]!;
  const affine = lpsToRas(dicomAffineLps(axes, ref.pixelSpacing, firstSlice.f.position, stack.step));

  // Memory, before allocating anything.
  const rescales = frames.map(({ f }) => ({ slope: f.slope, intercept: f.intercept }));
  const dtype = chooseDType(format, rescales, opts.dtype ?? "auto");
  const voxels = columns * rows * nz;
  const need = voxels * bytesPerVoxel(dtype);
  const maxBytes = opts.maxBytes ?? DEFAULT_MAX_BYTES;
  if (!(need <= maxBytes)) {
    throw new FormatError({
      path: source,
      message:
        `Cannot read DICOM series ${uid}: ${columns}x${rows}x${nz} ${dtype} voxels need ${(need / 2 ** 20).toFixed(1)} MiB, ` +
        `above the limit maxBytes=${(maxBytes / 2 ** 20).toFixed(1)} MiB (raise options.maxBytes to allow it)`,
    });
  }
  const pi = fa.str(T.PhotometricInterpretation);
  if (pi === "MONOCHROME1") warn(`${first.path}: PhotometricInterpretation MONOCHROME1 (low values display white); voxel values are kept as stored`);

  const files = new Map<string, Slot[]>();
  const slices: DicomSliceRef[] = [];
  stack.order.forEach((idx, k) => {
    const { h, f, index } = frames[idx]!;
    const list = files.get(h.path);
    const slot: Slot = { frameIndex: index, k, slope: f.slope, intercept: f.intercept };
    if (list) list.push(slot);
    else files.set(h.path, [slot]);
    slices.push({ path: h.path, sopInstanceUID: h.sopInstanceUID!, sopClassUID: h.sopClassUID ?? "", frameNumber: f.frame, position: f.position });
  });

  const info: DicomSeriesInfo = {
    seriesInstanceUID: uid,
    studyInstanceUID: fa.str(T.StudyInstanceUID) ?? "",
    frameOfReferenceUID,
    modality: first.modality,
    seriesDescription: first.seriesDescription,
    rows,
    columns,
    pixelSpacing: ref.pixelSpacing,
    orientation: [...ref.orientation],
    sliceThickness: thickness,
    spacingBetweenSlices: stack.spacing,
    tiltDegrees: stack.tiltDegrees,
    affine,
    slices,
    patientStudy: patientStudyElements(fa),
  };
  return { info, dtype, shape: [columns, rows, nz], files, format, skipped, warnings };
}

/** The zeroed voxel buffer for a plan. */
export function allocateSeries(plan: DicomSeriesPlan): VoxelArrayFor<OutDType> {
  return allocVoxels(plan.dtype, plan.shape[0] * plan.shape[1] * plan.shape[2]);
}

/** Stored values of frame `f` as a typed array (little-endian host) or via DataView. */
function frameReader(buf: ArrayBuffer, fmt: PixelFormat, frameSize: number, f: number): (p: number) => number {
  const bytes = fmt.bitsAllocated / 8;
  const off = f * frameSize * bytes;
  const mask = fmt.bitsStored < fmt.bitsAllocated;
  const shift = 32 - fmt.bitsStored;
  const fix = !mask ? (v: number) => v : fmt.signed ? (v: number) => (v << shift) >> shift : (v: number) => (v & (2 ** fmt.bitsStored - 1)) >>> 0;
  if (HOST_LE && off % bytes === 0) {
    // Read as unsigned when masking so that the sign comes from bit BitsStored-1, not the container.
    const arr =
      fmt.bitsAllocated === 8
        ? fmt.signed && !mask ? new Int8Array(buf, off, frameSize) : new Uint8Array(buf, off, frameSize)
        : fmt.bitsAllocated === 16
          ? fmt.signed && !mask ? new Int16Array(buf, off, frameSize) : new Uint16Array(buf, off, frameSize)
          : fmt.signed && !mask ? new Int32Array(buf, off, frameSize) : new Uint32Array(buf, off, frameSize);
    return mask ? (p) => fix(arr[p]!) : (p) => arr[p]!;
  }
  const dv = new DataView(buf, off, frameSize * bytes);
  const get =
    fmt.bitsAllocated === 8
      ? (p: number) => dv.getUint8(p)
      : fmt.bitsAllocated === 16
        ? (p: number) => dv.getUint16(p * 2, true)
        : (p: number) => dv.getUint32(p * 4, true);
  const sign = (v: number): number => (fmt.bitsAllocated === 8 ? (v << 24) >> 24 : fmt.bitsAllocated === 16 ? (v << 16) >> 16 : v | 0);
  return mask ? (p) => fix(get(p)) : fmt.signed ? (p) => sign(get(p)) : (p) => get(p);
}

/**
 * Decodes the pixel data of one file of the plan into `data` (from allocateSeries).
 * @throws FormatError naming the file when its pixel data is missing or too short.
 */
export function decodeSeriesFile(plan: DicomSeriesPlan, data: VoxelArrayFor<OutDType>, bytes: Uint8Array, path: string): void {
  const slots = plan.files.get(path);
  if (!slots) throw new RangeError(`decodeSeriesFile: ${path} is not part of the planned series`);
  const { dataset } = parseDicom(bytes, path, false);
  const pd = dataset[T.PixelData];
  const buf = pd?.Value?.[0];
  if (!(buf instanceof ArrayBuffer)) {
    throw new FormatError({ path, message: `Cannot read DICOM: ${tagLabel(T.PixelData)} is missing or not native (uncompressed) pixel data` });
  }
  if (pd!.Value!.length !== 1) {
    throw new FormatError({ path, message: `Cannot read DICOM: ${tagLabel(T.PixelData)} is encapsulated (${pd!.Value!.length} fragments) although the transfer syntax is uncompressed` });
  }
  const [cols, rows] = plan.shape;
  const frameSize = cols * rows;
  const nFrames = slots.reduce((m, s) => Math.max(m, s.frameIndex), 0) + 1;
  const need = nFrames * frameSize * (plan.format.bitsAllocated / 8);
  if (buf.byteLength < need) {
    throw new FormatError({
      path,
      message: `Cannot read DICOM: ${tagLabel(T.PixelData)} holds ${buf.byteLength} bytes, but ${nFrames} frame(s) of ${cols}x${rows} at ${plan.format.bitsAllocated} bits need ${need}`,
    });
  }
  const out = data as unknown as { [i: number]: number };
  for (const s of slots) {
    const read = frameReader(buf, plan.format, frameSize, s.frameIndex);
    const base = s.k * frameSize;
    if (s.slope === 1 && s.intercept === 0) for (let p = 0; p < frameSize; p++) out[base + p] = read(p);
    else for (let p = 0; p < frameSize; p++) out[base + p] = read(p) * s.slope + s.intercept;
  }
}

/** Wraps the filled buffer and the plan's geometry as a DicomSeries. */
export function finishSeries(plan: DicomSeriesPlan, data: VoxelArrayFor<OutDType>): DicomSeries {
  const volume = new Volume({ data, dtype: plan.dtype, shape: plan.shape, affine: plan.info.affine });
  return { volume, info: plan.info, skipped: plan.skipped, warnings: plan.warnings };
}

/**
 * Reads one series from files held in memory (browser drag-and-drop, tests).
 * @example
 * const { volume, info, warnings } = decodeDicomSeries(files.map((f) => ({ path: f.name, bytes: f.bytes })));
 * @throws FormatError naming the file and tag at fault.
 */
export function decodeDicomSeries(files: readonly { readonly path: string; readonly bytes: Uint8Array }[], opts: DicomReadOptions = {}): DicomSeries {
  const names = new Set<string>();
  for (const f of files) {
    if (names.has(f.path)) throw new RangeError(`decodeDicomSeries: two inputs are named ${f.path}; paths must be unique`);
    names.add(f.path);
  }
  const headers = files.map((f) => readDicomHeader(f.bytes, f.path));
  const plan = planDicomSeries(headers, opts, "<memory>");
  const data = allocateSeries(plan);
  for (const f of files) if (plan.files.has(f.path)) decodeSeriesFile(plan, data, f.bytes, f.path);
  return finishSeries(plan, data);
}
