// What to predict: a NIfTI file, a folder of NIfTI files (nnU-Net's `<case>_<channel>.nii.gz`
// naming groups channel files into cases), a DICOM series folder, or a folder of DICOM series
// folders. Node-only.

import { readdir, stat } from "node:fs/promises";
import path from "node:path";
import { readDicomSeries, readNifti, type DicomSeries } from "../io/index.js";
import { relativeAffineDiff, Volume } from "../volume/index.js";

/** One case to predict. */
export type CaseSource =
  | {
      readonly kind: "nifti";
      readonly id: string;
      /** One file per channel, channel order; a single file may itself hold all channels (4-D). */
      readonly files: readonly string[];
    }
  | {
      readonly kind: "dicom";
      readonly id: string;
      /** The folder holding the series' files. */
      readonly dir: string;
    };

/** A case read into memory. */
export interface LoadedScan {
  readonly volume: Volume;
  /** Set for DICOM input: what a SEG needs to reference the source series. */
  readonly dicom: DicomSeries | undefined;
  readonly warnings: readonly string[];
}

const NIFTI = /\.nii(\.gz)?$/i;
const CHANNEL = /^(.*)_(\d{4})$/;

/** A NIfTI file name without its extension. */
export function niftiStem(file: string): string {
  return path.basename(file).replace(NIFTI, "");
}

function split(stem: string): { id: string; channel: number | undefined } {
  const m = CHANNEL.exec(stem);
  return m ? { id: m[1]!, channel: Number(m[2]) } : { id: stem, channel: undefined };
}

/**
 * Finds the cases under `input`.
 * @param channels input channels the model takes (to group `_0000`, `_0001`, … files)
 * @throws RangeError when a case lacks a channel file or the input holds nothing to predict
 * @example const cases = await discoverCases("imagesTs", 1);
 */
export async function discoverCases(input: string, channels: number): Promise<CaseSource[]> {
  const st = await stat(input).catch((e: unknown) => {
    throw new RangeError(`Cannot read input ${input}: ${(e as { code?: string }).code === "ENOENT" ? "no such file or folder" : (e as Error).message}`);
  });
  if (st.isFile()) {
    if (!NIFTI.test(input)) throw new RangeError(`Cannot read input ${input}: a file input must be .nii or .nii.gz (give a DICOM series as its folder)`);
    const { id, channel } = split(niftiStem(input));
    if (channels > 1 && channel !== undefined) {
      const dir = path.dirname(input);
      const names = await readdir(dir);
      return groupNifti(names.filter((n) => NIFTI.test(n) && split(niftiStem(n)).id === id).map((n) => path.join(dir, n)), channels);
    }
    return [{ kind: "nifti", id: channel === 0 && channels === 1 ? id : niftiStem(input), files: [input] }];
  }
  const entries = (await listEntries(input)).filter((e) => !e.name.startsWith(".")).sort((a, b) => (a.name < b.name ? -1 : 1));
  const niftis = entries.filter((e) => e.isFile && NIFTI.test(e.name)).map((e) => path.join(input, e.name));
  if (niftis.length > 0) return groupNifti(niftis, channels);
  const dirs = entries.filter((e) => e.isDirectory);
  const files = entries.filter((e) => e.isFile);
  if (dirs.length === 0 && files.length > 0) return [{ kind: "dicom", id: path.basename(path.resolve(input)), dir: input }];
  const out: CaseSource[] = [];
  for (const d of dirs) {
    const sub = path.join(input, d.name);
    const inner = await listEntries(sub);
    if (inner.some((e) => e.isFile && !e.name.startsWith("."))) out.push({ kind: "dicom", id: d.name, dir: sub });
  }
  if (out.length === 0) throw new RangeError(`Cannot read input ${input}: it holds no .nii/.nii.gz file and no DICOM series folder`);
  return out;
}

/**
 * A folder's entries with symbolic links resolved (datasets are often folders of links into an
 * archive); a dangling link is left out.
 */
