// Connected components of label maps and the post-processing built on them (keep the largest
// component, remove small objects), per class.
//
// Labelling is the classic two-pass scheme: a raster pass gives each foreground voxel the label of
// an already-visited neighbour of the same class (a new provisional label when there is none) and
// records label equivalences in a union-find forest; a second pass replaces each provisional label
// by its set's final number. Final numbers follow the raster order (x fastest) of each component's
// first voxel, as scipy.ndimage.label numbers them. Linear time, one Int32Array of labels.
// - Paper: K. Wu, E. Otoo, K. Suzuki, "Optimizing two-pass connected-component labeling
//   algorithms", Pattern Analysis and Applications 12 (2009) 117–135.

import { checkLabelMap, checkSpacing, numericData, type AnyLabelArray, type LabelMap, type MetricUnit, type Spacing } from "./label-map.js";
import { checkClasses, distinctValues } from "./_internal/scan.js";

/** Voxels are neighbours when they share a face (6), a face or an edge (18), or any corner (26). */
export type ComponentConnectivity = 6 | 18 | 26;

/** Options of {@link connectedComponents}. */
export interface ComponentOptions {
  /** @default 26 (skimage.measure.label's and nnU-Net's default in 3-D; scipy.ndimage.label's is 6) */
  readonly connectivity?: ComponentConnectivity;
  /** Value that is never part of a component. @default 0 */
  readonly background?: number;
}

/** The components of a label map. */
export interface Components {
  /** Component number per voxel: 0 for background, 1..count otherwise (x fastest). */
  readonly labels: Int32Array;
  readonly count: number;
  /** Voxel count per component; index 0 is unused (0). */
  readonly sizes: Float64Array;
  /** Class value of each component; index 0 holds the background value. */
  readonly values: Float64Array;
}

/** Backward neighbour offsets (already visited in raster order) for a connectivity. */
function backwardNeighbours(connectivity: ComponentConnectivity): [number, number, number][] {
  const out: [number, number, number][] = [];
  for (let dz = -1; dz <= 0; dz++) {
    for (let dy = -1; dy <= 1; dy++) {
      for (let dx = -1; dx <= 1; dx++) {
        if (dz === 0 && (dy > 0 || (dy === 0 && dx >= 0))) continue;
        const order = Math.abs(dx) + Math.abs(dy) + Math.abs(dz);
        if (order === 1 || (order === 2 && connectivity >= 18) || (order === 3 && connectivity === 26)) out.push([dx, dy, dz]);
      }
    }
  }
  return out;
}

/**
 * Labels the connected components of every class of a label map: maximal sets of voxels holding
 * the same non-background value, connected through 6, 18 or 26 neighbours.
 * @param map label map (x fastest); a binary mask gives the components of its foreground
 * @returns per-voxel component numbers (raster order of first voxel), sizes and class values
 * @example
 * const { labels, count, sizes, values } = connectedComponents({ data: mask, shape: [64, 64, 64] });
 */
