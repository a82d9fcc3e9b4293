// `labelwise serve --dataset <dir>`: the web app over one dataset (viewer, box annotation,
// training and prediction jobs). Binds 127.0.0.1 unless told otherwise and prints the URL with a
// fresh access token; Ctrl-C stops the server, not the jobs it started (a later serve on the same
// dataset reconnects to them).
import { Command, InvalidArgumentError, Option } from "commander";
import { DEFAULT_STRATEGIES, createServer } from "../server/index.js";

function portArg(value: string): number {
  const n = Number(value);
  if (!Number.isInteger(n) || n < 0 || n > 65535) throw new InvalidArgumentError(`--port must be an integer in 0..65535 (0: any free port). Received: ${value}`);
  return n;
}

function hostArg(value: string): string {
  if (!/^[A-Za-z0-9.:[\]-]{1,253}$/.test(value)) throw new InvalidArgumentError(`--host must be a host name or an IP address. Received: ${value}`);
  return value.replace(/^\[(.*)\]$/, "$1");
}

/**
 * The strategies `labelwise train` knows, with their summaries and the cases they learn from (the
 * registry loads the engine; without it, the server's default list).
 */
async function trainingStrategies(): Promise<{ names: readonly string[]; summaries: Record<string, string>; learnsFrom: Record<string, readonly string[]> }> {
  try {
    const { STRATEGIES, strategyKinds } = await import("../experiment/index.js");
    const entries = Object.entries(STRATEGIES);
    return {
      names: strategyKinds(),
      summaries: Object.fromEntries(entries.map(([k, v]) => [k, v.summary])),
      learnsFrom: Object.fromEntries(entries.map(([k, v]) => [k, v.learnsFrom])),
    };
  } catch {
    return { names: DEFAULT_STRATEGIES, summaries: {}, learnsFrom: {} };
  }
}

const LOOPBACK = /^(127\.\d+\.\d+\.\d+|::1|localhost)$/i;

interface ServeFlags {
  dataset: string;
  port: number;
  host: string;
  predictions?: string;
  runs?: string;
  log?: boolean;
}

/** Stops on SIGINT/SIGTERM; resolves when the server has closed. */
function untilSignal(close: () => Promise<void>): Promise<void> {
  return new Promise((resolve) => {
    const stop = () => {
      process.off("SIGINT", stop);
      process.off("SIGTERM", stop);
      process.stderr.write("labelwise serve: stopping (running jobs go on; serve this dataset again to follow them)\n");
      close().then(resolve, resolve);
    };
    process.on("SIGINT", stop);
    process.on("SIGTERM", stop);
  });
}

export function serveCommand(): Command {
  return new Command("serve")
    .description(
      "web app over a dataset: browse cases, view scans with label/prediction overlays, draw 3-D boxes per organ, " +
        "start training and prediction jobs and follow them live. Prints a URL with a one-time access token",
    )
    .requiredOption("-d, --dataset <dir>", "dataset folder (the one holding dataset.json)")
    .addOption(new Option("-p, --port <n>", "port (0: any free port)").default(8765).argParser(portArg))
    .addOption(new Option("--host <addr>", "address to bind; anything but loopback exposes the dataset to the network").default("127.0.0.1").argParser(hostArg))
    .option("--predictions <dir>", "folder of <case>.nii.gz predictions to show (default: <dataset>/.labelwise/predictions, where prediction jobs write)")
    .option("--runs <dir>", "root of the work folders of trainings started from the page (default: <dataset>/.labelwise/runs)")
    .option("--log", "log every request")
    .action(async (flags: ServeFlags) => {
      const strategies = await trainingStrategies();
      const server = await createServer({
        dataset: flags.dataset,
        strategies: strategies.names,
        strategySummaries: strategies.summaries,
        strategyLearnsFrom: strategies.learnsFrom,
        ...(flags.predictions !== undefined ? { predictionsDir: flags.predictions } : {}),
        ...(flags.runs !== undefined ? { runsDir: flags.runs } : {}),
        logger: flags.log === true,
      });
      let url: string;
      try {
        url = await server.listen(flags.port, flags.host);
      } catch (e) {
        await server.close();
        const code = (e as { code?: string }).code;
        if (code === "EADDRINUSE") throw new Error(`port ${flags.port} is in use: pick another with --port (0: any free port)`);
        throw e;
      }
      if (!LOOPBACK.test(flags.host)) {
        process.stderr.write(
          `labelwise serve: WARNING: listening on ${flags.host}, not loopback. Anyone who can reach this machine and learns the token ` +
            "can read the dataset and start jobs; traffic is not encrypted (use an SSH tunnel instead where you can).\n",
        );
      }
      process.stdout.write(`labelwise serve: ${server.service.root}\nOpen ${url}\n`);
      await untilSignal(() => server.close());
    });
}
