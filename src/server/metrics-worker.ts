// Worker thread of the metrics route: reads a prediction and its reference label map and scores
// them (Dice, HD95 per class). Surface distances of a large CT take seconds; in a worker they do
// not stall the server's other requests.
import { parentPort, workerData } from "node:worker_threads";
import { readNifti } from "../io/index.js";
import { evaluateSegmentation } from "../metrics/index.js";

/** What the worker is given. */
export interface MetricsJob {
  readonly prediction: string;
  readonly reference: string;
  readonly classes: readonly number[];
}

/** One class's scores; NaN (undefined distance) becomes null for JSON. */
export interface ClassScore {
  readonly value: number;
  readonly dice: number | null;
  readonly hd95: number | null;
  readonly predVoxels: number;
  readonly refVoxels: number;
}

const finite = (v: number): number | null => (Number.isFinite(v) ? v : null);

async function main(job: MetricsJob): Promise<ClassScore[]> {
  const [pred, ref] = await Promise.all([readNifti(job.prediction), readNifti(job.reference)]);
  const p = pred.volume;
  const r = ref.volume;
  if (p.shape.some((n, a) => n !== r.shape[a])) {
    throw new RangeError(`prediction shape [${p.shape.join(", ")}] differs from the label's [${r.shape.join(", ")}]`);
  }
  const scores = evaluateSegmentation(p, r, { classes: job.classes, spacing: r.spacing });
  return scores.map((s) => ({ value: s.label, dice: finite(s.dice), hd95: finite(s.hd95), predVoxels: s.predVoxels, refVoxels: s.refVoxels }));
}

if (parentPort) {
  main(workerData as MetricsJob).then(
    (scores) => parentPort!.postMessage({ ok: true, scores }),
    (e: unknown) => parentPort!.postMessage({ ok: false, message: (e as Error)?.message ?? String(e) }),
  );
}
