// The experiment config of a training started from the page: the form's fields (strategy, epochs,
// labelled subset, iterations per epoch, seed) laid over the optional JSON config the user typed,
// validated with the experiment config schema before any process starts, so a misspelt key is a
// 400 listing every issue with its path rather than a failed job. The experiment module is
// imported on first use: it loads the engine, which the server does not need to show scans.
import { ConfigError } from "../../data/errors.js";
import { JobRequestError, type TrainSpec } from "./job-types.js";

type Obj = Record<string, unknown>;
const isObj = (v: unknown): v is Obj => v !== null && typeof v === "object" && !Array.isArray(v);

/**
 * The config object `labelwise train --config` gets for this request (not yet defaulted: the
 * command resolves the defaults itself, as for a config file written by hand).
 * @throws JobRequestError 400 with one problem per issue when the config does not validate
 */
export async function trainConfigFor(spec: TrainSpec): Promise<Obj> {
  const raw = spec.config ?? {};
  const split = raw.split;
  // The server builds no path from client input: a splits file would name one on the server.
  if (isObj(split) && split.file !== undefined) {
    throw new JobRequestError(400, "config.split.file cannot be set from the page: it names a file on the server; set split.labelled instead", [
      `split.file: not allowed from the page (received ${JSON.stringify(split.file)})`,
    ]);
  }
  const { applyOverrides, parseExperimentConfig } = await import("../../experiment/config.js");
  try {
    const cfg = applyOverrides(raw, {
      strategy: spec.strategy,
      ...(spec.epochs !== undefined ? { epochs: spec.epochs } : {}),
      ...(spec.iterationsPerEpoch !== undefined ? { iterationsPerEpoch: spec.iterationsPerEpoch } : {}),
      ...(spec.seed !== undefined ? { seed: spec.seed } : {}),
    }, "job config");
    if (spec.labelled !== undefined) {
      const s = isObj(cfg.split) ? cfg.split : (cfg.split = {});
      (s as Obj).labelled = { ...spec.labelled };
    }
    parseExperimentConfig(cfg, "job config");
    return cfg;
  } catch (e) {
    if (e instanceof ConfigError) {
      const problems = e.issues.map((i) => `${i.path === "" ? "(config)" : i.path}: ${i.message}`);
      throw new JobRequestError(400, `the training config is not valid: ${problems.join("; ")}`, problems);
    }
    throw e;
  }
}
