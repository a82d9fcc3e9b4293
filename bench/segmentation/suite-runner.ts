// An accuracy suite over segmentation rows, in the house style of bench/engine: one part per row
// saved under bench/results/<suite>/parts as each finishes, finished parts skipped (--fresh re-runs
// them), failed rows recorded and retried on the next invocation without stopping the others, and
// a merged report (Markdown, JSON, PNG) whose last line is the RESULT line.
import { mkdirSync } from "node:fs";
import { readFile } from "node:fs/promises";
import path from "node:path";
import { renderVegaLitePng } from "../../src/evaluation/index.js";
import { writeFileAtomic, writeJsonAtomic } from "../../src/util/index.js";
import { type MachineInfo, PartStore, type Suite, type SuiteOptions, machineInfo } from "../harness/index.js";
import { type RunRowContext, RowInterrupted, failedPart, partName, rowFingerprint, runSegmentationRow } from "./run-row.js";
import type { SegmentationPart, SegmentationRow } from "./types.js";

export type Profile = "full" | "quick";

/** What a suite's report function returns. */
export interface SuiteReport {
  /** The Markdown report without the RESULT line. */
  readonly markdown: string;
  readonly result: string;
  /** A Vega-Lite specification rendered to report[.quick].png (none: no plot). */
  readonly plot?: Record<string, unknown> | null;
  /** Or an existing PNG copied to report[.quick].png (e.g. a row's evaluation box plots). */
  readonly plotFile?: string | null;
  /** Extra fields for report[.quick].json. */
  readonly json?: Record<string, unknown>;
}

export interface AccuracySuiteSpec {
  readonly name: string;
  readonly description: string;
  readonly help?: readonly string[];
  /** The rows of a profile, in run order (quick runs may have fewer rows and smaller settings). */
  rows(profile: Profile, root: string): readonly SegmentationRow[];
  /** The merged report over the saved parts of the profile's rows (a row without a part is absent from the map). */
  report(parts: ReadonlyMap<string, SegmentationPart>, rows: readonly SegmentationRow[], profile: Profile, machine: MachineInfo, root: string): SuiteReport;
}

/** How a row is run (the real runner, or a stand-in in tests). */
export type RowRunner = (row: SegmentationRow, ctx: RunRowContext) => Promise<SegmentationPart>;

function log(suite: string, message: string): void {
  process.stderr.write(`[${suite}] ${message}\n`);
}

/** What the suite loop calls out to (stand-ins in tests). */
export interface SuiteDeps {
  /** @default runSegmentationRow */
  readonly runRow?: RowRunner;
  /** Where the merged report goes. @default stdout */
  readonly print?: (text: string) => void;
  /** Progress lines. @default stderr, prefixed with the suite name */
  readonly log?: (message: string) => void;
}

