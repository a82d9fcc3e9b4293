// `labelwise train <dataset>`: train (or resume) one fold with a strategy. A progress bar on a
// terminal, JSON lines on stdout otherwise (one per event, e.g. for logs and CI). Ctrl-C saves a
// checkpoint at the next iteration boundary and exits with 130; a second Ctrl-C exits at once.
import { Command, CommanderError, InvalidArgumentError, Option } from "commander";
import { jsonLinesReporter, progressBarReporter, type TrainingReporter } from "../training/index.js";
import { loadExperimentConfig, strategyKinds, trainExperiment } from "../experiment/index.js";

function integer(flag: string, min: number) {
  return (v: string): number => {
    const n = Number(v);
    if (!Number.isInteger(n) || n < min) throw new InvalidArgumentError(`${flag} must be an integer >= ${min}. Received: ${v}`);
    return n;
  };
}

interface TrainFlags {
  config?: string;
  strategy?: string;
  fold?: number;
  folds?: number;
  epochs?: number;
  iterationsPerEpoch?: number;
  resume?: boolean;
  seed?: number;
  threads?: number;
  workers?: number;
  out: string;
  progress: boolean;
  json?: boolean;
  debug?: boolean;
}

export function trainCommand(): Command {
  return new Command("train")
    .description("train a segmentation model on one fold; the run directory is <out>/<dataset>/<plan>/<strategy>/fold_<k>/")
    .argument("<dataset>", "dataset folder (plans are made with the defaults if `labelwise plan` was not run)")
    .option("--config <file>", "experiment config (JSON); flags below override it")
    .addOption(new Option("--strategy <kind>", "training strategy").choices(strategyKinds()))
    .addOption(new Option("--fold <k>", "cross-validation fold (validation cases come from the training set)").argParser(integer("--fold", 0)))
    .addOption(new Option("--folds <n>", "number of cross-validation folds (default 5; 1 trains on every case without validation)").argParser(integer("--folds", 1)))
    .addOption(new Option("--epochs <n>", "epochs (with --resume: extend the run to n epochs)").argParser(integer("--epochs", 1)))
    .addOption(new Option("--iterations-per-epoch <n>", "optimizer steps per epoch").argParser(integer("--iterations-per-epoch", 1)))
    .option("--resume", "continue the run from its latest checkpoint (exactly: weights, optimizer, schedule, RNG, sampler)")
    .addOption(new Option("--seed <s>", "seed of weights, batches and augmentation").argParser(integer("--seed", 0)))
    .addOption(new Option("--threads <n>", "libtorch threads").argParser(integer("--threads", 1)))
    .addOption(new Option("--workers <n>", "batch-building worker threads (0: main thread)").argParser(integer("--workers", 0)))
    .addOption(new Option("--out <dir>", "root of the work folders").default("runs"))
    .option("--debug", "check after every step that no tensor leaked (slower)")
    .option("--json", "JSON-lines events on stdout even on a terminal")
    .option("--no-progress", "no progress bar (JSON lines instead)")
    .action(async (dataset: string, f: TrainFlags) => {
      const config = await loadExperimentConfig(f.config, {
        ...(f.strategy !== undefined ? { strategy: f.strategy } : {}),
        ...(f.fold !== undefined ? { fold: f.fold } : {}),
        ...(f.folds !== undefined ? { folds: f.folds } : {}),
        ...(f.epochs !== undefined ? { epochs: f.epochs } : {}),
        ...(f.iterationsPerEpoch !== undefined ? { iterationsPerEpoch: f.iterationsPerEpoch } : {}),
        ...(f.seed !== undefined ? { seed: f.seed } : {}),
        ...(f.threads !== undefined ? { threads: f.threads } : {}),
        ...(f.workers !== undefined ? { workers: f.workers } : {}),
        ...(f.debug ? { debug: true } : {}),
      });
      const bar = f.progress && !f.json && process.stderr.isTTY === true;
      const reporter: TrainingReporter = bar ? progressBarReporter(process.stderr) : jsonLinesReporter((line) => process.stdout.write(line));
      const controller = new AbortController();
      const onSigint = () => {
        if (controller.signal.aborted) process.exit(130);
        process.stderr.write("\nstopping at the next iteration boundary (a checkpoint is saved); press Ctrl-C again to quit now\n");
        controller.abort();
      };
      process.on("SIGINT", onSigint);
      try {
        const r = await trainExperiment({
          dataset,
          config,
          out: f.out,
          resume: f.resume ?? false,
          reporters: [reporter],
          signal: controller.signal,
          log: (m) => process.stderr.write(`${m}\n`),
        });
        if (r.status === "interrupted") throw new CommanderError(130, "labelwise.train.interrupted", "");
      } finally {
        process.off("SIGINT", onSigint);
      }
    });
}
