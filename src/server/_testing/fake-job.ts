// A stand-in for `labelwise train` in tests: prints JSON-lines progress like a training run,
// and on SIGINT records that the signal arrived (the file named by --sigint-file), prints an
// "interrupted" event and exits 130, as a run that saved a resumable checkpoint would.
import { copyFileSync, mkdirSync, writeFileSync } from "node:fs";
import path from "node:path";

const args = process.argv.slice(2);
const flag = (name: string, fallback: string) => {
  const i = args.indexOf(name);
  return i >= 0 && args[i + 1] !== undefined ? args[i + 1]! : fallback;
};
const epochs = Number(flag("--epochs", "5"));
const interval = Number(flag("--interval", "50"));
const sigintFile = flag("--sigint-file", "");
const failAt = Number(flag("--fail-at", "-1"));
const runDir = flag("--run-dir", "");
// --copy <from> <to>: "predict" by copying a file when done (the e2e test's stand-in for a model).
const copyAt = args.indexOf("--copy");
const copy = copyAt >= 0 ? { from: args[copyAt + 1]!, to: args[copyAt + 2]! } : null;

const say = (o: object) => process.stdout.write(`${JSON.stringify(o)}\n`);
process.stderr.write("fake-job: starting\n");
process.stdout.write("plain text line\n");
if (runDir) {
  mkdirSync(runDir, { recursive: true });
  say({ event: "start", runDir, iteration: 0, epochs, resumed: false });
}
let epoch = 0;
const timer = setInterval(() => {
  epoch++;
  if (epoch === failAt) {
    process.stderr.write("fake-job: simulated failure\n");
    process.exit(3);
  }
  say({ type: "epoch", epoch, epochs, loss: 1 / (1 + epoch), valDice: epoch / (epochs + 1) });
  if (epoch >= epochs) {
    clearInterval(timer);
    if (copy) {
      mkdirSync(path.dirname(copy.to), { recursive: true });
      copyFileSync(copy.from, copy.to);
    }
    say({ type: "done", epochs });
  }
}, interval);
process.on("SIGINT", () => {
  clearInterval(timer);
  if (sigintFile) writeFileSync(sigintFile, `SIGINT at epoch ${epoch}\n`);
  say({ type: "interrupted", epoch, message: "checkpoint saved; resume with --resume" });
  setTimeout(() => process.exit(130), 20);
});
