// `labelwise check <dataset>`: integrity check of a dataset folder. Prints one line per problem
// (ERROR/WARN, case, file, field, detail) and a summary line, or a JSON report with --json; exits
// 1 when any error is found (or any warning, with --strict), 0 otherwise.
import { Command, CommanderError, InvalidArgumentError, Option } from "commander";
import { checkDataset, formatProblems, formatSummary, type CheckOptions } from "../data/index.js";

function positiveNumber(flag: string, integer: boolean) {
  return (value: string): number => {
    const n = Number(value);
    if (!(n > 0) || !Number.isFinite(n) || (integer && !Number.isInteger(n))) {
      throw new InvalidArgumentError(`${flag} must be a positive ${integer ? "integer" : "number"}. Received: ${value}`);
    }
    return n;
  };
}

interface CheckFlags {
  json?: boolean;
  strict?: boolean;
  concurrency: number;
  spacingTol?: number;
  originTol?: number;
  directionTol?: number;
  affineTol?: number;
  maxMib?: number;
  progress: boolean;
}

/** A one-line progress display on stderr (only when it is a terminal). */
function progressReporter(enabled: boolean): { onProgress?: CheckOptions["onProgress"]; done(): void } {
  if (!enabled) return { done() {} };
  let last = 0;
  return {
    onProgress(done, total, caseId) {
      const now = Date.now();
      if (now - last < 100 && done < total) return;
      last = now;
      process.stderr.write(`\r\x1b[Kchecking ${done}/${total} ${caseId}`);
    },
    done() {
      process.stderr.write("\r\x1b[K");
    },
  };
}

export function checkCommand(): Command {
  return new Command("check")
    .description(
      "check a dataset folder (nnU-Net v2 raw layout, labelwise.json, boxes/, splits.json): missing files, numTraining, " +
        "label values, image/label geometry, NaN/Inf, empty labels, boxes, duplicate cases, unreadable files",
    )
    .argument("<dataset>", "dataset folder (the one holding dataset.json)")
    .option("--json", "print a machine-readable JSON report instead of lines")
    .option("--strict", "exit non-zero on warnings too")
    .addOption(new Option("--concurrency <n>", "cases read at once").default(2).argParser(positiveNumber("--concurrency", true)))
    .addOption(new Option("--spacing-tol <rel>", "relative spacing tolerance (default 1e-5)").argParser(positiveNumber("--spacing-tol", false)))
    .addOption(new Option("--origin-tol <mm>", "origin tolerance in mm (default 1e-3)").argParser(positiveNumber("--origin-tol", false)))
    .addOption(new Option("--direction-tol <abs>", "direction cosine tolerance (default 1e-4)").argParser(positiveNumber("--direction-tol", false)))
    .addOption(new Option("--affine-tol <rel>", "relative affine tolerance (default 1e-4)").argParser(positiveNumber("--affine-tol", false)))
    .addOption(new Option("--max-mib <n>", "refuse files that decode to more than this many MiB (default 2048)").argParser(positiveNumber("--max-mib", false)))
    .option("--no-progress", "no progress line on stderr (it is shown only on a terminal anyway)")
    .action(async (dataset: string, flags: CheckFlags) => {
      const progress = progressReporter(flags.progress && process.stderr.isTTY === true);
      const report = await checkDataset(dataset, {
        concurrency: flags.concurrency,
        tolerances: { spacing: flags.spacingTol, origin: flags.originTol, direction: flags.directionTol, affine: flags.affineTol },
        read: flags.maxMib === undefined ? {} : { maxBytes: flags.maxMib * 1024 * 1024 },
        ...(progress.onProgress ? { onProgress: progress.onProgress } : {}),
      });
      progress.done();
      if (flags.json) {
        process.stdout.write(`${JSON.stringify(report, null, 2)}\n`);
      } else {
        const lines = [...formatProblems(report), formatSummary(report)];
        process.stdout.write(`${lines.join("\n")}\n`);
      }
      if (report.errors > 0 || (flags.strict && report.warnings > 0)) {
        throw new CommanderError(1, "labelwise.check.failed", "");
      }
    });
}