export function connectedComponents(map: LabelMap, opts: ComponentOptions = {}): Components {
  const op = "connectedComponents";
  const n = checkLabelMap(map, op, "map");
  const connectivity = opts.connectivity ?? 26;
  if (connectivity !== 6 && connectivity !== 18 && connectivity !== 26) {
    throw new RangeError(`Cannot run ${op}: connectivity must be 6, 18 or 26. Received: ${String(connectivity)}`);
  }
  const bg = opts.background ?? 0;
  const data = numericData(map, n);
  const [nx, ny, nz] = map.shape;
  const offsets = backwardNeighbours(connectivity);
  const delta = Int32Array.from(offsets, ([dx, dy, dz]) => dx + nx * (dy + ny * dz));
  const ndx = Int8Array.from(offsets, (o) => o[0]);
  const ndy = Int8Array.from(offsets, (o) => o[1]);
  const ndz = Int8Array.from(offsets, (o) => o[2]);
  const m = offsets.length;

  const lab = new Int32Array(n);
  let parent = new Int32Array(1024);
  let next = 1;
  const find = (a: number): number => {
    while (parent[a] !== a) {
      const g = parent[parent[a]!]!;
      parent[a] = g;
      a = g;
    }
    return a;
  };

  let i = 0;
  for (let z = 0; z < nz; z++) {
    for (let y = 0; y < ny; y++) {
      const inY = y > 0 && y < ny - 1 && z > 0;
      for (let x = 0; x < nx; x++, i++) {
        const v = data[i]!;
        if (v === bg || v !== v) continue;
        const interior = inY && x > 0 && x < nx - 1;
        let cur = 0;
        for (let k = 0; k < m; k++) {
          if (!interior) {
            const xx = x + ndx[k]!;
            if (xx < 0 || xx >= nx || y + ndy[k]! < 0 || y + ndy[k]! >= ny || z + ndz[k]! < 0) continue;
          }
          const j = i + delta[k]!;
          const lj = lab[j]!;
          if (lj === 0 || data[j] !== v) continue;
          const r = find(lj);
          if (cur === 0) cur = r;
          else if (r < cur) {
            parent[cur] = r;
            cur = r;
          } else if (r > cur) parent[r] = cur;
        }
        if (cur === 0) {
          if (next === parent.length) {
            const grown = new Int32Array(parent.length * 2);
            grown.set(parent);
            parent = grown;
          }
          parent[next] = next;
          cur = next++;
        }
        lab[i] = cur;
      }
    }
  }

  // Second pass: final numbers in order of first appearance, sizes and class values.
  const final = new Int32Array(next);
  let count = 0;
  let sizes = new Float64Array(Math.min(next, 1024));
  let values = new Float64Array(sizes.length);
  for (let p = 0; p < n; p++) {
    const l = lab[p]!;
    if (l === 0) continue;
    const r = find(l);
    let f = final[r]!;
    if (f === 0) {
      f = final[r] = ++count;
      if (count >= sizes.length) {
        const s2 = new Float64Array(Math.min(next, sizes.length * 2 + 1));
        s2.set(sizes);
        sizes = s2;
        const v2 = new Float64Array(s2.length);
        v2.set(values);
        values = v2;
      }
      values[f] = data[p]!;
    }
    lab[p] = f;
    sizes[f]!++;
  }
  values[0] = bg;
  return { labels: lab, count, sizes: sizes.slice(0, count + 1), values: values.slice(0, count + 1) };
}

/** Options of {@link largestComponent} and {@link removeSmallObjects}. */
export interface PostprocessOptions extends ComponentOptions {
  /** Classes to process; others are left untouched. @default every non-background value present */
  readonly classes?: readonly number[];
}

/** Options of {@link largestComponent}. */
export interface LargestComponentOptions extends PostprocessOptions {
  /**
   * Treat the listed classes as one region (nnU-Net's "foreground as one" variant): keep the
   * largest connected blob of their union, whatever its classes. @default false
   */
  readonly jointly?: boolean;
}

/**
 * Keeps only the largest connected component of each class (ties: the first in raster order);
 * voxels of the other components become background. Returns a new array of the input's type.
 * @example
 * const cleaned = largestComponent(prediction, { classes: [1, 2] });
 */
export function largestComponent<T extends AnyLabelArray>(map: LabelMap & { readonly data: T }, opts: LargestComponentOptions = {}): T {
  const op = "largestComponent";
  const n = checkLabelMap(map, op, "map");
  const bg = opts.background ?? 0;
  const data = numericData(map, n);
  const classes = opts.classes ?? distinctValues([data], n, bg);
  checkClasses(classes, op);
  const inScope = new Set(classes);
  if (opts.jointly) {
    const mask = new Uint8Array(n);
    for (let i = 0; i < n; i++) if (inScope.has(data[i]!)) mask[i] = 1;
    const cc = connectedComponents({ data: mask, shape: map.shape }, withConnectivity(opts));
    let best = 0;
    for (let k = 1; k <= cc.count; k++) if (cc.sizes[k]! > (best === 0 ? 0 : cc.sizes[best]!)) best = k;
    const drop = new Uint8Array(cc.count + 1).fill(1);
    drop[0] = 0;
    drop[best] = 0;
    return dropped(map.data, n, cc.labels, drop, bg);
  }
  const cc = connectedComponents({ data, shape: map.shape }, opts);
  const best = new Map<number, number>();
  for (let k = 1; k <= cc.count; k++) {
    const v = cc.values[k]!;
    if (!inScope.has(v)) continue;
    const b = best.get(v);
    if (b === undefined || cc.sizes[k]! > cc.sizes[b]!) best.set(v, k);
  }
  const drop = new Uint8Array(cc.count + 1);
  for (let k = 1; k <= cc.count; k++) if (inScope.has(cc.values[k]!) && best.get(cc.values[k]!) !== k) drop[k] = 1;
  return dropped(map.data, n, cc.labels, drop, bg);
}

