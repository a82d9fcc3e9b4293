// `labelwise plan <dataset>`: fingerprint the dataset and write fingerprint.json and plans.json
// (target spacing, patch size within a memory budget, topology, normalisation) into the work folder.
import { Command, InvalidArgumentError, Option } from "commander";
import { resolvePlanConfiguration } from "../data/index.js";
import { planDataset } from "../experiment/index.js";

function positive(flag: string, integer = true) {
  return (v: string): number => {
    const n = Number(v);
    if (!(n > 0) || !Number.isFinite(n) || (integer && !Number.isInteger(n))) throw new InvalidArgumentError(`${flag} must be a positive ${integer ? "integer" : "number"}. Received: ${v}`);
    return n;
  };
}

interface PlanFlags {
  out: string;
  memoryMib?: number;
  batchSize?: number;
  baseFilters?: number;
  maxFilters?: number;
  maxLevels?: number;
  maxPatchVoxels?: number;
  json?: boolean;
}

export function planCommand(): Command {
  return new Command("plan")
    .description("compute a dataset's fingerprint and plans (spacing, patch size, network topology, normalisation) into <out>/<dataset>/")
    .argument("<dataset>", "dataset folder (nnU-Net v2 raw layout, with dataset.json)")
    .addOption(new Option("--out <dir>", "root of the work folders").default("runs"))
    .addOption(new Option("--memory-mib <n>", "training memory budget for the patch (planner's estimate; default 2048)").argParser(positive("--memory-mib", false)))
    .addOption(new Option("--batch-size <n>", "patches per batch (default 2)").argParser(positive("--batch-size")))
    .addOption(new Option("--base-filters <n>", "channels of the first level (default 32)").argParser(positive("--base-filters")))
    .addOption(new Option("--max-filters <n>", "channel cap (default 320)").argParser(positive("--max-filters")))
    .addOption(new Option("--max-levels <n>", "resolution levels at most (default 6)").argParser(positive("--max-levels")))
    .addOption(new Option("--max-patch-voxels <n>", "cap the patch at this many voxels (CPU time grows with it)").argParser(positive("--max-patch-voxels")))
    .option("--json", "print the plans as JSON")
    .action(async (dataset: string, f: PlanFlags) => {
      const progress = process.stderr.isTTY
        ? (done: number, total: number, id: string) => process.stderr.write(`\r\x1b[Kfingerprint ${done}/${total} ${id}${done === total ? "\n" : ""}`)
        : undefined;
      const r = await planDataset(dataset, {
        out: f.out,
        ...(f.memoryMib ? { memoryBudgetMiB: f.memoryMib } : {}),
        ...(f.batchSize ? { batchSize: f.batchSize } : {}),
        ...(f.baseFilters ? { baseFilters: f.baseFilters } : {}),
        ...(f.maxFilters ? { maxFilters: f.maxFilters } : {}),
        ...(f.maxLevels ? { maxLevels: f.maxLevels } : {}),
        ...(f.maxPatchVoxels ? { maxPatchVoxels: f.maxPatchVoxels } : {}),
        ...(progress ? { onProgress: progress } : {}),
      });
      if (f.json) {
        process.stdout.write(`${JSON.stringify(r.plans, null, 2)}\n`);
        return;
      }
      const lines = [`plans for ${r.plans.dataset}: ${r.fingerprint.cases.length} cases, ${r.plans.numClasses} classes, channels ${r.plans.channels.join(", ")}`];
      for (const name of Object.keys(r.plans.configurations)) {
        const c = resolvePlanConfiguration(r.plans, name);
        const norm = c.normalization.map((n) => `${n.name}: ${n.scheme}${n.scheme === "zscore" && n.useNonzeroMask ? " (non-zero mask)" : ""}`).join(", ");
        lines.push(
          `  ${name}: spacing ${c.spacing.map((s) => s.toFixed(3)).join(" x ")} mm (x y z), median shape ${c.medianShape.join(" x ")}`,
          `    patch ${c.patchSize.join(" x ")}, batch ${c.batchSize}, ${c.network.levels} levels, pooling ${c.network.strides.slice(1).map((s) => `(${s.join(",")})`).join(" ")}, ~${c.estimatedMemoryMiB} MiB`,
          `    normalisation ${norm}`,
        );
      }
      lines.push(`wrote ${r.workspace.fingerprint}`, `wrote ${r.workspace.plans}`);
      process.stdout.write(`${lines.join("\n")}\n`);
    });
}
