// Box annotations for weakly supervised training: boxes/<case>.json holds one 3-D box per organ,
// named by its dataset.json label (name and value), in voxel coordinates of the case's image grid
// and/or world coordinates (mm, RAS+).
//
// Conventions (they decide whether a box is off by half a voxel, so they are fixed here):
// - voxel: integer index ranges, inclusive min, exclusive max, per axis (i, j, k) — the box holds
//   voxels min[a] <= idx[a] < max[a], like slice(min, max).
// - world: the axis-aligned (RAS) min/max corners of the region those voxels cover, voxel edges
//   included: voxel idx covers continuous index coordinates [idx - 0.5, idx + 0.5].
// For images whose axes are aligned with RAS (any permutation and flips) the two forms convert
// into each other exactly; for oblique images a world box is the bounding box of the voxel box,
// and converting back keeps the voxels whose centres lie inside it.
import { mkdir, readFile } from "node:fs/promises";
import path from "node:path";
import { z } from "zod";
import { writeJsonAtomic } from "../../util/index.js";
import { applyAffine, invertAffine, type Mat4, type Vec3 } from "../../volume/index.js";
import type { Volume } from "../../volume/index.js";
import { foregroundLabels, IGNORE_LABEL, type DatasetJson } from "./dataset-json.js";
import { parseJsonText, parseWith } from "./json-file.js";
import { error, type Problem } from "./problem.js";

/** Folder of the box files, beside dataset.json. */
export const BOXES_DIR = "boxes";
export const BOXES_VERSION = 1;

const Int3 = z.tuple([z.number().int(), z.number().int(), z.number().int()]).readonly();
const Num3 = z.tuple([z.number(), z.number(), z.number()]).readonly();

/** A box in voxel indices: min inclusive, max exclusive. */
export interface VoxelBox {
  readonly min: Vec3;
  readonly max: Vec3;
}
/** A box in world coordinates (mm, RAS+): min and max corners. */
export interface WorldBox {
  readonly min: Vec3;
  readonly max: Vec3;
}

/** zod schema of one box as stored. At least one of voxel / world is required. */
export const BoxSchema = z
  .strictObject({
    /** Label name in dataset.json. */
    label: z.string().min(1),
    /** Label value in dataset.json (stored too, so a renamed or renumbered label is noticed). */
    value: z.number().int().positive(),
    voxel: z.strictObject({ min: Int3, max: Int3 }).optional(),
    world: z.strictObject({ min: Num3, max: Num3 }).optional(),
  })
  .refine((b) => b.voxel !== undefined || b.world !== undefined, { message: "needs voxel or world coordinates (or both)" });

/** zod schema of boxes/<case>.json. */
export const BoxFileSchema = z.strictObject({
  format: z.literal("labelwise-boxes"),
  version: z.literal(BOXES_VERSION),
  /** The case id; must match the file name. */
  case: z.string().min(1),
  boxes: z.array(BoxSchema),
});
export type BoxFile = z.infer<typeof BoxFileSchema>;
export type StoredBox = z.infer<typeof BoxSchema>;

/** A box with both coordinate forms filled in. */
export interface ResolvedBox {
  readonly label: string;
  readonly value: number;
  readonly voxel: VoxelBox;
  readonly world: WorldBox;
}

/** The voxel grid boxes refer to: shape and voxel -> world affine of the case's image. */
export interface Grid {
  readonly shape: Vec3;
  readonly affine: Mat4;
}

/** The 8 corners of the box [lo, hi]. */
function corners(lo: Vec3, hi: Vec3): Vec3[] {
  const out: Vec3[] = [];
  for (const x of [lo[0], hi[0]]) for (const y of [lo[1], hi[1]]) for (const z of [lo[2], hi[2]]) out.push([x, y, z]);
  return out;
}

function bounds(points: readonly Vec3[]): { min: Vec3; max: Vec3 } {
  const min = [Infinity, Infinity, Infinity];
  const max = [-Infinity, -Infinity, -Infinity];
  for (const p of points) {
    for (let a = 0; a < 3; a++) {
      min[a] = Math.min(min[a]!, p[a]!);
      max[a] = Math.max(max[a]!, p[a]!);
    }
  }
  return { min: min as unknown as Vec3, max: max as unknown as Vec3 };
}

/**
 * World (mm, RAS) corners of a voxel box, voxel edges included.
 * @example
 * voxelToWorldBox({ min: [0, 0, 0], max: [2, 2, 2] }, identityAffine); // { min: [-0.5,-0.5,-0.5], max: [1.5,1.5,1.5] }
 */