/** Runs the selected rows of a suite and writes the merged report; returns the exit code. */
export async function runAccuracySuite(spec: AccuracySuiteSpec, opts: SuiteOptions, deps: SuiteDeps = {}): Promise<number> {
  const runRow = deps.runRow ?? runSegmentationRow;
  const print = deps.print ?? ((text: string) => process.stdout.write(text));
  const profile: Profile = opts.quick ? "quick" : "full";
  const say = deps.log ?? ((m: string) => log(spec.name, m));
  const all = spec.rows(profile, opts.root);
  const names = all.map((r) => r.name);
  const absent = opts.only.filter((r) => !names.includes(r));
  if (absent.length) {
    say(`the ${profile} profile has no row ${absent.map((r) => `"${r}"`).join(", ")}. Rows: ${names.join(", ")}`);
    return 2;
  }
  const selected = opts.only.length ? all.filter((r) => opts.only.includes(r.name)) : all;
  const resultsDir = path.join(opts.root, "bench", "results", spec.name);
  const store = new PartStore<SegmentationPart>(path.join(resultsDir, "parts"));
  const machine = machineInfo(opts.root);
  say(`${profile} run of ${selected.length} row(s) on ${machine.cpuModel} (${machine.cores} cores); parts in ${path.relative(opts.root, store.dir)}`);

  // Ctrl-C / SIGTERM / SIGHUP (a closed session): the trainer checkpoints at the next iteration and
  // the next invocation resumes.
  const abort = new AbortController();
  const onSignal = (sig: string) => {
    say(`${sig}: stopping at the next iteration boundary with a checkpoint (send it again to exit at once)`);
    abort.abort();
  };
  const handlers = { SIGINT: () => onSignal("SIGINT"), SIGTERM: () => onSignal("SIGTERM"), SIGHUP: () => onSignal("SIGHUP") };
  for (const [sig, fn] of Object.entries(handlers)) process.once(sig, fn);
  let failed = 0;
  let interrupted = false;
  try {
    for (const row of selected) {
      const name = partName(row.name, profile);
      const saved = store.load(name);
      const fingerprint = rowFingerprint(row, opts.iterations);
      if (!opts.fresh && saved?.status === "done" && saved.fingerprint === fingerprint) {
        say(`${row.name}: already done (commit ${saved.machine.commit}, ${saved.finishedAt}); skipping (--fresh re-runs it)`);
        continue;
      }
      if (saved?.status === "done" && saved.fingerprint !== fingerprint) say(`${row.name}: the saved part has another definition; running it again`);
      const ctx: RunRowContext = { suite: spec.name, profile, root: opts.root, iterations: opts.iterations, fresh: opts.fresh, signal: abort.signal, log: say };
      const t0 = performance.now();
      try {
        const part = await runRow(row, ctx);
        store.save(name, part);
        const dice = part.mean?.dice;
        say(`${row.name}: done in ${((performance.now() - t0) / 60_000).toFixed(1)} min, mean Dice ${dice === null || dice === undefined ? "-" : dice.toFixed(4)}, training ${part.trainMinutes?.toFixed(1) ?? "-"} min`);
      } catch (e) {
        if (e instanceof RowInterrupted) {
          say(e.message);
          interrupted = true;
          break;
        }
        failed++;
        store.save(name, failedPart(row, ctx, e));
        say(`${row.name}: FAILED: ${e instanceof Error ? e.message : String(e)} (the other rows go on; the next invocation retries it)`);
      }
      if (abort.signal.aborted) {
        interrupted = true;
        break;
      }
    }
  } finally {
    for (const [sig, fn] of Object.entries(handlers)) process.off(sig, fn);
  }

  const parts = new Map<string, SegmentationPart>();
  for (const row of all) {
    const part = store.load(partName(row.name, profile));
    if (part) parts.set(row.name, part);
  }
  const report = spec.report(parts, all, profile, machine, opts.root);
  await writeSuiteReport(resultsDir, profile, report, { suite: spec.name, machine, parts: [...parts.values()] });
  print(`${report.markdown}\n${report.result}\n`);
  if (interrupted) return 130;
  return failed ? 1 : 0;
}

/** Writes report[.quick].md (ending with the RESULT line), .json and .png, each atomically. */
export async function writeSuiteReport(dir: string, profile: Profile, report: SuiteReport, extra: { suite: string; machine: MachineInfo; parts: readonly SegmentationPart[] }): Promise<string[]> {
  mkdirSync(dir, { recursive: true });
  const base = path.join(dir, profile === "full" ? "report" : `report.${profile}`);
  const written = [`${base}.md`, `${base}.json`];
  await writeFileAtomic(`${base}.md`, `${report.markdown}\n${report.result}\n`, { fsync: false });
  await writeJsonAtomic(`${base}.json`, { suite: extra.suite, profile, machine: extra.machine, result: report.result, ...report.json, parts: extra.parts }, { fsync: false });
  try {
    if (report.plot) {
      await writeFileAtomic(`${base}.png`, await renderVegaLitePng(report.plot), { fsync: false });
      written.push(`${base}.png`);
    } else if (report.plotFile) {
      await writeFileAtomic(`${base}.png`, await readFile(report.plotFile), { fsync: false });
      written.push(`${base}.png`);
    }
  } catch (e) {
    log(extra.suite, `could not write the plot: ${(e as Error).message}`);
  }
  return written;
}

/** A Suite (bench/main.ts) over an accuracy spec; --only accepts the rows of either profile. */
export function accuracySuite(spec: AccuracySuiteSpec): Suite {
  // Row lists only build paths, so any root gives the names.
  const rowNames = [...new Set([...spec.rows("full", "."), ...spec.rows("quick", ".")].map((r) => r.name))];
  return {
    name: spec.name,
    description: spec.description,
    rows: rowNames,
    ...(spec.help ? { help: spec.help } : {}),
    run: (opts) => runAccuracySuite(spec, opts),
  };
}
