// `labelwise evaluate`: predictions against references, per class — Dice, Jaccard, HD95, ASD
// (mm), NSD — written as per-case CSV and JSON, a Markdown summary and a PNG of box plots.
import path from "node:path";
import { Command, CommanderError, InvalidArgumentError, Option } from "commander";
import { evaluateFolders, reportMarkdown, writeEvaluationReport } from "../evaluation/index.js";
import { readLabelNames } from "./predict.js";

interface EvaluateFlags {
  pred: string;
  ref: string;
  labels?: string;
  out?: string;
  unit: "mm" | "voxel";
  nsdTolerance: number;
  bothEmpty: "perfect" | "nan";
  oneEmpty: number | "diagonal";
  title?: string;
}

function nonNegative(flag: string) {
  return (value: string): number => {
    const n = Number(value);
    if (!(n >= 0) || !Number.isFinite(n)) throw new InvalidArgumentError(`${flag} must be a number ≥ 0. Received: ${value}`);
    return n;
  };
}

function oneEmpty(value: string): number | "diagonal" {
  if (value === "diagonal") return "diagonal";
  if (value.toLowerCase() === "nan") return NaN;
  const n = Number(value);
  if (!(n >= 0)) throw new InvalidArgumentError(`--one-empty must be nan, diagonal or a distance ≥ 0. Received: ${value}`);
  return n;
}

export function evaluateCommand(): Command {
  return new Command("evaluate")
    .description(
      "compare a folder of predicted label maps with a folder of references (same file names): per-class Dice, Jaccard, HD95, ASD (mm) and NSD; " +
        "writes cases.csv, evaluation.json, summary.md and boxplots.png",
    )
    .requiredOption("--pred <dir>", "folder of predicted .nii/.nii.gz label maps")
    .requiredOption("--ref <dir>", "folder of reference label maps")
    .option("--labels <dataset.json>", "label names and the classes to evaluate (default: every non-zero value found, named 'label N')")
    .option("--out <dir>", "where the report goes (default: <pred>/evaluation)")
    .addOption(new Option("--unit <unit>", "distances in millimetres or voxels").choices(["mm", "voxel"]).default("mm"))
    .addOption(new Option("--nsd-tolerance <d>", "NSD tolerance in --unit").default(1).argParser(nonNegative("--nsd-tolerance")))
    .addOption(new Option("--both-empty <policy>", "a class absent from both maps: perfect (Dice 1, distance 0) or nan (left out)").choices(["perfect", "nan"]).default("perfect"))
    .addOption(new Option("--one-empty <value>", "HD95/ASD when only one map has the class: nan (left out of means), diagonal, or a distance").default(NaN, "nan").argParser(oneEmpty))
    .option("--title <text>", "title of the Markdown summary")
    .action(async (flags: EvaluateFlags) => {
      const names = flags.labels ? await readLabelNames(flags.labels) : undefined;
      const byValue = names ? new Map(Object.entries(names).map(([n, v]) => [v, n] as const)) : undefined;
      const report = await evaluateFolders(flags.pred, flags.ref, {
        unit: flags.unit,
        nsdTolerance: flags.nsdTolerance,
        bothEmpty: flags.bothEmpty,
        oneEmptyDistance: flags.oneEmpty,
        ...(byValue ? { names: byValue } : {}),
        onCase: (done, total, id) => {
          if (process.stderr.isTTY) process.stderr.write(`\r\x1b[Kevaluated ${done}/${total} ${id}${done === total ? "\r\x1b[K" : ""}`);
        },
      });
      const out = flags.out ?? path.join(flags.pred, "evaluation");
      const files = await writeEvaluationReport(report, out, flags.title ? { title: flags.title } : {});
      process.stdout.write(reportMarkdown(report, flags.title));
      process.stderr.write(`wrote ${files.csv}, ${files.json}, ${files.markdown}, ${files.png}\n`);
      if (report.extra.length) process.stderr.write(`note: ${report.extra.length} prediction(s) without a reference were ignored: ${report.extra.join(", ")}\n`);
      if (report.failed.length > 0) throw new CommanderError(1, "labelwise.evaluate.failed", "");
    });
}
