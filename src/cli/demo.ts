// `labelwise demo`: the whole pipeline offline — a generated phantom dataset, plan, supervised
// training, prediction of the test scans and their evaluation — then the Dice per class and where
// everything went. Progress goes to stderr (a progress bar on a terminal, JSON lines otherwise);
// the summary goes to stdout.
import { Command, InvalidArgumentError, Option } from "commander";
import { type DemoEvent, type DemoResult, runDemo } from "../experiment/index.js";
import { jsonLinesReporter, progressBarReporter, type TrainingReporter } from "../training/index.js";

function integer(flag: string, min: number) {
  return (v: string): number => {
    const n = Number(v);
    if (!Number.isSafeInteger(n) || n < min) throw new InvalidArgumentError(`${flag} must be an integer >= ${min}. Received: ${v}`);
    return n;
  };
}

interface DemoFlags {
  out: string;
  seed: number;
  threads?: number;
  quick?: boolean;
}

function duration(s: number): string {
  if (s < 60) return `${s.toFixed(s < 10 ? 1 : 0)} s`;
  const m = Math.floor(s / 60);
  return `${m} min ${Math.round(s - 60 * m)} s`;
}

/** Human progress on a terminal: one line per stage and per predicted case, the trainer's bar. */
function terminalProgress(write: (s: string) => void): (e: DemoEvent) => void {
  return (e) => {
    switch (e.event) {
      case "stage":
        write(`» ${e.message}\n`);
        return;
      case "stage-done":
        write(`  ${e.message} (${duration(e.seconds)})\n`);
        return;
      case "log":
        write(`  ${e.message}\n`);
        return;
      case "predict": {
        const b = e.batch;
        if (b.type === "done") write(`  [${b.index + 1}/${b.total}] ${b.id}: ${b.prediction.windows} windows, ${b.seconds.toFixed(1)} s\n`);
        else if (b.type === "fail") write(`  [${b.index + 1}/${b.total}] ${b.id} FAILED: ${b.error.message}\n`);
        else if (b.type === "warning") write(`  ${b.id}: warning: ${b.message}\n`);
        return;
      }
      case "evaluate":
        return;
    }
  };
}

/** JSON lines (logs, pipes, CI): the demo's events beside the trainer's. */
function jsonProgress(write: (s: string) => void): (e: DemoEvent) => void {
  const line = (o: Record<string, unknown>) => write(`${JSON.stringify({ time: new Date().toISOString(), ...o })}\n`);
  return (e) => {
    if (e.event !== "predict") return line({ ...e, event: `demo.${e.event}` });
    const b = e.batch;
    if (b.type === "windows") return;
    if (b.type === "done") return line({ event: "demo.predict", type: b.type, id: b.id, index: b.index, total: b.total, seconds: b.seconds, windows: b.prediction.windows, outputs: b.outputs });
    if (b.type === "fail") return line({ event: "demo.predict", type: b.type, id: b.id, index: b.index, total: b.total, error: b.error.message });
    line({ event: "demo.predict", ...b });
  };
}

/** The summary printed on stdout. */
export function demoSummary(r: DemoResult, quick: boolean): string {
  const f3 = (v: number) => (Number.isFinite(v) ? v.toFixed(3) : "n/a");
  const width = Math.max(4, ...r.dice.map((d) => d.name.length));
  const s = r.seconds;
  const lines = [
    `labelwise demo finished in ${duration(s.total)} (generate ${duration(s.generate)}, plan ${duration(s.plan)}, train ${duration(s.train)}, predict ${duration(s.predict)}, evaluate ${duration(s.evaluate)})`,
    "",
    `Dice on ${r.testCases} test case(s), mean ± sd${quick ? " (quick mode: a tiny training, not representative)" : ""}`,
    ...r.dice.map((d) => `  ${d.name.padEnd(width)}  ${f3(d.mean)} ± ${f3(d.std)}`),
    `  ${"mean".padEnd(width)}  ${f3(r.meanDice)}`,
    "",
    `run directory  ${r.runDir}`,
    `predictions    ${r.predictionsDir}`,
    ...r.predictions.map((p) => `  ${p}`),
    `summary        ${r.evaluation.markdown}`,
    `plot           ${r.evaluation.png}`,
    `dataset        ${r.dataset}`,
    "",
    "Next: segment your own scans with the trained model, and evaluate them:",
    `  labelwise predict -m ${r.runDir} -i <scan.nii.gz or folder> -o <output folder>`,
    `  labelwise evaluate --pred <output folder> --ref <reference labels>`,
  ];
  return `${lines.join("\n")}\n`;
}

export function demoCommand(): Command {
  return new Command("demo")
    .description(
      "the whole pipeline offline: generate a synthetic phantom dataset, plan, train a supervised U-Net, predict the test scans and evaluate them " +
        "(about 6 minutes on 2 cores); prints the Dice per class and where the predictions, report and plot are",
    )
    .addOption(new Option("--out <dir>", "folder for everything the demo writes (an earlier demo's folder is replaced; any other non-empty folder is refused)").default("labelwise-demo"))
    .addOption(new Option("--seed <n>", "seed of the phantoms and of training").default(0).argParser(integer("--seed", 0)))
    .addOption(new Option("--threads <n>", "libtorch threads (default: all cores)").argParser(integer("--threads", 1)))
    .option("--quick", "a tiny dataset and a short training (well under 90 s; for tests — its Dice is not representative)")
    .action(async (f: DemoFlags) => {
      // libgomp's threads spin while they wait for work. On a machine whose cores are also busy with
      // something else — here the batch-building worker, or any other process — a spinning thread
      // keeps the one holding the work off its core and a training step takes 5-10× longer. The
      // setting is read when libtorch loads, which is later (on first use of a tensor).
      process.env.OMP_WAIT_POLICY ??= "passive";
      const tty = process.stderr.isTTY === true;
      const write = (s: string) => void process.stderr.write(s);
      const reporter: TrainingReporter = tty ? progressBarReporter(process.stderr) : jsonLinesReporter(write);
      const r = await runDemo({
        out: f.out,
        seed: f.seed,
        quick: f.quick ?? false,
        ...(f.threads !== undefined ? { threads: f.threads } : {}),
        reporters: [reporter],
        onEvent: tty ? terminalProgress(write) : jsonProgress(write),
      });
      process.stdout.write(demoSummary(r, f.quick ?? false));
    });
}
