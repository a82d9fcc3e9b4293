// Assembles a whole batch from its recipe: allocates one set of arrays per stream and fills
// each sample's slot. Pure and synchronous, so it runs inline or in a worker thread.
import type { PreprocessedCase } from "../preprocess/index.js";
import { batchRecipe } from "./recipe.js";
import { buildSample } from "./sample.js";
import { type HostBatch, type HostStream, type PatchBox, type SamplerConfig, type StreamName, STREAM_NAMES } from "./types.js";

/** Supplies preprocessed cases by id (e.g. a cache reader). */
export type CaseSource = (id: string) => PreprocessedCase;

/**
 * Builds batch `index` of the run described by `cfg`.
 * @example
 * const b = buildBatch(cfg, 0, (id) => store.get(id));
 * b.streams.labelled?.image; // N·C·D·H·W float32
 */
export function buildBatch(cfg: SamplerConfig, index: number, cases: CaseSource): HostBatch {
  const recipe = batchRecipe(cfg, index);
  const [px, py, pz] = cfg.patchSize;
  const P = px * py * pz;
  const K = cfg.numClasses - 1;
  const streams: Partial<Record<StreamName, HostStream>> = {};
  for (const stream of STREAM_NAMES) {
    const samples = recipe.filter((r) => r.stream === stream);
    if (samples.length === 0) continue;
    const n = samples.length;
    const image = new Float32Array(n * cfg.channels * P);
    const label = stream === "labelled" ? (cfg.maxLabelValue > 255 ? new Uint16Array(n * P) : new Uint8Array(n * P)) : null;
    const boxMask = stream === "boxes" ? new Uint8Array(n * K * P) : null;
    const boxes: PatchBox[][] | null = stream === "boxes" ? [] : null;
    samples.forEach((r, i) => {
      const pc = cases(r.caseId);
      if (pc.channels !== cfg.channels) throw new RangeError(`Case ${pc.id} has ${pc.channels} channel(s); the plan has ${cfg.channels}`);
      const b = buildSample(pc, r.forceForeground, r.seed, cfg, {
        image,
        imageOffset: i * cfg.channels * P,
        label,
        labelOffset: i * P,
        boxMask,
        boxOffset: i * K * P,
        boxChannels: K,
      });
      if (boxes) boxes.push(b ?? []);
    });
    streams[stream] = { caseIds: samples.map((r) => r.caseId), image, label, boxMask, boxes, foreground: samples.map((r) => r.forceForeground) };
  }
  return { index, patchSize: [px, py, pz], channels: cfg.channels, streams };
}

/** The ArrayBuffers of a batch, for a zero-copy postMessage transfer list. */
export function batchBuffers(b: HostBatch): ArrayBuffer[] {
  const out: ArrayBuffer[] = [];
  for (const s of Object.values(b.streams)) {
    if (!s) continue;
    for (const a of [s.image, s.label, s.boxMask]) if (a) out.push(a.buffer as ArrayBuffer);
  }
  return out;
}
