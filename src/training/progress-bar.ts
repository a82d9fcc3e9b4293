// A terminal progress bar for training (cli-progress): one bar over all iterations with epoch,
// loss, learning rate, speed and the last validation Dice; epoch summaries and validation results
// are printed above it (the bar is stopped, the line written, the bar redrawn).
import cliProgress from "cli-progress";
import type { TrainingEvent, TrainingReporter } from "./events.js";

const fmt = (x: number | null | undefined, digits = 4) => (x === null || x === undefined || !Number.isFinite(x) ? "-" : x.toFixed(digits));

/** A progress bar on `stream` (a TTY). */
export function progressBarReporter(stream: NodeJS.WriteStream): TrainingReporter {
  const bar = new cliProgress.SingleBar(
    {
      stream,
      format: "{bar} {value}/{total} it | epoch {epoch}/{epochs} | loss {loss} | lr {lr} | {speed} s/it | val Dice {dice} | eta {eta_formatted}",
      hideCursor: true,
      clearOnComplete: false,
      etaBuffer: 50,
      fps: 5,
    },
    cliProgress.Presets.shades_classic,
  );
  const payload = { epoch: 0, epochs: 0, loss: "-", lr: "-", speed: "-", dice: "-" };
  let total = 0;
  let value = 0;
  let running = false;
  const show = () => {
    bar.start(total, value, payload);
    running = true;
  };
  const hide = () => {
    if (running) bar.stop();
    running = false;
  };
  const log = (line: string, redraw = true) => {
    hide();
    stream.write(`${line}\n`);
    if (redraw) show();
  };
  return {
    onEvent(e: TrainingEvent) {
      switch (e.event) {
        case "start":
          total = e.totalIterations;
          value = e.iteration;
          payload.epochs = e.epochs;
          payload.epoch = Math.floor(e.iteration / e.iterationsPerEpoch) + 1;
          log(`${e.resumed ? "resuming" : "training"} in ${e.runDir} from iteration ${e.iteration} of ${e.totalIterations} (${e.epochs} epochs × ${e.iterationsPerEpoch})`);
          break;
        case "iteration":
          value = e.iteration + 1;
          Object.assign(payload, { epoch: e.epoch + 1, loss: fmt(e.loss), lr: fmt(e.lr, 6), speed: fmt(e.seconds, 2) });
          bar.update(value, payload);
          break;
        case "epoch":
          log(`epoch ${e.epoch + 1}/${payload.epochs}: mean loss ${fmt(e.meanLoss)}, lr ${fmt(e.lr, 6)}, ${e.seconds.toFixed(1)} s`, value < total);
          break;
        case "validation": {
          payload.dice = fmt(e.meanDice, 3);
          const per = Object.entries(e.dice).map(([k, v]) => `${k} ${fmt(v, 3)}`).join(", ");
          log(`validation (${e.cases} cases): mean Dice ${payload.dice}${e.best ? " (best)" : ""} — ${per}`, value < total);
          break;
        }
        case "checkpoint":
          break;
        case "interrupted":
          log(`interrupted at iteration ${e.iteration}; checkpoint saved (${e.file}). Continue with --resume.`, false);
          break;
        case "end":
          log(`done: ${e.iteration} iterations in ${e.seconds.toFixed(1)} s${e.best ? `, best ${e.best.metric} ${fmt(e.best.value)} at iteration ${e.best.iteration}` : ""}`, false);
          break;
      }
    },
    close: hide,
  };
}
