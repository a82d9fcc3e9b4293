// Checks of one case: every channel file, the label file and the box file are read one at a
// time (only the grid of channel 0 is kept between reads), so a case costs at most one volume of
// memory at once. Findings become Problems; nothing here throws for bad data.
import { createHash } from "node:crypto";
import path from "node:path";
import { FormatError, readNifti, type NiftiImage, type NiftiReadOptions } from "../../io/index.js";
import {
  allowedLabelValues,
  boxFilePath,
  error,
  foregroundLabels,
  labelBoundingBoxes,
  readBoxFile,
  validateBoxes,
  warning,
  type Annotation,
  type DatasetJson,
  type Problem,
  type ScannedCase,
  type VoxelBox,
} from "../dataset/index.js";
import { ConfigError } from "../errors.js";
import { compareGrids, gridOf, type GeometryTolerances, type GridInfo } from "./geometry.js";
import { imageStats, labelStats } from "./voxels.js";

/** Everything a case check needs to know about its dataset. */
export interface CaseContext {
  readonly root: string;
  readonly ds: DatasetJson;
  readonly tolerances: GeometryTolerances;
  readonly read: NiftiReadOptions;
  readonly worldToleranceMm: number | undefined;
}

/** What a case check returns: its problems and a digest of its image data (for duplicate detection). */
export interface CaseResult {
  readonly problems: Problem[];
  /** sha256 over all channels' shape and voxels; undefined when a channel could not be read. */
  readonly digest: string | undefined;
}

const fmt = (v: readonly number[]) => `[${v.join(",")}]`;

/** Reads a NIfTI file, turning read failures and reader warnings into problems. */
async function readOrReport(ctx: CaseContext, id: string, rel: string, problems: Problem[]): Promise<NiftiImage | undefined> {
  try {
    // NaN/Inf are reported by imageStats as errors with voxel coordinates; the reader's own count would repeat them.
    const img = await readNifti(path.resolve(ctx.root, rel), { ...ctx.read, onNonFinite: "ignore" });
    for (const w of img.warnings) problems.push(warning(id, rel, "header", w));
    return img;
  } catch (e) {
    // The line already names the file; drop the absolute path the reader put in its message.
    const msg = e instanceof FormatError ? e.message.replace(` (in ${e.path})`, "").replace(`in ${e.path} `, "") : (e as Error).message;
    problems.push(error(id, rel, "file", `unreadable: ${msg}`));
    return undefined;
  }
}

function checkRank(id: string, rel: string, img: NiftiImage, problems: Problem[]): void {
  const v = img.volume;
  if (v.channels > 1) {
    problems.push(
      error(id, rel, "dim", `holds ${v.channels} volumes (dim [${img.header.dim.slice(1, img.header.dim[0]! + 1).join(",")}]); the nnU-Net layout wants one 3-D volume per channel file`),
    );
  }
}

/** Images: readable, 3-D, same grid in every channel, finite intensities, not constant. */
async function checkImages(ctx: CaseContext, c: ScannedCase, problems: Problem[]): Promise<{ grid: GridInfo | undefined; digest: string | undefined }> {
  let grid: GridInfo | undefined;
  const hash = createHash("sha256");
  let complete = true;
  for (const [ch, rel] of c.images.entries()) {
    if (rel === null) {
      complete = false;
      continue;
    }
    const img = await readOrReport(ctx, c.id, rel, problems);
    if (img === undefined) {
      complete = false;
      continue;
    }
    const v = img.volume;
    checkRank(c.id, rel, img, problems);
    const g = gridOf(v);
    if (grid === undefined) grid = g;
    else for (const d of compareGrids(grid, g, ["channel 0", `channel ${ch}`], ctx.tolerances)) problems.push(error(c.id, rel, d.field, d.message));
    const s = imageStats(v);
    if (s.nan + s.inf > 0) {
      const what = [s.nan ? `${s.nan} NaN` : "", s.inf ? `${s.inf} Inf` : ""].filter(Boolean).join(" and ");
      problems.push(error(c.id, rel, "voxels", `${what} voxel value(s); first at voxel ${fmt(s.firstBad!)}`));
    } else if (s.min === s.max) {
      problems.push(warning(c.id, rel, "voxels", `image is constant (every voxel is ${s.min})`));
    }
    hash.update(`${v.dtype}:${v.shape.join("x")}x${v.channels};`);
    hash.update(new Uint8Array(v.data.buffer, v.data.byteOffset, v.data.byteLength));
  }
  return { grid, digest: complete && c.images.length > 0 ? hash.digest("hex") : undefined };
}

