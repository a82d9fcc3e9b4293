// Folder mode: the models are loaded once by the caller and every case goes through them in turn.
//
// Resuming. A case counts as done only when its done marker says so: the marker is written
// (atomically) after every output was written (atomically), and it records each output's size and
// sha256 plus a key over the models, the options and the inputs' size and mtime. A case is skipped
// when its marker exists, its key matches and every output still has the recorded size and hash;
// anything else — no marker, a half-written or replaced output, another model or option — is
// predicted again. The old marker is removed before a case starts, so a crash in the middle can
// never leave a marker next to outputs it does not describe.
//
// Many workers. With `claims`, workers sharing the output folder split the cases: each case is
// claimed before it is predicted (see claims.ts); a case another worker holds is deferred and
// looked at again after the pass, until it is done, failed here, or its holder died and the claim
// went stale. A worker returns when no case is left to anyone.

import { createHash } from "node:crypto";
import { mkdir, readFile, readdir, rm, stat } from "node:fs/promises";
import path from "node:path";
import { writeDicomSeg, writeNifti, type DicomSegWriteOptions } from "../io/index.js";
import { writeJsonAtomic } from "../util/index.js";
import { readCaseScan, type CaseSource } from "./cases.js";
import { readCaseBoxFile } from "./box-restrict.js";
import type { CaseClaims } from "./claims.js";
import type { InferenceModel } from "./model.js";
import { predictVolume, type PredictOptions, type Prediction } from "./predict.js";

/** Output formats: NIfTI label map, DICOM SEG (DICOM input only), or both. */
export type OutputFormat = "nifti" | "dicom-seg" | "both";

/** Options of {@link predictCases}. */
export interface BatchOptions extends Omit<PredictOptions, "onProgress" | "boxes"> {
  /**
   * A folder of labelwise box files `<case>.json`: each case's organs are restricted to their boxes
   * (a case without a file fails). Part of the done-marker key, so edited boxes are redone.
   */
  readonly boxesDir?: string;
  /** @default "nifti" ("dicom-seg" for DICOM cases is honoured; NIfTI cases always get NIfTI) */
  readonly format?: OutputFormat;
  /** Skip cases whose done marker is valid. @default true */
  readonly resume?: boolean;
  /** Stop at the first failing case instead of going on with the others. @default false */
  readonly stopOnError?: boolean;
  /** For a single case: write the NIfTI exactly here instead of `<outDir>/<id>.nii.gz`. */
  readonly outputFile?: string;
  /** Segment names for DICOM SEG (dataset.json `labels`). */
  readonly labelNames?: DicomSegWriteOptions["labels"];
  /** Flush outputs to disk (fsync). @default true */
  readonly fsync?: boolean;
  /** Progress and outcome of each case. */
  readonly onEvent?: (e: BatchEvent) => void;
  /**
   * Share the cases with other workers writing to the same folder: claim each case first, leave
   * cases other workers hold, come back to them until they are done (see claims.ts).
   */
  readonly claims?: CaseClaims;
  /** With `claims`: wait between passes over cases other workers hold (ms). @default min(ttl / 4, 5 s) */
  readonly pollMs?: number;
}

/** Progress events of {@link predictCases}. */
export type BatchEvent =
  | { readonly type: "start"; readonly id: string; readonly index: number; readonly total: number }
  | { readonly type: "windows"; readonly id: string; readonly done: number; readonly total: number }
  | { readonly type: "done"; readonly id: string; readonly index: number; readonly total: number; readonly outputs: readonly string[]; readonly seconds: number; readonly prediction: Prediction }
  | { readonly type: "skip"; readonly id: string; readonly index: number; readonly total: number; readonly outputs: readonly string[] }
  | { readonly type: "fail"; readonly id: string; readonly index: number; readonly total: number; readonly error: Error }
  | { readonly type: "warning"; readonly id: string; readonly message: string }
  /** With claims: another worker holds the case; it is looked at again later. */
  | { readonly type: "held"; readonly id: string; readonly index: number; readonly total: number; readonly heldBy: string }
  /** With claims: this worker took over the stale claim of a worker that stopped. */
  | { readonly type: "takeover"; readonly id: string; readonly from: string }
  /** With claims: every remaining case is held by other workers; waiting before the next look. */
  | { readonly type: "waiting"; readonly ids: readonly string[]; readonly ms: number };

/** What a batch run did. */
export interface BatchSummary {
  readonly done: readonly string[];
  /** Cases with a valid done marker: from an earlier run, or (with claims) from another worker. */
  readonly skipped: readonly string[];
  readonly failed: readonly { readonly id: string; readonly error: Error }[];
  readonly seconds: number;
}

/** The done marker's content (JSON). */
export interface DoneMarker {
  readonly format: "labelwise-prediction";
  readonly version: 1;
  readonly case: string;
  readonly key: string;
  readonly outputs: readonly { readonly file: string; readonly bytes: number; readonly sha256: string }[];
  readonly finishedAt: string;
  readonly seconds: number;
}

