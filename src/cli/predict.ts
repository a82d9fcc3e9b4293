// `labelwise predict`: segment a scan, a folder of scans or DICOM series with one model or an
// ensemble, loaded once. Outputs go to the scan's own geometry; finished cases get a done marker
// so that a rerun skips them (and only them). Many machines: `--claim` lets any number of workers
// share one output folder (each case claimed before it is predicted, dead workers' cases taken over),
// and `--num-parts/--part-id` splits a folder statically when no folder can be shared.
import { readFile } from "node:fs/promises";
import path from "node:path";
import { Command, CommanderError, InvalidArgumentError, Option } from "commander";
import { z } from "zod";
import {
  CaseClaims,
  casesOfPart,
  discoverCases,
  loadInferenceModel,
  predictCases,
  type BatchEvent,
  type InferenceModel,
  type OutputFormat,
  type PostprocessOptions,
} from "../inference/index.js";
import { setNumThreads } from "../tensor/index.js";

function positive(flag: string, integer: boolean) {
  return (value: string): number => {
    const n = Number(value);
    if (!(n > 0) || !Number.isFinite(n) || (integer && !Number.isInteger(n))) {
      throw new InvalidArgumentError(`${flag} must be a positive ${integer ? "integer" : "number"}. Received: ${value}`);
    }
    return n;
  };
}

function overlapArg(value: string): number {
  const n = Number(value);
  if (!(n >= 0 && n < 1)) throw new InvalidArgumentError(`--overlap must be a number in [0, 1). Received: ${value}`);
  return n;
}

function ttaAxes(value: string): number[] {
  const map: Record<string, number> = { x: 0, y: 1, z: 2, "0": 0, "1": 1, "2": 2 };
  const axes = value.split(",").map((s) => map[s.trim().toLowerCase()]);
  if (axes.length === 0 || axes.some((a) => a === undefined)) throw new InvalidArgumentError(`--tta-axes must list axes among x, y, z. Received: ${value}`);
  return axes as number[];
}

/** dataset.json (or any JSON with a `labels` name -> value object); other keys are ignored. */
const LabelsFile = z.object({ labels: z.record(z.string(), z.union([z.number().int().nonnegative(), z.array(z.number().int().nonnegative())])) });

/** Label name -> value from a dataset.json-like file (region entries with several values are skipped). */
export async function readLabelNames(file: string): Promise<Record<string, number>> {
  let value: unknown;
  try {
    value = JSON.parse(await readFile(file, "utf8"));
  } catch (e) {
    throw new InvalidArgumentError(`Cannot read labels from ${file}: ${(e as Error).message}`);
  }
  const r = LabelsFile.safeParse(value);
  if (!r.success) throw new InvalidArgumentError(`Cannot read labels from ${file}: it needs a "labels" object of name -> integer value`);
  const out: Record<string, number> = {};
  for (const [name, v] of Object.entries(r.data.labels)) {
    const n = Array.isArray(v) ? (v.length === 1 ? v[0] : undefined) : v;
    if (n !== undefined) out[name] = n;
  }
  return out;
}

interface PredictFlags {
  input: string;
  output: string;
  model: string;
  ensemble?: string;
  overlap: number;
  tta?: boolean;
  ttaAxes?: number[];
  postprocess: "none" | "lcc";
  minSize?: number;
  threads?: number;
  batchSize: number;
  format: OutputFormat;
  nanPolicy: "error" | "zero" | "min";
  resample: "auto" | "labels" | "probabilities";
  checkpoint?: "final" | "best" | "latest";
  labels?: string;
  boxes?: string;
  missingBoxes: "keep" | "remove";
  resume: boolean;
  progress: boolean;
  json?: boolean;
  claim?: boolean;
  claimTtl: number;
  numParts?: number;
  partId?: number;
}

function partIdArg(value: string): number {
  const n = Number(value);
  if (!Number.isInteger(n) || n < 0) throw new InvalidArgumentError(`--part-id must be an integer ≥ 0. Received: ${value}`);
  return n;
}

