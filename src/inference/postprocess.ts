// Optional clean-up of a predicted label map on the scan's own grid (so sizes are in the scan's
// millimetres): keep each class's largest connected component, and/or drop components below a
// volume. Built on src/metrics' connected components.

import { largestComponent, removeSmallObjects, type ComponentConnectivity } from "../metrics/index.js";
import type { Volume } from "../volume/index.js";

/** Options of {@link postprocessLabels}. */
export interface PostprocessOptions {
  /** Keep only the largest connected component of these classes (true: every foreground class). @default false */
  readonly largestComponent?: boolean | readonly number[];
  /** Remove components smaller than this many mm³, one value for all classes or one per class value. */
  readonly minComponentSize?: number | Readonly<Record<number, number>>;
  /** Voxel neighbourhood of a component. @default 26 */
  readonly connectivity?: ComponentConnectivity;
}

/** Whether the options ask for any post-processing at all. */
export function wantsPostprocessing(o: PostprocessOptions | undefined): boolean {
  return !!o && (o.largestComponent === true || (Array.isArray(o.largestComponent) && o.largestComponent.length > 0) || o.minComponentSize !== undefined);
}

/**
 * Applies the requested post-processing (small objects first, then largest component), returning
 * a new volume with the same geometry; the input is not changed.
 * @example const clean = postprocessLabels(pred, { largestComponent: [1, 2] });
 */
export function postprocessLabels<V extends Volume<"uint8" | "uint16">>(labels: V, opts: PostprocessOptions): V {
  if (!wantsPostprocessing(opts)) return labels;
  const connectivity = opts.connectivity ?? 26;
  let data = labels.data as Uint8Array | Uint16Array;
  const map = () => ({ data, shape: labels.shape, spacing: labels.spacing });
  if (opts.minComponentSize !== undefined) data = removeSmallObjects(map(), opts.minComponentSize, { connectivity });
  if (opts.largestComponent === true) data = largestComponent(map(), { connectivity });
  else if (Array.isArray(opts.largestComponent) && opts.largestComponent.length > 0) data = largestComponent(map(), { connectivity, classes: opts.largestComponent });
  return labels.withData(data as never, labels.dtype) as V;
}
