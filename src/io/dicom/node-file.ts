// Node-only DICOM file helpers. node:fs and the atomic writer are imported lazily inside the
// functions, so importing src/io/dicom in a browser never touches Node built-ins.
//
// readDicomSeries reads each file twice: once for its header (the bytes are dropped right after),
// and, once the series is chosen, checked and sized, again for its pixels, straight into the one
// voxel buffer. Peak memory is the volume plus one file.

import { FormatError } from "../errors.js";
import type { Volume } from "../../volume/volume.js";
import { readDicomHeader, type DicomHeader, type SkippedFile } from "./header.js";
import { allocateSeries, decodeSeriesFile, finishSeries, planDicomSeries, type DicomReadOptions, type DicomSeries, type DicomSeriesInfo } from "./read-series.js";
import { decodeDicomSeg, type DicomSeg, type DicomSegReadOptions } from "./read-seg.js";
import { encodeDicomSeg, type DicomSegWriteOptions } from "./write-seg.js";

/** Options for reading a series folder. */
export interface DicomFolderReadOptions extends DicomReadOptions {
  /** Also read files in sub-folders. @default false */
  readonly recursive?: boolean;
}

async function listFiles(dir: string, recursive: boolean): Promise<string[]> {
  const { readdir } = await import("node:fs/promises");
  const { join } = await import("node:path");
  let entries;
  try {
    entries = await readdir(dir, { withFileTypes: true });
  } catch (e) {
    const code = (e as { code?: string }).code;
    throw new FormatError({
      path: dir,
      message: code === "ENOTDIR" ? "Cannot read DICOM series: the path is a file, not a folder" : `Cannot read DICOM series: cannot list the folder (${code ?? "error"})`,
      cause: e,
    });
  }
  const out: string[] = [];
  for (const e of entries.sort((a, b) => (a.name < b.name ? -1 : a.name > b.name ? 1 : 0))) {
    if (e.name.startsWith(".")) continue;
    const p = join(dir, e.name);
    if (e.isDirectory()) {
      if (recursive) out.push(...(await listFiles(p, true)));
    } else if (e.isFile() || e.isSymbolicLink()) out.push(p);
  }
  return out;
}

/** A file's bytes; system errors (a vanished file, a symlink to a folder) become FormatErrors naming it. */
async function readBytes(p: string): Promise<Uint8Array> {
  const { readFile } = await import("node:fs/promises");
  try {
    return new Uint8Array(await readFile(p));
  } catch (e) {
    throw new FormatError({ path: p, message: `Cannot read DICOM: cannot read the file (${(e as { code?: string }).code ?? (e as Error).message})`, cause: e });
  }
}

/**
 * Reads one DICOM image series from a folder into a Volume (RAS+ affine), sorting slices by
 * position and applying RescaleSlope/Intercept. Non-DICOM files are skipped and reported.
 * @example
 * const { volume, info, warnings } = await readDicomSeries("study/CT_1");
 * @throws FormatError naming the folder (empty, several series, too large) or the file and tag at fault.
 */
export async function readDicomSeries(dir: string, opts: DicomFolderReadOptions = {}): Promise<DicomSeries> {
  const paths = await listFiles(dir, opts.recursive ?? false);
  if (paths.length === 0) throw new FormatError({ path: dir, message: "Cannot read DICOM series: the folder holds no files" });
  const headers: (DicomHeader | SkippedFile)[] = [];
  for (const p of paths) headers.push(readDicomHeader(await readBytes(p), p));
  const plan = planDicomSeries(headers, opts, dir);
  const data = allocateSeries(plan);
  for (const p of plan.files.keys()) decodeSeriesFile(plan, data, await readBytes(p), p);
  return finishSeries(plan, data);
}

/**
 * Writes a label map as a DICOM SEG referencing the source series, atomically (the target holds
 * either its old content or the complete new file).
 * @example
 * const src = await readDicomSeries("study/CT_1");
 * await writeDicomSeg("study/CT_1_seg.dcm", prediction, src, { labels: datasetJson.labels });
 */
export async function writeDicomSeg(
  path: string,
  labels: Volume,
  source: DicomSeries | DicomSeriesInfo,
  opts: DicomSegWriteOptions & { readonly fsync?: boolean } = {},
): Promise<{ readonly segments: number; readonly frames: number; readonly sopInstanceUID: string; readonly seriesInstanceUID: string }> {
  const enc = encodeDicomSeg(labels, source, opts);
  const { writeFileAtomic } = await import("../../util/index.js");
  await writeFileAtomic(path, enc.bytes, { fsync: opts.fsync ?? true });
  return { segments: enc.segments.length, frames: enc.frames, sopInstanceUID: enc.sopInstanceUID, seriesInstanceUID: enc.seriesInstanceUID };
}

/**
 * Reads a DICOM SEG file into a label Volume on the grid of the series it segments.
 * @example
 * const seg = await readDicomSeg("study/CT_1_seg.dcm", { reference: src.info });
 */
export async function readDicomSeg(path: string, opts: DicomSegReadOptions): Promise<DicomSeg> {
  return decodeDicomSeg(await readBytes(path), { ...opts, path });
}
