// `labelwise info`: what engine this machine runs (libtorch, threads, BLAS, devices) and how fast
// a small 3-D convolution is, so users can check a setup before training.
import { readFileSync } from "node:fs";
import { availableParallelism, cpus } from "node:os";
import { Command, Option } from "commander";
import { conv3d, engineInfo, randn, setNumThreads, tidy } from "../tensor/index.js";
import { packageVersion } from "./package-version.js";

/** Shared libraries matching BLAS names mapped into this process (which BLAS libtorch really uses). */
function loadedBlas(): string[] {
  try {
    const maps = readFileSync("/proc/self/maps", "utf8");
    const libs = new Set<string>();
    for (const line of maps.split("\n")) {
      const path = line.slice(line.indexOf("/"));
      if (/blas|lapack|mkl/i.test(path) && line.includes("/")) libs.add(path.trim());
    }
    return [...libs];
  } catch {
    return ["unknown (no /proc/self/maps)"];
  }
}

function median(xs: number[]): number {
  const s = [...xs].sort((a, b) => a - b);
  return s[Math.floor(s.length / 2)] as number;
}

/** Median milliseconds of a forward+backward conv3d (1×16×32³, 3×3×3, 16→16 channels). */
function timeConv3d(repeats: number): { forwardMs: number; backwardMs: number } {
  const fwd: number[] = [];
  const bwd: number[] = [];
  for (let i = 0; i < repeats + 1 /* the first run warms up oneDNN */; i++) {
    tidy(() => {
      const x = randn([1, 16, 32, 32, 32]);
      const w = randn([16, 16, 3, 3, 3]).setRequiresGrad();
      const t0 = performance.now();
      const y = conv3d(x, w, null, { padding: 1 });
      const t1 = performance.now();
      const loss = y.sum();
      const t2 = performance.now();
      loss.backward();
      const t3 = performance.now();
      if (i > 0) {
        fwd.push(t1 - t0);
        bwd.push(t3 - t2);
      }
    });
  }
  return { forwardMs: median(fwd), backwardMs: median(bwd) };
}

export function infoCommand(): Command {
  return new Command("info")
    .description("show the engine (libtorch version, threads, BLAS, devices) and a short conv3d timing")
    .addOption(new Option("--threads <n>", "intra-op threads").default(String(availableParallelism())))
    .option("--json", "print machine-readable JSON")
    .option("--no-timing", "skip the conv3d timing")
    .action((opts: { threads: string; json?: boolean; timing: boolean }) => {
      const threads = Number(opts.threads);
      if (!Number.isInteger(threads) || threads < 1) throw new Error(`--threads must be a positive integer. Received: ${opts.threads}`);
      setNumThreads(threads);
      const e = engineInfo();
      const timing = opts.timing ? timeConv3d(3) : null;
      const report = {
        labelwise: packageVersion(),
        node: process.version,
        libtorch: e.torchVersion,
        threads: e.numThreads,
        cpu: `${cpus()[0]?.model ?? "unknown"} (${availableParallelism()} logical cores)`,
        openmp: e.openmp,
        mkldnn: e.mkldnn,
        blas: loadedBlas(),
        cuda: e.cudaAvailable ? `${e.cudaDeviceCount} device(s)` : "not available",
        conv3d: timing,
      };
      if (opts.json) {
        console.log(JSON.stringify(report, null, 2));
        return;
      }
      console.log(`labelwise ${report.labelwise} (node ${report.node})`);
      console.log(`engine     libtorch ${report.libtorch}, ${report.threads} intra-op thread(s), OpenMP ${report.openmp ? "yes" : "no"}, oneDNN ${report.mkldnn ? "yes" : "no"}`);
      console.log(`cpu        ${report.cpu}`);
      console.log(`blas       ${report.blas.length ? report.blas.join(", ") : "none loaded"}`);
      console.log(`cuda       ${report.cuda}`);
      if (timing) {
        console.log(`conv3d     1x16x32³ 3x3x3 16→16: forward ${timing.forwardMs.toFixed(1)} ms, backward ${timing.backwardMs.toFixed(1)} ms (median of 3)`);
      }
    });
}