/** Output paths of a case: NIfTI and/or SEG, and the marker beside them. */
export function caseOutputs(c: CaseSource, outDir: string, opts: Pick<BatchOptions, "format" | "outputFile"> = {}): { nifti?: string; seg?: string; marker: string } {
  const format = opts.format ?? "nifti";
  const wantSeg = c.kind === "dicom" && (format === "dicom-seg" || format === "both");
  const wantNifti = !wantSeg || format === "both";
  const nifti = wantNifti ? (opts.outputFile ?? path.join(outDir, `${c.id}.nii.gz`)) : undefined;
  const seg = wantSeg ? path.join(outDir, `${c.id}.seg.dcm`) : undefined;
  const primary = nifti ?? seg!;
  const marker = path.join(path.dirname(primary), `${c.id}.done.json`);
  return { ...(nifti ? { nifti } : {}), ...(seg ? { seg } : {}), marker };
}

async function sha256File(p: string): Promise<string> {
  return createHash("sha256").update(await readFile(p)).digest("hex");
}

/** Size and mtime of the case's input files: part of the key, so an edited scan is redone. */
async function inputFingerprint(c: CaseSource): Promise<unknown[]> {
  const files = c.kind === "nifti" ? [...c.files] : (await readdir(c.dir)).filter((n) => !n.startsWith(".")).sort().map((n) => path.join(c.dir, n));
  const out: unknown[] = [];
  for (const f of files) {
    const s = await stat(f);
    if (s.isFile()) out.push([path.basename(f), s.size, Math.round(s.mtimeMs)]);
  }
  return out;
}

/** The key a marker must carry for `c` to count as done with these models and options. */
export async function caseKey(c: CaseSource, models: readonly InferenceModel[], opts: BatchOptions): Promise<string> {
  const relevant = {
    models: models.map((m) => m.sha256).sort(),
    overlap: opts.overlap ?? 0.5,
    tta: opts.tta ?? false,
    nonFinite: opts.nonFinite ?? "error",
    postprocess: opts.postprocess ?? null,
    resampleOutput: opts.resampleOutput ?? "auto",
    format: opts.format ?? "nifti",
    inputs: await inputFingerprint(c),
    ...(opts.boxesDir === undefined
      ? {}
      : { boxes: createHash("sha256").update((await readCaseBoxFile(opts.boxesDir, c.id)).text).digest("hex"), missingBoxes: opts.missingBoxes ?? "keep" }),
  };
  return createHash("sha256").update(JSON.stringify(relevant)).digest("hex");
}

/** Whether `marker` proves the outputs complete for `key` (every recorded output present, same size and hash). */
export async function isCaseDone(marker: string, key: string): Promise<boolean> {
  let m: DoneMarker;
  try {
    m = JSON.parse(await readFile(marker, "utf8")) as DoneMarker;
  } catch {
    return false;
  }
  if (m?.format !== "labelwise-prediction" || m.version !== 1 || m.key !== key || !Array.isArray(m.outputs) || m.outputs.length === 0) return false;
  const dir = path.dirname(marker);
  for (const o of m.outputs) {
    const p = path.join(dir, o.file);
    const s = await stat(p).catch(() => undefined);
    if (!s?.isFile() || s.size !== o.bytes) return false;
    if ((await sha256File(p)) !== o.sha256) return false;
  }
  return true;
}

/**
 * Predicts every case with the same loaded models, writing outputs atomically and a done marker
 * after them; cases already done are skipped (see the file comment for what "done" means).
 * @returns which cases were done, skipped and failed; a failing case does not stop the others
 * @example
 * const models = [await loadInferenceModel("runs/hippo/fold_0")];
 * const summary = await predictCases(await discoverCases("imagesTs", 1), "pred", models);
 */
