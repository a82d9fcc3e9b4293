// `labelwise suggest`: which scan to annotate next. Ranks cases by how much the networks of a
// trained model (two subnetworks, a teacher and its student), the runs of an ensemble, or one
// network and its mirrored copies disagree about them: a ranked table on stdout, the full ranking
// as CSV or JSON (written atomically), progress on stderr.
import { mkdir } from "node:fs/promises";
import path from "node:path";
import { Command, CommanderError, InvalidArgumentError, Option } from "commander";
import { openDataset } from "../data/index.js";
import {
  COMMITTEE_KINDS,
  DISAGREEMENT_MEASURES,
  discoverCases,
  formCommittee,
  loadInferenceModel,
  suggestCases,
  type CaseSource,
  type Committee,
  type CommitteeKind,
  type DisagreementMeasure,
  type DisagreementRegion,
  type InferenceModel,
  type SuggestEvent,
  type SuggestResult,
} from "../inference/index.js";
import { setNumThreads } from "../tensor/index.js";
import { writeFileAtomic } from "../util/index.js";

interface SuggestFlags {
  model: string;
  ensemble?: string;
  input?: string;
  dataset?: string;
  includeLabelled?: boolean;
  output?: string;
  measure: DisagreementMeasure;
  members: CommitteeKind;
  region: DisagreementRegion;
  top?: number;
  checkpoint?: "final" | "best" | "latest";
  overlap: number;
  batchSize: number;
  threads?: number;
  nanPolicy: "error" | "zero" | "min";
  progress: boolean;
}

function positiveInt(flag: string) {
  return (value: string): number => {
    const n = Number(value);
    if (!Number.isInteger(n) || n < 1) throw new InvalidArgumentError(`${flag} must be a positive integer. Received: ${value}`);
    return n;
  };
}

function overlapArg(value: string): number {
  const n = Number(value);
  if (!(n >= 0 && n < 1)) throw new InvalidArgumentError(`--overlap must be a number in [0, 1). Received: ${value}`);
  return n;
}

/** What each measure is called in the table and files. */
const MEASURE_TITLE: Record<DisagreementMeasure, string> = { js: "JS (nats)", kl: "sym. KL", dice: "1 − Dice" };

/** The cases to rank: a predict-style input, or a dataset's cases that are not fully labelled. */
async function casesToRank(flags: SuggestFlags, channels: number): Promise<{ cases: CaseSource[]; annotation: Map<string, string> }> {
  if (flags.input !== undefined) {
    return { cases: await discoverCases(flags.input, channels), annotation: new Map() };
  }
  const ds = await openDataset(flags.dataset!);
  const chosen = ds.training.filter((c) => flags.includeLabelled || c.annotation !== "labelled");
  if (chosen.length === 0) {
    throw new RangeError(`the dataset ${ds.root} has no unlabelled or box-annotated training case to rank (add --include-labelled to rank the labelled ones)`);
  }
  return {
    cases: chosen.map((c) => ({ kind: "nifti" as const, id: c.id, files: c.images })),
    annotation: new Map(chosen.map((c) => [c.id, c.annotation])),
  };
}

/** Progress on stderr: a rewritten line on a terminal, JSON lines otherwise. */
function reporter(flags: SuggestFlags): (e: SuggestEvent) => void {
  if (!flags.progress) return () => {};
  if (process.stderr.isTTY !== true) {
    return (e) => {
      if (e.type === "windows" && e.done !== e.total) return;
      const out = e.type === "fail" ? { ...e, error: e.error.message } : e;
      process.stderr.write(`${JSON.stringify(out)}\n`);
    };
  }
  let last = 0;
  return (e) => {
    switch (e.type) {
      case "start":
        process.stderr.write(`\r\x1b[K[${e.index + 1}/${e.total}] ${e.id} …`);
        return;
      case "windows":
        if (Date.now() - last > 100 || e.done === e.total) {
          last = Date.now();
          process.stderr.write(`\r\x1b[K${e.id}: ${e.member} window ${e.done}/${e.total}`);
        }
        return;
      case "done":
        process.stderr.write(`\r\x1b[K[${e.index + 1}/${e.total}] ${e.id} scored in ${e.seconds.toFixed(1)} s\n`);
        return;
      case "warning":
        process.stderr.write(`\r\x1b[K${e.id}: warning: ${e.message}\n`);
        return;
      case "fail":
        process.stderr.write(`\r\x1b[K[${e.index + 1}/${e.total}] ${e.id} FAILED: ${e.error.message}\n`);
        return;
    }
  };
}

