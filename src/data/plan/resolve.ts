// Plan configurations may extend one another ({"extends": "3d_fullres", "patchSize": [...]}).
// Resolution merges along the chain (child fields win) with cycle detection, then validates the
// result as a complete configuration.
import { readFile } from "node:fs/promises";
import { ConfigError } from "../errors.js";
import { parseJsonText, parseWith } from "../dataset/index.js";
import { writeJsonAtomic } from "../../util/index.js";
import { canonicalHash } from "./canonical.js";
import { type PlanConfiguration, PlanConfigurationSchema, type Plans, PlansSchema, type StoredPlanConfiguration } from "./schema.js";

/**
 * The complete configuration `name` of `plans`.
 * @throws ConfigError for an unknown name, an `extends` cycle or an incomplete result
 */
export function resolvePlanConfiguration(plans: Plans, name: string): PlanConfiguration {
  const chain: string[] = [];
  let merged: Record<string, unknown> = {};
  for (let cur: string | undefined = name; cur !== undefined; ) {
    if (chain.includes(cur)) {
      throw new ConfigError("plans", [{ path: `configurations.${name}`, message: `"extends" forms a cycle: ${[...chain, cur].join(" -> ")}` }]);
    }
    chain.push(cur);
    const stored: StoredPlanConfiguration | undefined = plans.configurations[cur];
    if (stored === undefined) {
      const known = Object.keys(plans.configurations).join(", ");
      const where = chain.length === 1 ? `configurations` : `configurations.${chain[chain.length - 2]}.extends`;
      throw new ConfigError("plans", [{ path: where, message: `no configuration "${cur}" (known: ${known})` }]);
    }
    const { extends: parent, ...fields }: StoredPlanConfiguration = stored;
    merged = { ...fields, ...merged };
    cur = parent;
  }
  return parseWith(PlanConfigurationSchema, merged, `plans configuration "${name}"`);
}

/**
 * The identity of what preprocessing produces under a configuration: a cache of preprocessed
 * cases is valid exactly while this hash is unchanged. Patch size, batch size and topology are
 * not part of it (they do not change the preprocessed voxels).
 */
export function preprocessingHash(plans: Plans, config: PlanConfiguration): string {
  return canonicalHash({
    preprocessor: 1,
    orientation: config.orientation,
    spacing: config.spacing,
    cropToNonzero: config.cropToNonzero,
    resampling: config.resampling,
    normalization: config.normalization,
    labels: plans.labels,
    ignoreLabel: plans.ignoreLabel,
    channels: plans.channels,
  });
}

/** Writes plans.json atomically (validated first). */
export async function savePlans(path: string, plans: Plans): Promise<void> {
  await writeJsonAtomic(path, parseWith(PlansSchema, plans, path));
}

/**
 * Reads and validates plans.json.
 * @throws ConfigError listing every schema issue
 */
export async function loadPlans(path: string): Promise<Plans> {
  return parseWith(PlansSchema, parseJsonText(await readFile(path, "utf8"), path), path);
}