async function listEntries(dir: string): Promise<{ name: string; isFile: boolean; isDirectory: boolean }[]> {
  const entries = await readdir(dir, { withFileTypes: true });
  const out = [];
  for (const e of entries) {
    if (!e.isSymbolicLink()) {
      out.push({ name: e.name, isFile: e.isFile(), isDirectory: e.isDirectory() });
      continue;
    }
    const target = await stat(path.join(dir, e.name)).catch(() => null);
    if (target) out.push({ name: e.name, isFile: target.isFile(), isDirectory: target.isDirectory() });
  }
  return out;
}

/** Groups NIfTI files into cases by the nnU-Net channel suffix. */
function groupNifti(files: readonly string[], channels: number): CaseSource[] {
  const groups = new Map<string, Map<number, string>>();
  const plain: CaseSource[] = [];
  for (const f of files) {
    const { id, channel } = split(niftiStem(f));
    if (channel === undefined) {
      plain.push({ kind: "nifti", id, files: [f] });
      continue;
    }
    const g = groups.get(id) ?? new Map<number, string>();
    g.set(channel, f);
    groups.set(id, g);
  }
  const out: CaseSource[] = [...plain];
  for (const [id, g] of groups) {
    if (channels === 1 && g.size === 1 && g.has(0)) {
      out.push({ kind: "nifti", id, files: [g.get(0)!] });
      continue;
    }
    if (channels === 1) {
      // Not channel files after all (e.g. case_0001 and case_0002 are two scans).
      for (const f of g.values()) out.push({ kind: "nifti", id: niftiStem(f), files: [f] });
      continue;
    }
    const missing = Array.from({ length: channels }, (_, c) => c).filter((c) => !g.has(c));
    if (missing.length > 0) {
      throw new RangeError(`Cannot read case ${id}: the model takes ${channels} channels but ${missing.map((c) => `${id}_${String(c).padStart(4, "0")}`).join(", ")} is missing`);
    }
    out.push({ kind: "nifti", id, files: Array.from({ length: channels }, (_, c) => g.get(c)!) });
  }
  const seen = new Set<string>();
  for (const c of out) {
    if (seen.has(c.id)) throw new RangeError(`Cannot read input: two inputs map to case id ${c.id}`);
    seen.add(c.id);
  }
  return out.sort((a, b) => (a.id < b.id ? -1 : a.id > b.id ? 1 : 0));
}

/**
 * Reads a case: its channel files stacked into one volume (they must share the grid), or its
 * DICOM series.
 */
export async function readCaseScan(c: CaseSource): Promise<LoadedScan> {
  if (c.kind === "dicom") {
    const series = await readDicomSeries(c.dir);
    return { volume: series.volume, dicom: series, warnings: series.warnings };
  }
  const images = [];
  for (const f of c.files) images.push(await readNifti(f, { onNonFinite: "ignore" }));
  const warnings = images.flatMap((im, i) => im.warnings.map((w) => `${path.basename(c.files[i]!)}: ${w}`));
  if (images.length === 1) return { volume: images[0]!.volume, dicom: undefined, warnings: images[0]!.warnings };
  const first = images[0]!.volume;
  const n = first.voxelCount;
  const data = new Float32Array(n * images.length);
  images.forEach((im, ch) => {
    const v = im.volume;
    if (v.channels !== 1 || v.shape.some((s, a) => s !== first.shape[a])) {
      throw new RangeError(`Cannot read case ${c.id}: ${c.files[ch]} has shape [${v.shape.join(",")}]x${v.channels}, expected [${first.shape.join(",")}]x1 like ${c.files[0]}`);
    }
    const diff = relativeAffineDiff(v.affine, first.affine);
    if (diff > 1e-4) throw new RangeError(`Cannot read case ${c.id}: ${c.files[ch]} lies on another grid than ${c.files[0]} (relative affine difference ${diff.toExponential(2)})`);
    const src = v.data as ArrayLike<number>;
    const dst = data.subarray(ch * n, (ch + 1) * n);
    for (let i = 0; i < n; i++) dst[i] = Number(src[i]!);
  });
  return { volume: new Volume({ data, dtype: "float32", shape: first.shape, channels: images.length, affine: first.affine }), dicom: undefined, warnings };
}
