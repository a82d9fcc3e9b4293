// Reads the JSON-lines progress a labelwise command prints (one object per line) into what the
// page shows: a fraction done, a loss value for the curve, and a one-line summary. The commands'
// event shapes differ (training epochs and iterations, prediction cases), so this looks for the
// usual field pairs rather than one schema; anything else still reaches the page as text.

/** A parsed output line. */
export interface ParsedLine {
  /** Whether the line was a JSON object. */
  readonly json: boolean;
  readonly data: unknown;
  readonly progress: number | null;
  readonly loss: number | null;
  /** x of the loss point: iteration, step, epoch (in that order), else null. */
  readonly x: number | null;
  readonly message: string;
}

const num = (o: Record<string, unknown>, ...keys: string[]): number | null => {
  for (const k of keys) {
    const v = o[k];
    if (typeof v === "number" && Number.isFinite(v)) return v;
  }
  return null;
};

const clamp01 = (v: number) => Math.min(1, Math.max(0, v));

/**
 * Totals announced once (labelwise train's "start" event carries totalIterations and epochs; its
 * per-iteration events do not), remembered per job by the caller.
 */
export interface LineContext {
  totalIterations?: number;
  epochs?: number;
}

function progressOf(o: Record<string, unknown>, ctx: LineContext): number | null {
  const explicit = num(o, "progress", "fraction");
  if (explicit !== null) return clamp01(explicit > 1 ? explicit / 100 : explicit);
  const announced = num(o, "totalIterations", "total_iterations");
  if (announced !== null && announced > 0) ctx.totalIterations = announced;
  const epochs = num(o, "epochs", "totalEpochs", "maxEpochs");
  if (epochs !== null && epochs > 0) ctx.epochs = epochs;
  // labelwise train: `iteration` is the 0-based index of the step just done.
  const iteration = num(o, "iteration");
  if (iteration !== null && ctx.totalIterations !== undefined && (o.event === "iteration" || o.event === "epoch" || o.event === "end")) {
    return clamp01(o.event === "end" ? 1 : (iteration + 1) / ctx.totalIterations);
  }
  const pairs: [string[], string[], number][] = [
    [["iteration", "step", "iter"], ["totalIterations", "total_iterations", "iterations", "steps", "totalSteps"], 0],
    [["epoch"], ["epochs", "totalEpochs", "total_epochs", "maxEpochs"], 0],
    [["done"], ["total"], 0],
  ];
  for (const [a, b] of pairs) {
    const x = num(o, ...a);
    const n = num(o, ...b);
    if (x !== null && n !== null && n > 0) return clamp01(x / n);
  }
  // Prediction events: `index` counts from 0 and a case is finished at "done"/"skip"/"fail".
  const index = num(o, "index");
  const total = num(o, "total");
  if (index !== null && total !== null && total > 0) {
    const finished = o.type === "done" || o.type === "skip" || o.type === "fail";
    return clamp01((index + (finished ? 1 : 0)) / total);
  }
  return null;
}

function summary(o: Record<string, unknown>, loss: number | null): string {
  const parts: string[] = [];
  const kind = typeof o.type === "string" ? o.type : typeof o.event === "string" ? o.event : undefined;
  if (kind) parts.push(kind);
  const meanLoss = num(o, "meanLoss");
  const meanDice = num(o, "meanDice");
  if (typeof o.id === "string") parts.push(o.id);
  const epoch = num(o, "epoch");
  const epochs = num(o, "epochs", "totalEpochs", "maxEpochs");
  if (epoch !== null) parts.push(`epoch ${epoch}${epochs !== null ? `/${epochs}` : ""}`);
  const it = num(o, "iteration", "step");
  const its = num(o, "totalIterations", "iterations", "steps");
  if (it !== null) parts.push(`iteration ${it}${its !== null ? `/${its}` : ""}`);
  if (loss !== null) parts.push(`loss ${loss.toPrecision(4)}`);
  if (meanLoss !== null) parts.push(`mean loss ${meanLoss.toPrecision(4)}`);
  if (meanDice !== null) parts.push(`mean Dice ${meanDice.toFixed(3)}`);
  for (const k of ["valDice", "val_dice"]) {
    const v = num(o, k);
    if (v !== null) parts.push(`${k} ${v.toFixed(3)}`);
  }
  if (typeof o.message === "string") parts.push(o.message.slice(0, 300));
  if (typeof o.error === "string") parts.push(`error: ${o.error.slice(0, 300)}`);
  return parts.length ? parts.join(" · ") : JSON.stringify(o).slice(0, 300);
}

/** Parses one line of a job's stdout; `ctx` carries totals from earlier lines of the same job. */
export function parseJobLine(line: string, ctx: LineContext = {}): ParsedLine {
  const t = line.trim();
  if (t.startsWith("{")) {
    try {
      const o = JSON.parse(t) as unknown;
      if (o !== null && typeof o === "object" && !Array.isArray(o)) {
        const r = o as Record<string, unknown>;
        const loss = num(r, "loss", "trainLoss", "train_loss");
        const x = num(r, "iteration", "step", "epoch");
        return { json: true, data: o, progress: progressOf(r, ctx), loss, x, message: summary(r, loss) };
      }
    } catch {
      // not JSON: shown as text
    }
  }
  return { json: false, data: null, progress: null, loss: null, x: null, message: t.slice(0, 2000) };
}