export function voxelToWorldBox(box: VoxelBox, affine: Mat4): WorldBox {
  const lo: Vec3 = [box.min[0] - 0.5, box.min[1] - 0.5, box.min[2] - 0.5];
  const hi: Vec3 = [box.max[0] - 0.5, box.max[1] - 0.5, box.max[2] - 0.5];
  return bounds(corners(lo, hi).map((p) => applyAffine(affine, p)));
}

/** Slack (in voxels) for float noise when deciding which voxel centres a world box contains. */
const CENTRE_EPS = 1e-6;

/**
 * Voxel index ranges (min inclusive, max exclusive) of the voxels whose centres lie inside a world box.
 * Inverse of {@link voxelToWorldBox} for RAS-aligned images. Not clipped to the image.
 */
export function worldToVoxelBox(box: WorldBox, affine: Mat4): VoxelBox {
  const inv = invertAffine(affine);
  const c = bounds(corners(box.min, box.max).map((p) => applyAffine(inv, p)));
  // "+ 0" turns Math.ceil's -0 into 0.
  const min = c.min.map((v) => Math.ceil(v - CENTRE_EPS) + 0) as unknown as Vec3;
  const max = c.max.map((v) => Math.floor(v + CENTRE_EPS) + 1) as unknown as Vec3;
  return { min, max };
}

/** Path of a case's box file relative to the dataset folder. */
export function boxFilePath(caseId: string): string {
  return `${BOXES_DIR}/${caseId}.json`;
}

/** Validates parsed JSON as a box file. */
export function parseBoxFile(value: unknown, source: string): BoxFile {
  return parseWith(BoxFileSchema, value, source);
}

/**
 * Reads `<root>/boxes/<case>.json`; undefined when it does not exist.
 * @throws ConfigError when it is invalid.
 */
export async function readBoxFile(root: string, caseId: string): Promise<BoxFile | undefined> {
  const rel = boxFilePath(caseId);
  let text: string;
  try {
    text = await readFile(path.join(root, rel), "utf8");
  } catch (e) {
    if ((e as { code?: string }).code === "ENOENT") return undefined;
    throw e;
  }
  return parseBoxFile(parseJsonText(text, rel), rel);
}

/** Writes `<root>/boxes/<case>.json` atomically (validated first). */
export async function writeBoxFile(root: string, file: BoxFile): Promise<void> {
  const valid = parseBoxFile(file, boxFilePath(file.case));
  await mkdir(path.join(root, BOXES_DIR), { recursive: true });
  await writeJsonAtomic(path.join(root, boxFilePath(file.case)), valid);
}

/** Options of {@link validateBoxes}. */
export interface BoxValidationOptions {
  /** Largest accepted difference (mm) between a stored world corner and the one computed from the voxel box. @default 0.01 */
  readonly worldToleranceMm?: number;
}

const fmt = (v: Vec3): string => `[${v.map((x) => +x.toFixed(4)).join(",")}]`;

/**
 * Checks a box file against dataset.json and the image grid, and fills in the missing coordinate form.
 * @returns the boxes that passed (both forms) and one Problem per finding
 */
