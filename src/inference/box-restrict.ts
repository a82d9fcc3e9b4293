// Restricting a prediction to known boxes (`labelwise predict --boxes <dir>`): when a user has drawn
// a box around each organ, every voxel the network assigns to an organ outside that organ's box is
// set to background. Boxes use the labelwise box file format (src/data/dataset/boxes.ts) on the
// scan's own grid: voxel ranges, or world corners converted with the scan's affine.
import { readFile } from "node:fs/promises";
import path from "node:path";
import { type StoredBox, parseBoxFile, parseJsonText, worldToVoxelBox } from "../data/index.js";
import { type Mat4, Volume } from "../volume/index.js";

/** One organ's box on the prediction's grid: voxel ranges (i, j, k), min inclusive, max exclusive. */
export interface GridBox {
  readonly value: number;
  readonly min: readonly [number, number, number];
  readonly max: readonly [number, number, number];
}

/** What to do with an organ the box file has no box for. */
export type MissingBoxPolicy = "keep" | "remove";

/**
 * Boxes of a box file on a scan's grid: the voxel form when stored, else the world form converted
 * with `affine`; clipped to `shape`.
 * @param labels the model's label names → values; when given, each box's name must map to its value
 * @throws RangeError naming the box when its label disagrees with the model or it is empty after clipping
 */
export function boxesOnGrid(boxes: readonly StoredBox[], grid: { shape: readonly number[]; affine: Mat4 }, labels?: Readonly<Record<string, number>>, source = "boxes"): GridBox[] {
  const seen = new Set<number>();
  return boxes.map((b, i) => {
    const at = `${source}: boxes[${i}] ("${b.label}")`;
    if (labels && labels[b.label] !== b.value) {
      const known = labels[b.label] === undefined ? "is not a label of the model" : `is ${labels[b.label]} for the model`;
      throw new RangeError(`${at}: label value ${b.value} does not match the model's labels ("${b.label}" ${known})`);
    }
    if (seen.has(b.value)) throw new RangeError(`${at}: a second box for label value ${b.value} (one box per organ)`);
    seen.add(b.value);
    const v = b.voxel ?? worldToVoxelBox(b.world!, grid.affine);
    const min = v.min.map((x) => Math.max(0, x)) as [number, number, number];
    const max = v.max.map((x, a) => Math.min(grid.shape[a]!, x)) as [number, number, number];
    if (min.some((x, a) => x >= max[a]!)) {
      throw new RangeError(`${at}: empty on the scan's grid of shape [${grid.shape.join(",")}] (voxels min [${v.min.join(",")}] max [${v.max.join(",")}])`);
    }
    return { value: b.value, min, max };
  });
}

/**
 * Sets every voxel labelled with an organ outside that organ's box to background (0).
 * @param missing organs without a box: "keep" them unrestricted (default) or "remove" them
 * @returns a new label volume (same geometry) and the number of voxels set to background
 */
export function restrictToBoxes<D extends "uint8" | "uint16">(labels: Volume<D>, boxes: readonly GridBox[], missing: MissingBoxPolicy = "keep"): { labels: Volume<D>; removed: number } {
  const [nx, ny, nz] = labels.shape;
  const byValue = new Map(boxes.map((b) => [b.value, b]));
  const src = labels.data as Uint8Array | Uint16Array;
  const out = src.slice();
  let removed = 0;
  let p = 0;
  for (let k = 0; k < nz; k++) {
    for (let j = 0; j < ny; j++) {
      for (let i = 0; i < nx; i++, p++) {
        const v = src[p]!;
        if (v === 0) continue;
        const b = byValue.get(v);
        const inside = b ? i >= b.min[0] && i < b.max[0] && j >= b.min[1] && j < b.max[1] && k >= b.min[2] && k < b.max[2] : missing === "keep";
        if (!inside) {
          out[p] = 0;
          removed++;
        }
      }
    }
  }
  return { labels: new Volume({ data: out as never, dtype: labels.dtype, shape: labels.shape, affine: labels.affine }) as Volume<D>, removed };
}

/**
 * Reads `<dir>/<caseId>.json` (a labelwise box file).
 * @throws RangeError when it is missing, invalid, or names another case
 */
export async function readCaseBoxFile(dir: string, caseId: string): Promise<{ file: string; boxes: StoredBox[]; text: string }> {
  const file = path.join(dir, `${caseId}.json`);
  let text: string;
  try {
    text = await readFile(file, "utf8");
  } catch (e) {
    const why = (e as { code?: string }).code === "ENOENT" ? "is missing (--boxes needs one box file per case)" : (e as Error).message;
    throw new RangeError(`Cannot restrict ${caseId} to its boxes: ${file} ${why}`);
  }
  const parsed = parseBoxFile(parseJsonText(text, file), file);
  if (parsed.case !== caseId) throw new RangeError(`Cannot restrict ${caseId} to its boxes: ${file} is for case ${JSON.stringify(parsed.case)}`);
  return { file, boxes: parsed.boxes, text };
}