export async function predictCases(cases: readonly CaseSource[], outDir: string, models: readonly InferenceModel[], opts: BatchOptions = {}): Promise<BatchSummary> {
  const start = performance.now();
  if (opts.outputFile && cases.length !== 1) throw new RangeError(`Cannot write ${cases.length} cases to one output file ${opts.outputFile}: give a folder`);
  // Workers sharing a folder know a case is finished only by its marker; "predict again" cannot
  // tell an earlier run's marker from another worker's.
  if (opts.claims && opts.resume === false) throw new RangeError("Cannot share cases with other workers (claims) without resuming: a done marker is how workers see each other's cases; remove the old outputs instead");
  await mkdir(opts.outputFile ? path.dirname(opts.outputFile) : outDir, { recursive: true });
  const done: string[] = [];
  const skipped: string[] = [];
  const failed: { id: string; error: Error }[] = [];
  const emit = opts.onEvent ?? (() => {});
  const claims = opts.claims;
  const pollMs = opts.pollMs ?? (claims ? Math.min(claims.ttlMs / 4, 5_000) : 0);
  const total = cases.length;
  // Computed at a case's first look, not again on every pass over cases other workers hold.
  const keys = new Map<string, string>();

  /** One look at a case: skipped, predicted, failed, or held by another worker (to look at again). */
  const visit = async (c: CaseSource, index: number): Promise<"held" | "failed" | "settled"> => {
    const out = caseOutputs(c, outDir, opts);
    const outputs = [out.nifti, out.seg].filter((p): p is string => p !== undefined);
    const skip = (): "settled" => {
      skipped.push(c.id);
      emit({ type: "skip", id: c.id, index, total, outputs });
      return "settled";
    };
    let claimed = false;
    try {
      const key = keys.get(c.id) ?? (await caseKey(c, models, opts));
      keys.set(c.id, key);
      if ((opts.resume ?? true) && (await isCaseDone(out.marker, key))) return skip();
      if (claims) {
        const r = await claims.tryClaim(c.id);
        if (!r.claimed) {
          emit({ type: "held", id: c.id, index, total, heldBy: r.heldBy });
          return "held";
        }
        claimed = true;
        if (r.tookOverFrom) emit({ type: "takeover", id: c.id, from: r.tookOverFrom });
        // Another worker may have finished it between the look above and the claim.
        if (await isCaseDone(out.marker, key)) return skip();
      }
      // The old marker goes first, so a crash never leaves one beside outputs it does not describe.
      await rm(out.marker, { force: true });
      emit({ type: "start", id: c.id, index, total });
      const { seconds, prediction } = await predictAndMark(c, out, outputs, key, models, opts, emit);
      done.push(c.id);
      emit({ type: "done", id: c.id, index, total, outputs, seconds, prediction });
      return "settled";
    } catch (e) {
      const error = e instanceof Error ? e : new Error(String(e));
      failed.push({ id: c.id, error });
      emit({ type: "fail", id: c.id, index, total, error });
      return "failed";
    } finally {
      // A failed case is released too: another worker may try it (a transient failure), and
      // this worker never comes back to it (it is not held).
      if (claimed) await claims!.release(c.id);
    }
  };

  let pending = cases.map((c, index) => ({ c, index }));
  try {
    passes: while (pending.length > 0) {
      const held: typeof pending = [];
      for (const p of pending) {
        const outcome = await visit(p.c, p.index);
        if (outcome === "held") held.push(p);
        if (outcome === "failed" && opts.stopOnError) break passes;
      }
      pending = held;
      if (pending.length > 0) {
        emit({ type: "waiting", ids: pending.map((p) => p.c.id), ms: pollMs });
        await new Promise((r) => setTimeout(r, pollMs));
      }
    }
  } finally {
    await claims?.releaseAll();
  }
  return { done, skipped, failed, seconds: (performance.now() - start) / 1000 };
}

/**
 * Predicts a case the caller owns (its old marker removed), writes its outputs atomically, then
 * its done marker. With claims, the claim is kept alive around the reading and from every window.
 */
async function predictAndMark(
  c: CaseSource,
  out: ReturnType<typeof caseOutputs>,
  outputs: readonly string[],
  key: string,
  models: readonly InferenceModel[],
  opts: BatchOptions,
  emit: (e: BatchEvent) => void,
): Promise<{ seconds: number; prediction: Prediction }> {
  const fsync = opts.fsync ?? true;
  const claims = opts.claims;
  const t0 = performance.now();
  const boxes = opts.boxesDir === undefined ? undefined : (await readCaseBoxFile(opts.boxesDir, c.id)).boxes;
  const scan = await readCaseScan(c);
  for (const message of scan.warnings) emit({ type: "warning", id: c.id, message });
  claims?.heartbeat(c.id);
  const prediction = predictVolume(scan.volume, models, {
    ...opts,
    caseId: c.id,
    ...(boxes ? { boxes } : {}),
    onProgress: (d, t) => {
      claims?.heartbeat(c.id);
      emit({ type: "windows", id: c.id, done: d, total: t });
    },
  });
  claims?.heartbeat(c.id);
  if (out.nifti) await writeNifti(out.nifti, prediction.labels, { fsync, descrip: "labelwise prediction" });
  if (out.seg) {
    if (!scan.dicom) throw new RangeError(`Cannot write DICOM SEG for ${c.id}: the input is not a DICOM series`);
    const names = opts.labelNames ?? models[0]!.labels;
    await writeDicomSeg(out.seg, prediction.labels, scan.dicom, { fsync, ...(names ? { labels: names } : {}) });
  }
  const seconds = (performance.now() - t0) / 1000;
  const marker: DoneMarker = {
    format: "labelwise-prediction",
    version: 1,
    case: c.id,
    key,
    outputs: await Promise.all(outputs.map(async (p) => ({ file: path.relative(path.dirname(out.marker), p), bytes: (await stat(p)).size, sha256: await sha256File(p) }))),
    finishedAt: new Date().toISOString(),
    seconds,
  };
  await writeJsonAtomic(out.marker, marker, { fsync });
  return { seconds, prediction };
}