export function validateBoxes(
  caseId: string,
  file: BoxFile,
  ds: DatasetJson,
  grid: Grid,
  opts: BoxValidationOptions = {},
): { boxes: ResolvedBox[]; problems: Problem[] } {
  const rel = boxFilePath(caseId);
  const tol = opts.worldToleranceMm ?? 0.01;
  const problems: Problem[] = [];
  const fail = (field: string, message: string) => problems.push(error(caseId, rel, field, message));
  if (file.case !== caseId) fail("case", `file names case ${JSON.stringify(file.case)}; expected ${JSON.stringify(caseId)}`);
  const labels = new Map(foregroundLabels(ds).map((l) => [l.name, l]));
  const seen = new Set<string>();
  const boxes: ResolvedBox[] = [];
  file.boxes.forEach((b, i) => {
    const at = `boxes[${i}]`;
    const before = problems.length;
    const entry = labels.get(b.label);
    if (entry === undefined) {
      const why = b.label === "background" || b.label === IGNORE_LABEL ? "cannot carry a box" : "is not a label of dataset.json";
      fail(`${at}.label`, `"${b.label}" ${why} (labels: ${[...labels.keys()].join(", ")})`);
    } else if (entry.region) {
      fail(`${at}.label`, `"${b.label}" is a region (values [${entry.values.join(",")}]); boxes need a plain label`);
    } else if (entry.values[0] !== b.value) {
      fail(`${at}.value`, `"${b.label}" is ${entry.values[0]} in dataset.json vs ${b.value} in the box file`);
    }
    if (seen.has(b.label)) fail(`${at}.label`, `second box for "${b.label}" (one box per organ)`);
    seen.add(b.label);
    const badWorld = b.world ? [0, 1, 2].find((a) => !(b.world!.min[a]! < b.world!.max[a]!)) : undefined;
    if (badWorld !== undefined) {
      fail(`${at}.world`, `min ≥ max on axis ${"xyz"[badWorld]}: min ${fmt(b.world!.min)} max ${fmt(b.world!.max)}`);
      return;
    }
    const voxel = b.voxel ?? (b.world ? worldToVoxelBox(b.world, grid.affine) : undefined)!;
    const vField = b.voxel ? `${at}.voxel` : `${at}.world`;
    const axis = [0, 1, 2].find((a) => !(voxel.min[a]! < voxel.max[a]!));
    if (axis !== undefined) {
      fail(vField, `min ≥ max on axis ${"ijk"[axis]}: min ${fmt(voxel.min)} max ${fmt(voxel.max)}${b.voxel ? "" : " (as voxels)"}`);
    }
    if (voxel.min.some((v) => v < 0) || voxel.max.some((v, a) => v > grid.shape[a]!)) {
      fail(vField, `outside the volume: min ${fmt(voxel.min)} max ${fmt(voxel.max)}${b.voxel ? "" : " (as voxels)"} vs shape ${fmt(grid.shape)}`);
    }
    const world = voxelToWorldBox(voxel, grid.affine);
    if (b.voxel && b.world) {
      const d = Math.max(...[0, 1, 2].flatMap((a) => [Math.abs(world.min[a]! - b.world!.min[a]!), Math.abs(world.max[a]! - b.world!.max[a]!)]));
      if (d > tol) {
        fail(
          `${at}.world`,
          `disagrees with the voxel box by ${d.toFixed(3)} mm: stored min ${fmt(b.world.min)} max ${fmt(b.world.max)} vs from voxels min ${fmt(world.min)} max ${fmt(world.max)} (world corners are voxel edges)`,
        );
      }
    }
    if (problems.length === before) boxes.push({ label: b.label, value: b.value, voxel, world: b.world ?? world });
  });
  return { boxes, problems };
}

/**
 * Tight voxel box (min inclusive, max exclusive) of every non-zero value in a label volume, in one pass.
 * @param label integer label map (first channel used)
 * @returns value -> box, for values present
 */
export function labelBoundingBoxes(label: Volume): Map<number, VoxelBox> {
  const [nx, ny, nz] = label.shape;
  const data = label.data;
  const acc = new Map<number, number[]>();
  let p = 0;
  for (let k = 0; k < nz; k++) {
    for (let j = 0; j < ny; j++) {
      for (let i = 0; i < nx; i++, p++) {
        const v = Number(data[p]!);
        if (v === 0 || v !== v) continue;
        let b = acc.get(v);
        if (b === undefined) acc.set(v, (b = [i, j, k, i, j, k]));
        if (i < b[0]!) b[0] = i;
        if (j < b[1]!) b[1] = j;
        if (k < b[2]!) b[2] = k;
        if (i > b[3]!) b[3] = i;
        if (j > b[4]!) b[4] = j;
        if (k > b[5]!) b[5] = k;
      }
    }
  }
  const out = new Map<number, VoxelBox>();
  for (const [v, b] of acc) out.set(v, { min: [b[0]!, b[1]!, b[2]!], max: [b[3]! + 1, b[4]! + 1, b[5]! + 1] });
  return out;
}

/**
 * Box annotations derived from a full label map (how box-supervised benchmarks are built from
 * labelled datasets): one tight box per plain dataset.json label present, both coordinate forms.
 * @example
 * await writeBoxFile(root, boxesFromLabel("case_001", labelVolume, ds));
 */
export function boxesFromLabel(caseId: string, label: Volume, ds: DatasetJson): BoxFile {
  const found = labelBoundingBoxes(label);
  const boxes: StoredBox[] = [];
  for (const l of foregroundLabels(ds)) {
    const voxel = l.region ? undefined : found.get(l.values[0]!);
    if (voxel === undefined) continue;
    boxes.push({ label: l.name, value: l.values[0]!, voxel, world: voxelToWorldBox(voxel, label.affine) });
  }
  return { format: "labelwise-boxes", version: BOXES_VERSION, case: caseId, boxes };
}
