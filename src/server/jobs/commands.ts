// The command lines of the page's jobs: `labelwise train`, `labelwise predict` and `labelwise
// suggest`, run with the same Node.js and the same labelwise as the server. Folders come from the
// server's configuration (runs and predictions under `<dataset>/.labelwise/`, the job's own folder)
// and the dataset listing; the request only chooses among them (a strategy name, an earlier job's
// id, a case id) and sends settings that go into a validated config file, never into a path.
import { access, mkdir } from "node:fs/promises";
import path from "node:path";
import { fileURLToPath } from "node:url";
import type { DatasetService } from "../dataset-service.js";
import { writeJsonAtomic } from "../../util/index.js";
import { JobRequestError, type JobSpec, type TrainSpec } from "./job-types.js";
import { trainConfigFor } from "./train-config.js";
import type { JobCommand, JobCommandFactory, JobContext } from "./runner.js";

/** The labelwise launcher (bin/labelwise.js) of this installation. */
export function labelwiseBin(): string {
  // dist/src/server/jobs/commands.js -> <package>/bin/labelwise.js
  return fileURLToPath(new URL("../../../../bin/labelwise.js", import.meta.url));
}

/** Options of {@link labelwiseCommands}. */
export interface LabelwiseCommandOptions {
  readonly service: DatasetService;
  /** Launcher script. @default {@link labelwiseBin} */
  readonly bin?: string;
}

const exists = (p: string) => access(p).then(() => true, () => false);

/** Where a suggest job writes its ranking, in its job folder. */
export const SUGGESTIONS_FILE = "suggestions.json";

/** The run folder of a finished training job (the model of a prediction or a ranking). */
async function trainedRun(id: string, ctx: JobContext): Promise<string> {
  const model = ctx.job(id);
  if (!model || model.kind !== "train") throw new JobRequestError(400, `no training job ${id}: pick a trained model`);
  if (model.status === "running") throw new JobRequestError(409, `training job ${id} is still running`);
  if (model.runDir === null || !(await exists(model.runDir))) {
    throw new JobRequestError(400, `training job ${id} left no run folder (it stopped before training started)`);
  }
  return model.runDir;
}

/** Builds `labelwise train` / `labelwise predict` command lines for the page's jobs. */
export function labelwiseCommands(opts: LabelwiseCommandOptions): JobCommandFactory {
  const { service } = opts;
  const bin = opts.bin ?? labelwiseBin();
  const node = (args: string[], outputDir: string): JobCommand => ({ command: process.execPath, args: [bin, ...args], outputDir, cwd: service.root });

  return async (spec: JobSpec, ctx: JobContext): Promise<JobCommand> => {
    if (spec.kind === "train") {
      // Each page training gets its own work folder (`--out`), so a new training never collides
      // with an earlier run's checkpoint; resuming reuses the earlier job's folder and settings.
      let outRoot = path.join(service.runsDir, ctx.id);
      let settings: TrainSpec = spec;
      const args = ["train", service.root, "--strategy", spec.strategy];
      if (spec.resume !== undefined) {
        const prev = ctx.job(spec.resume);
        if (!prev || prev.kind !== "train" || prev.outputDir === null) throw new JobRequestError(400, `no training job ${spec.resume} to resume`);
        if (prev.status === "running") throw new JobRequestError(409, `training job ${spec.resume} is still running`);
        if (prev.spec.kind === "train" && prev.spec.strategy !== spec.strategy) {
          throw new JobRequestError(400, `job ${spec.resume} trained strategy ${prev.spec.strategy}, not ${spec.strategy}`);
        }
        outRoot = prev.outputDir;
        // The run's config must not change on resume (only its length): the earlier job's settings.
        if (prev.spec.kind === "train") settings = { ...prev.spec, ...(spec.epochs !== undefined ? { epochs: spec.epochs } : {}) };
        args.push("--resume");
      }
      const config = await trainConfigFor(settings);
      await mkdir(ctx.jobDir, { recursive: true });
      const configFile = path.join(ctx.jobDir, "config.json");
      await writeJsonAtomic(configFile, config);
      args.push("--config", configFile, "--out", outRoot, "--json", "--no-progress");
      return node(args, outRoot);
    }
    if (spec.kind === "suggest") {
      const runDir = await trainedRun(spec.model, ctx);
      // The ranking goes to the job's own folder; GET /api/jobs/:id/suggestions reads it from there.
      // Its progress (JSON lines on stderr) shows in the job's log.
      return node(["suggest", "-m", runDir, "-d", service.root, "-o", path.join(ctx.jobDir, SUGGESTIONS_FILE)], ctx.jobDir);
    }
    const runDir = await trainedRun(spec.model, ctx);
    const out = service.predictionsDir;
    const ds = await service.dataset();
    let input: string;
    let output = out;
    if (spec.scope === "case") {
      const found = spec.caseId === undefined ? undefined : await service.find(spec.caseId);
      if (!found) throw new JobRequestError(400, `no case ${JSON.stringify(spec.caseId ?? "")} in the dataset`);
      if (found.case.images.length !== 1) throw new JobRequestError(400, "one case of a multi-channel dataset cannot be predicted alone yet: predict all training or test scans");
      input = found.case.images[0]!;
      output = path.join(out, `${found.case.id}.nii.gz`);
    } else {
      input = path.join(ds.root, spec.scope === "train" ? "imagesTr" : "imagesTs");
      if (!(await exists(input))) throw new JobRequestError(400, `the dataset has no ${path.basename(input)} folder`);
    }
    return node(["predict", "-i", input, "-o", output, "-m", runDir, "--json", "--no-progress"], out);
  };
}