const fmt = (v: number, digits = 4) => (Number.isFinite(v) ? v.toFixed(digits) : String(v));

/** The ranked table for stdout (the first `top` rows). */
export function suggestionTable(result: SuggestResult, measure: DisagreementMeasure, annotation: ReadonlyMap<string, string>, top?: number): string {
  const rows = result.ranking.slice(0, top ?? result.ranking.length);
  const header = ["rank", "case", ...(annotation.size ? ["annotation"] : []), `${MEASURE_TITLE.js}`, MEASURE_TITLE.kl, MEASURE_TITLE.dice, "foreground mL"];
  const body = rows.map((r) => [String(r.rank), r.id, ...(annotation.size ? [annotation.get(r.id) ?? ""] : []), fmt(r.js), fmt(r.kl), fmt(r.dice), fmt(r.foregroundMl, 2)]);
  const widths = header.map((h, i) => Math.max(h.length, ...body.map((b) => b[i]!.length)));
  const line = (cells: string[]) => cells.map((c, i) => (i <= 1 || (annotation.size && i === 2) ? c.padEnd(widths[i]!) : c.padStart(widths[i]!))).join("  ").trimEnd();
  const more = result.ranking.length > rows.length ? `… ${result.ranking.length - rows.length} more below rank ${rows.length} (not shown: --top)\n` : "";
  return `${[line(header), ...body.map(line)].join("\n")}\n${more}ranked by ${MEASURE_TITLE[measure]}, highest first\n`;
}