/** A copy of the first n voxels with the voxels of dropped components set to the background value. */
function dropped<T extends AnyLabelArray>(data: T, n: number, labels: Int32Array, drop: Uint8Array, bg: number): T {
  const out = data.slice(0, n) as T;
  const fill = out instanceof BigInt64Array || out instanceof BigUint64Array ? BigInt(bg) : bg;
  const o = out as unknown as { [i: number]: number | bigint };
  for (let i = 0; i < n; i++) if (drop[labels[i]!]) o[i] = fill;
  return out;
}

function withConnectivity(o: ComponentOptions): ComponentOptions {
  return o.connectivity === undefined ? {} : { connectivity: o.connectivity };
}

/** Options of {@link removeSmallObjects}. */
export interface RemoveSmallObjectsOptions extends PostprocessOptions {
  /** Unit of the minimum size: mm³ (with spacing) or voxels. @default "mm" */
  readonly unit?: MetricUnit;
  /** Voxel size (mm); overrides the map's own spacing. @default map.spacing ?? [1, 1, 1] */
  readonly spacing?: Spacing;
}

/**
 * Removes connected components smaller than a minimum volume, per class: a component of class c
 * whose volume is below `minSize` (or `minSize[c]`) becomes background; equal or larger ones stay.
 * With a per-class record, only the classes it names are processed.
 * @param minSize mm³ (or voxels with `unit: "voxel"`), one value or one per class value
 * @returns a new array of the input's type
 * @example
 * const cleaned = removeSmallObjects(prediction, { 1: 500, 2: 50 }); // mm³
 */
export function removeSmallObjects<T extends AnyLabelArray>(
  map: LabelMap & { readonly data: T },
  minSize: number | Readonly<Record<number, number>>,
  opts: RemoveSmallObjectsOptions = {},
): T {
  const op = "removeSmallObjects";
  const n = checkLabelMap(map, op, "map");
  const bg = opts.background ?? 0;
  const spacing = opts.unit === "voxel" ? ([1, 1, 1] as const) : checkSpacing(opts.spacing ?? map.spacing ?? [1, 1, 1], op);
  const voxelVolume = spacing[0] * spacing[1] * spacing[2];
  const perClass = typeof minSize === "number" ? undefined : new Map(Object.entries(minSize).map(([k, v]) => [Number(k), v]));
  for (const [c, v] of perClass ?? [[NaN, minSize as number]]) {
    if (!(v >= 0) || v === Infinity) throw new RangeError(`Cannot run ${op}: minimum size must be a finite number ≥ 0. Received: ${v}${Number.isNaN(c) ? "" : ` for class ${c}`}`);
  }
  const data = numericData(map, n);
  const classes = opts.classes ?? (perClass ? [...perClass.keys()] : distinctValues([data], n, bg));
  checkClasses(classes, op);
  const limit = new Map<number, number>();
  for (const c of classes) {
    const v = perClass ? perClass.get(c) : (minSize as number);
    if (v !== undefined) limit.set(c, v);
  }
  const cc = connectedComponents({ data, shape: map.shape }, opts);
  const drop = new Uint8Array(cc.count + 1);
  for (let k = 1; k <= cc.count; k++) {
    const min = limit.get(cc.values[k]!);
    if (min !== undefined && cc.sizes[k]! * voxelVolume < min) drop[k] = 1;
  }
  return dropped(map.data, n, cc.labels, drop, bg);
}
