// labelwise side of the engine benchmark, run as its own child process (so its peak RSS is this
// process's maxRSS): build the U-Net, run `--warmup` untimed steps, then `--steps` timed ones, and
// print one JSON line with the step times, the peak RSS and the engine's own memory counters.
// Arguments mirror bench/engine/reference.py.
import { getPriority } from "node:os";
import { parseArgs } from "node:util";
import {
  crossEntropy,
  engineInfo,
  manualSeed,
  memory,
  noGrad,
  numThreads,
  randint,
  randn,
  resetPeakMemory,
  setNumThreads,
  tidy,
} from "../../src/tensor/index.js";
import { Adam } from "../../src/nn/index.js";
import { LoadMeter, loadedBlas } from "../harness/index.js";
import { UNet3d } from "./unet.js";

const { values: a } = parseArgs({
  options: {
    mode: { type: "string" },
    batch: { type: "string" },
    size: { type: "string" },
    warmup: { type: "string", default: "2" },
    steps: { type: "string", default: "5" },
    threads: { type: "string", default: "2" },
    seed: { type: "string", default: "0" },
  },
});

const mode = a.mode;
if (mode !== "train" && mode !== "infer") throw new TypeError(`--mode must be train or infer. Received: ${mode}`);
const batch = Number(a.batch);
const size = Number(a.size);
const warmup = Number(a.warmup);
const steps = Number(a.steps);

setNumThreads(Number(a.threads));
manualSeed(Number(a.seed));
const model = new UNet3d();
const shape = [batch, 1, size, size, size];
const x = randn(shape);
const y = randint(0, 2, [batch, size, size, size]);
const setupRssKiB = process.resourceUsage().maxRSS;

let step: () => number;
if (mode === "train") {
  model.train();
  const opt = new Adam(model.parameters(), { lr: 1e-3 });
  step = () =>
    tidy(() => {
      const logits = model.forward(x);
      const loss = crossEntropy(logits, y);
      logits.dispose();
      loss.backward();
      opt.step();
      opt.zeroGrad();
      return loss.item();
    });
} else {
  model.eval();
  step = () =>
    noGrad(() =>
      tidy(() => {
        const logits = model.forward(x);
        return logits.flatten().slice(0, 0, 1).item();
      }),
    );
}

const values: number[] = [];
const times: number[] = [];
const background: number[] = [];
const meter = new LoadMeter();
resetPeakMemory();
for (let i = 0; i < warmup + steps; i++) {
  meter.start();
  const t0 = performance.now();
  values.push(step());
  const dt = (performance.now() - t0) / 1000;
  const other = meter.stop();
  if (i >= warmup) {
    times.push(dt);
    background.push(other);
  }
}

const out = {
  side: "labelwise",
  mode,
  shape,
  threads: numThreads(),
  times,
  background,
  values,
  maxRssKiB: process.resourceUsage().maxRSS,
  nice: getPriority(),
  cpuSeconds: (process.cpuUsage().user + process.cpuUsage().system) / 1e6,
  setupRssKiB,
  enginePeakBytes: memory().peakBytes,
  liveTensorsAfter: memory().liveTensors,
  torchVersion: engineInfo().torchVersion,
  blas: loadedBlas(),
};
process.stdout.write(`${JSON.stringify(out)}\n`);