/** Progress on stderr: a rewritten line on a terminal, one line per case otherwise (or JSON lines with --json). */
function reporter(flags: PredictFlags): (e: BatchEvent) => void {
  const tty = flags.progress && process.stderr.isTTY === true;
  let last = 0;
  return (e) => {
    if (flags.json) {
      if (e.type === "windows") return;
      const { prediction, ...rest } = e as BatchEvent & { prediction?: { seconds: unknown; restoredBy: string; windows: number } };
      const extra = prediction ? { seconds: prediction.seconds, restoredBy: prediction.restoredBy, windows: prediction.windows } : {};
      const out = "error" in rest ? { ...rest, error: (rest.error as Error).message } : rest;
      process.stdout.write(`${JSON.stringify({ ...out, ...(prediction ? { stages: extra } : {}) })}\n`);
      return;
    }
    const tag = "index" in e ? `[${e.index + 1}/${e.total}] ${e.id}` : "id" in e ? e.id : "";
    switch (e.type) {
      case "windows":
        if (tty && (Date.now() - last > 100 || e.done === e.total)) {
          last = Date.now();
          process.stderr.write(`\r\x1b[K${e.id}: window ${e.done}/${e.total}`);
        }
        return;
      case "start":
        if (tty) process.stderr.write(`\r\x1b[K${tag} …`);
        return;
      case "done":
        process.stderr.write(`${tty ? "\r\x1b[K" : ""}${tag} done in ${e.seconds.toFixed(1)} s (${e.prediction.windows} windows) -> ${e.outputs.join(", ")}\n`);
        return;
      case "skip":
        process.stderr.write(`${tag} already done (valid marker), skipped\n`);
        return;
      case "fail":
        process.stderr.write(`${tty ? "\r\x1b[K" : ""}${tag} FAILED: ${e.error.message}\n`);
        return;
      case "warning":
        process.stderr.write(`${tty ? "\r\x1b[K" : ""}${e.id}: warning: ${e.message}\n`);
        return;
      case "held":
        process.stderr.write(`${tag} held by ${e.heldBy}, left to it for now\n`);
        return;
      case "takeover":
        process.stderr.write(`${e.id}: the claim of ${e.from} went stale (no heartbeat), taking the case over\n`);
        return;
      case "waiting":
        process.stderr.write(`waiting ${(e.ms / 1000).toFixed(0)} s for ${e.ids.length} case(s) other workers hold: ${e.ids.slice(0, 5).join(", ")}${e.ids.length > 5 ? ", …" : ""}\n`);
        return;
    }
  };
}

