// `labelwise boxes-from-labels <dataset>`: derive one 3-D box per organ and case from the label
// maps (boxes/<case>.json, written atomically), optionally loosened by a margin and jittered per
// face in mm to simulate human boxes, optionally marking the cases box-annotated in labelwise.json.
import { Command, InvalidArgumentError, Option } from "commander";
import { deriveBoxFiles } from "../data/index.js";

function millimetres(flag: string) {
  return (v: string): number => {
    const n = Number(v);
    if (v.trim() === "" || !Number.isFinite(n) || n < 0) throw new InvalidArgumentError(`${flag} must be a number of mm >= 0. Received: ${v}`);
    return n;
  };
}

function seedArg(v: string): number {
  const n = Number(v);
  if (!Number.isSafeInteger(n) || n < 0) throw new InvalidArgumentError(`--seed must be a non-negative integer. Received: ${v}`);
  return n;
}

interface Flags {
  margin: number;
  jitter: number;
  seed: number;
  cases?: string;
  overwrite?: boolean;
  mark?: boolean;
  json?: boolean;
}

export function boxesFromLabelsCommand(): Command {
  return new Command("boxes-from-labels")
    .description(
      "derive box annotations (boxes/<case>.json, one box per organ) from a dataset's label maps, for box-supervised training " +
        "and benchmarks; --margin and --jitter (mm, seeded) make them look like human boxes",
    )
    .argument("<dataset>", "dataset folder (the one holding dataset.json)")
    .addOption(new Option("--margin <mm>", "move every box face outward by this many mm").default(0).argParser(millimetres("--margin")))
    .addOption(new Option("--jitter <mm>", "then move every face by a uniform draw in [-mm, +mm] (independently per face)").default(0).argParser(millimetres("--jitter")))
    .addOption(new Option("--seed <s>", "seed of the jitter (a case's boxes depend only on the seed and its id)").default(0).argParser(seedArg))
    .option("--cases <ids>", "comma-separated case ids (default: every training case with a label file)")
    .option("--overwrite", "replace existing box files (without it, an existing file stops the command before anything is written)")
    .option("--mark", "also mark these cases as box-annotated in labelwise.json (their labels then serve validation only)")
    .option("--json", "print a JSON summary instead of lines")
    .action(async (dataset: string, f: Flags) => {
      const cases = f.cases === undefined ? undefined : f.cases.split(",").map((s) => s.trim()).filter(Boolean);
      if (cases !== undefined && cases.length === 0) throw new RangeError(`--cases must name at least one case. Received: ${JSON.stringify(f.cases)}`);
      const result = await deriveBoxFiles(dataset, {
        marginMm: f.margin,
        jitterMm: f.jitter,
        seed: f.seed,
        ...(cases ? { cases } : {}),
        overwrite: f.overwrite === true,
        mark: f.mark === true,
        onCase: (id, file) => {
          if (!f.json) process.stderr.write(`${id}: ${file.boxes.map((b) => `${b.label} [${b.voxel!.min.join(",")}]-[${b.voxel!.max.join(",")})`).join(" ") || "no organ"}\n`);
        },
      });
      const summary = { cases: result.cases.length, boxes: result.boxes, margin: f.margin, jitter: f.jitter, seed: f.seed, marked: result.manifest };
      if (f.json) process.stdout.write(`${JSON.stringify(summary)}\n`);
      else process.stdout.write(`wrote ${result.boxes} box(es) for ${result.cases.length} case(s) (margin ${f.margin} mm, jitter ${f.jitter} mm, seed ${f.seed})${result.manifest ? "; labelwise.json marks them box-annotated" : ""}\n`);
    });
}