/** Label: readable, 3-D, on the image grid, integer values declared in dataset.json, not empty. */
async function checkLabel(
  ctx: CaseContext,
  c: ScannedCase,
  grid: GridInfo | undefined,
  wantBoxes: boolean,
  problems: Problem[],
): Promise<Map<number, VoxelBox> | undefined> {
  const rel = c.label!;
  const img = await readOrReport(ctx, c.id, rel, problems);
  if (img === undefined) return undefined;
  const v = img.volume;
  checkRank(c.id, rel, img, problems);
  if (grid !== undefined) for (const d of compareGrids(grid, gridOf(v), ["image", "label"], ctx.tolerances)) problems.push(error(c.id, rel, d.field, d.message));
  if (v.dtype === "float32" || v.dtype === "float64") {
    problems.push(warning(c.id, rel, "dtype", `labels stored as ${v.dtype}; an integer type (uint8, uint16) is exact and 4-8x smaller`));
  }
  const s = labelStats(v);
  if (s.nan > 0) problems.push(error(c.id, rel, "labels", `${s.nan} NaN voxel value(s)`));
  if (s.nonInteger > 0) problems.push(error(c.id, rel, "labels", `${s.nonInteger} non-integer voxel value(s)`));
  const allowed = allowedLabelValues(ctx.ds);
  const bad = [...s.counts.keys()].filter((x) => !allowed.has(x)).sort((a, b) => a - b);
  if (bad.length > 0) {
    const detail = bad.slice(0, 10).map((x) => `${x}: ${s.counts.get(x)} voxels`).join(", ");
    problems.push(error(c.id, rel, "labels", `values ${fmt(bad)} not in dataset.json labels ${fmt([...allowed].sort((a, b) => a - b))} (${detail}${bad.length > 10 ? ", …" : ""})`));
  }
  if ([...s.counts.keys()].every((x) => x === 0) && s.nan + s.nonInteger === 0) {
    problems.push(warning(c.id, rel, "labels", "empty: every voxel is background (0)"));
  }
  return wantBoxes ? labelBoundingBoxes(v) : undefined;
}

/** Box file: present iff the case is box-annotated, valid, inside the grid, enclosing its label's voxels. */
async function checkBoxes(
  ctx: CaseContext,
  c: ScannedCase,
  annotation: Annotation | undefined,
  hasBoxFile: boolean,
  grid: GridInfo | undefined,
  labelBoxes: Map<number, VoxelBox> | undefined,
  problems: Problem[],
): Promise<void> {
  const rel = boxFilePath(c.id);
  if (!hasBoxFile) {
    if (annotation === "boxes") problems.push(error(c.id, rel, "boxes", "missing (the case is marked boxes in labelwise.json)"));
    return;
  }
  // A labelled case's boxes are used when a split turns it into a box case (split.boxes); an
  // unlabelled case never trains from boxes.
  if (annotation === "unlabelled") {
    problems.push(warning(c.id, rel, "boxes", "box file present but the case is marked unlabelled; training ignores it (mark it boxes in labelwise.json to use it)"));
  }
  let file;
  try {
    file = await readBoxFile(ctx.root, c.id);
  } catch (e) {
    if (e instanceof ConfigError) for (const i of e.issues) problems.push(error(c.id, rel, i.path === "" ? "boxes" : i.path, i.message));
    else problems.push(error(c.id, rel, "file", `unreadable: ${(e as Error).message}`));
    return;
  }
  if (file === undefined || grid === undefined) return;
  const r = validateBoxes(c.id, file, ctx.ds, { shape: grid.shape, affine: grid.affine }, { worldToleranceMm: ctx.worldToleranceMm });
  problems.push(...r.problems);
  if (labelBoxes === undefined) return;
  for (const b of r.boxes) {
    const lb = labelBoxes.get(b.value);
    if (lb === undefined) problems.push(warning(c.id, rel, "boxes", `box for "${b.label}" but the label map holds no ${b.value} voxels`));
    else if ([0, 1, 2].some((a) => lb.min[a]! < b.voxel.min[a]! || lb.max[a]! > b.voxel.max[a]!)) {
      problems.push(
        warning(c.id, rel, "boxes", `box of "${b.label}" min ${fmt(b.voxel.min)} max ${fmt(b.voxel.max)} does not enclose its label voxels min ${fmt(lb.min)} max ${fmt(lb.max)}`),
      );
    }
  }
  const boxed = new Set(r.boxes.map((b) => b.value));
  for (const l of foregroundLabels(ctx.ds)) {
    const v = l.values[0]!;
    if (!l.region && labelBoxes.has(v) && !boxed.has(v) && !file.boxes.some((b) => b.label === l.name)) {
      problems.push(warning(c.id, rel, "boxes", `no box for "${l.name}" although the label map holds it`));
    }
  }
}

/**
 * Checks one case. Training cases also get their label and boxes checked.
 * @param annotation from labelwise.json; undefined for test cases, or when the manifest is unusable
 */
export async function checkCase(
  ctx: CaseContext,
  c: ScannedCase,
  kind: "training" | "test",
  annotation: Annotation | undefined,
  hasBoxFile: boolean,
): Promise<CaseResult> {
  const problems: Problem[] = [];
  const { grid, digest } = await checkImages(ctx, c, problems);
  let labelBoxes: Map<number, VoxelBox> | undefined;
  if (kind === "training") {
    if (c.label !== null) labelBoxes = await checkLabel(ctx, c, grid, hasBoxFile, problems);
    else if (annotation === "labelled") {
      problems.push(error(c.id, c.labelPath, "label", "missing (the case is labelled; mark it unlabelled or boxes in labelwise.json if intended)"));
    }
    await checkBoxes(ctx, c, annotation, hasBoxFile, grid, labelBoxes, problems);
  }
  return { problems, digest };
}