export function predictCommand(): Command {
  return new Command("predict")
    .description(
      "segment a NIfTI file, a folder of NIfTI files (nnU-Net <case>_0000.nii.gz naming) or DICOM series with a trained model " +
        "(sliding window, Gaussian blending); outputs keep the input's geometry, and finished cases are skipped on a rerun",
    )
    .requiredOption("-i, --input <path>", "a .nii/.nii.gz file, a folder of them, a DICOM series folder, or a folder of series folders")
    .requiredOption("-o, --output <path>", "output folder (or a .nii.gz file name for a single NIfTI input)")
    .requiredOption("-m, --model <path>", "run folder or checkpoint (.safetensors with its .json sidecar)")
    .option("--ensemble <paths>", "more run folders or checkpoints, comma-separated: their softmax probabilities are averaged with --model's")
    .addOption(new Option("--checkpoint <which>", "which checkpoint of a training run folder (default: final, else best, else latest)").choices(["final", "best", "latest"]))
    .addOption(new Option("--overlap <f>", "fraction of a window shared with its neighbours").default(0.5).argParser(overlapArg))
    .option("--tta", "mirroring test-time augmentation along the plan's mirror axes (off by default: 2^axes × slower on a CPU)")
    .addOption(new Option("--tta-axes <axes>", "mirror only these voxel axes, e.g. x,y (implies --tta)").argParser(ttaAxes))
    .addOption(new Option("--postprocess <kind>", "lcc: keep each class's largest connected component").choices(["none", "lcc"]).default("none"))
    .addOption(new Option("--min-size <mm3>", "remove connected components smaller than this volume (mm³)").argParser(positive("--min-size", false)))
    .addOption(new Option("--threads <n>", "libtorch intra-op threads (default: all cores)").argParser(positive("--threads", true)))
    .addOption(new Option("--batch-size <n>", "windows per forward pass").default(1).argParser(positive("--batch-size", true)))
    .addOption(new Option("--format <format>", "output format (dicom-seg needs DICOM input)").choices(["nifti", "dicom-seg", "both"]).default("nifti"))
    .addOption(new Option("--nan-policy <policy>", "NaN/Inf voxels in a scan: refuse it, or replace them by 0 or the channel minimum").choices(["error", "zero", "min"]).default("error"))
    .addOption(
      new Option("--resample <how>", "how predictions on a resampled grid go back: class probabilities (trilinear) or the label map; auto picks by memory")
        .choices(["auto", "labels", "probabilities"])
        .default("auto"),
    )
    .option("--labels <dataset.json>", "label names for DICOM SEG segments (default: the names recorded with the model)")
    .option("--boxes <dir>", "folder of labelwise box files <case>.json: voxels of an organ outside its box become background (before --postprocess)")
    .addOption(new Option("--missing-boxes <what>", "with --boxes, organs the case's box file has no box for").choices(["keep", "remove"]).default("keep"))
    .option("--no-resume", "predict every case again, even those with a valid done marker")
    .option("--no-progress", "no progress line on stderr (it is shown only on a terminal anyway)")
    .option("--json", "print one JSON line per case event on stdout")
    .option("--claim", "share the cases with other `predict --claim` workers (other processes or machines) writing to the same output folder: each case is claimed before it is predicted; a worker ends when every case is done")
    .addOption(new Option("--claim-ttl <s>", "with --claim, a claim whose holder gave no sign of life for this long is taken over (seconds)").default(600).argParser(positive("--claim-ttl", false)))
    .addOption(new Option("--num-parts <n>", "split the cases into n parts (sorted by id, round robin) and predict only --part-id's").argParser(positive("--num-parts", true)))
    .addOption(new Option("--part-id <k>", "which part to predict, 0 .. num-parts-1 (with --num-parts)").argParser(partIdArg))
    .action(async (flags: PredictFlags) => {
      if ((flags.numParts === undefined) !== (flags.partId === undefined)) throw new InvalidArgumentError("--num-parts and --part-id go together: give both, or neither");
      if (flags.numParts !== undefined && flags.partId! >= flags.numParts) throw new InvalidArgumentError(`--part-id must be below --num-parts (${flags.numParts}). Received: ${flags.partId}`);
      if (flags.claim && !flags.resume) throw new InvalidArgumentError("--claim cannot be combined with --no-resume: workers see each other's finished cases by their done markers; remove the old outputs instead");
      if (flags.threads !== undefined) setNumThreads(flags.threads);
      const sources = [flags.model, ...(flags.ensemble ?? "").split(",").map((s) => s.trim()).filter(Boolean)];
      const models: InferenceModel[] = [];
      try {
        for (const s of sources) models.push(await loadInferenceModel(s, flags.checkpoint ? { checkpoint: flags.checkpoint } : {}));
        const found = await discoverCases(flags.input, models[0]!.inChannels);
        const cases = flags.numParts !== undefined ? casesOfPart(found, flags.numParts, flags.partId!) : found;
        const singleFile = cases.length === 1 && found.length === 1 && /\.nii(\.gz)?$/i.test(flags.output);
        if (flags.claim && singleFile) throw new InvalidArgumentError("--claim shares a folder of cases between workers: give an output folder, not a file");
        const postprocess: PostprocessOptions = {
          ...(flags.postprocess === "lcc" ? { largestComponent: true } : {}),
          ...(flags.minSize !== undefined ? { minComponentSize: flags.minSize } : {}),
        };
        const labelNames = flags.labels ? await readLabelNames(flags.labels) : undefined;
        const summary = await predictCases(cases, singleFile ? path.dirname(flags.output) : flags.output, models, {
          overlap: flags.overlap,
          tta: flags.ttaAxes ?? flags.tta ?? false,
          batchSize: flags.batchSize,
          format: flags.format,
          nonFinite: flags.nanPolicy,
          resampleOutput: flags.resample,
          resume: flags.resume,
          ...(singleFile ? { outputFile: flags.output } : {}),
          ...(flags.postprocess === "lcc" || flags.minSize !== undefined ? { postprocess } : {}),
          ...(labelNames ? { labelNames } : {}),
          ...(flags.boxes !== undefined ? { boxesDir: flags.boxes, missingBoxes: flags.missingBoxes } : {}),
          ...(flags.claim ? { claims: new CaseClaims(flags.output, { ttlMs: flags.claimTtl * 1000 }) } : {}),
          onEvent: reporter(flags),
        });
        const part = flags.numParts !== undefined ? ` (part ${flags.partId} of ${flags.numParts}: ${cases.length} of ${found.length})` : "";
        const line = `predicted ${summary.done.length}, skipped ${summary.skipped.length}, failed ${summary.failed.length} of ${cases.length} case(s)${part} in ${summary.seconds.toFixed(1)} s -> ${flags.output}`;
        if (flags.json) process.stdout.write(`${JSON.stringify({ type: "summary", done: summary.done, skipped: summary.skipped, failed: summary.failed.map((f) => ({ id: f.id, error: f.error.message })), seconds: summary.seconds })}\n`);
        else process.stderr.write(`${line}\n`);
        if (summary.failed.length > 0) throw new CommanderError(1, "labelwise.predict.failed", "");
      } finally {
        for (const m of models) m.dispose();
      }
    });
}