const csvCell = (s: string) => (/[",\n]/.test(s) ? `"${s.replace(/"/g, '""')}"` : s);

/** The full ranking as CSV (one row per case, failed cases left out). */
export function suggestionCsv(result: SuggestResult, annotation: ReadonlyMap<string, string>): string {
  const head = "rank,case,annotation,score,js,kl,dice_disagreement,foreground_ml,foreground_voxels,region_voxels,voxels,seconds";
  const rows = result.ranking.map((r) =>
    [r.rank, csvCell(r.id), csvCell(annotation.get(r.id) ?? ""), r.score, r.js, r.kl, r.dice, r.foregroundMl, r.foregroundVoxels, r.regionVoxels, r.voxels, r.seconds.toFixed(3)].join(","),
  );
  return `${[head, ...rows].join("\n")}\n`;
}

export function suggestCommand(): Command {
  return new Command("suggest")
    .description(
      "what to label next: rank scans by how much a trained model's networks disagree about them (two subnetworks, a teacher and its student, " +
        "the decoders of FBA-Net+, the runs of --ensemble, or one network and its mirrored copies), most disputed first",
    )
    .requiredOption("-m, --model <path>", "run folder or checkpoint; every network in it votes (not only those it predicts with)")
    .option("--ensemble <paths>", "more run folders or checkpoints, comma-separated: each network (or each run, with --members models) votes")
    .option("-i, --input <path>", "scans to rank: a .nii/.nii.gz file, a folder of them, a DICOM series folder, or a folder of series folders")
    .option("-d, --dataset <dir>", "rank a dataset's training cases that are unlabelled or box-annotated")
    .option("--include-labelled", "with --dataset: rank the labelled cases too")
    .option("-o, --output <file>", "write the whole ranking here: .json for JSON, anything else CSV (written atomically)")
    .addOption(new Option("--measure <m>", "what ranks the cases: js (Jensen-Shannon of the softmaxes), kl (symmetric KL), dice (1 − Dice of the label maps)").choices([...DISAGREEMENT_MEASURES]).default("js"))
    .addOption(
      new Option(
        "--members <kind>",
        "who votes: networks (every network of the model(s)), decoders (every decoder of a multi-decoder network, e.g. FBA-Net+), models (each run of --ensemble), " +
          "tta (one network, plain and mirrored); auto: networks when there are two or more, else decoders when there are two or more, else tta",
      )
        .choices([...COMMITTEE_KINDS])
        .default("auto"),
    )
    .addOption(new Option("--region <r>", "where js and kl are averaged: voxels some member calls foreground, or all voxels").choices(["foreground", "all"]).default("foreground"))
    .addOption(new Option("--top <n>", "rows in the table on stdout (the output file gets every case)").argParser(positiveInt("--top")))
    .addOption(new Option("--checkpoint <which>", "which checkpoint of a training run folder (default: final, else best, else latest)").choices(["final", "best", "latest"]))
    .addOption(new Option("--overlap <f>", "fraction of a window shared with its neighbours").default(0.5).argParser(overlapArg))
    .addOption(new Option("--batch-size <n>", "windows per forward pass").default(1).argParser(positiveInt("--batch-size")))
    .addOption(new Option("--threads <n>", "libtorch intra-op threads (default: all cores)").argParser(positiveInt("--threads")))
    .addOption(new Option("--nan-policy <policy>", "NaN/Inf voxels in a scan: refuse it, or replace them by 0 or the channel minimum").choices(["error", "zero", "min"]).default("error"))
    .option("--no-progress", "no progress on stderr (a line on a terminal, JSON lines otherwise)")
    .action(async (flags: SuggestFlags) => {
      // Errors thrown here reach main's handler, which prints them (a CommanderError would be silent).
      if ((flags.input === undefined) === (flags.dataset === undefined)) throw new Error("give the scans to rank with exactly one of -i/--input <path> or -d/--dataset <dir>");
      if (flags.includeLabelled && flags.dataset === undefined) throw new Error("--include-labelled applies to --dataset only");
      if (flags.threads !== undefined) setNumThreads(flags.threads);
      const sources = [flags.model, ...(flags.ensemble ?? "").split(",").map((s) => s.trim()).filter(Boolean)];
      const models: InferenceModel[] = [];
      try {
        for (const s of sources) models.push(await loadInferenceModel(s, { modules: "networks", ...(flags.checkpoint ? { checkpoint: flags.checkpoint } : {}) }));
        const committee: Committee = formCommittee(models, flags.members);
        const { cases, annotation } = await casesToRank(flags, models[0]!.inChannels);
        if (flags.progress) {
          process.stderr.write(`committee (${committee.kind}): ${committee.members.map((m) => m.name).join(", ")}; ${cases.length} case(s) to score\n`);
        }
        const result = await suggestCases(cases, models, committee, flags.measure, {
          overlap: flags.overlap,
          batchSize: flags.batchSize,
          region: flags.region,
          nonFinite: flags.nanPolicy,
          onEvent: reporter(flags),
        });
        process.stdout.write(suggestionTable(result, flags.measure, annotation, flags.top));
        if (flags.output !== undefined) {
          const json = path.extname(flags.output).toLowerCase() === ".json";
          const text = json
            ? `${JSON.stringify(
                {
                  format: "labelwise-suggestions",
                  version: 1,
                  models: models.map((m) => ({ source: m.source, sha256: m.sha256 })),
                  committee: { kind: committee.kind, members: committee.members.map((m) => m.name) },
                  measure: flags.measure,
                  region: flags.region,
                  ranking: result.ranking.map((r) => ({ ...r, ...(annotation.size ? { annotation: annotation.get(r.id) ?? null } : {}) })),
                  failed: result.failed.map((f) => ({ id: f.id, error: f.error.message })),
                },
                null,
                2,
              )}\n`
            : suggestionCsv(result, annotation);
          await mkdir(path.dirname(path.resolve(flags.output)), { recursive: true });
          await writeFileAtomic(flags.output, text);
          process.stderr.write(`wrote ${flags.output}\n`);
        }
        if (result.failed.length > 0) {
          process.stderr.write(`${result.failed.length} case(s) failed: ${result.failed.map((f) => f.id).join(", ")}\n`);
          throw new CommanderError(1, "labelwise.suggest.failed", "");
        }
      } finally {
        for (const m of models) m.dispose();
      }
    });
}
