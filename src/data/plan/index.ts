// Experiment planning: fingerprint + dataset.json -> plans.json (target spacing, patch size within
// a memory budget, network topology, normalisation), configurations with `extends`, and the
// preprocessing hash that keys the case cache.
export {
  PlansSchema,
  PlanConfigurationSchema,
  StoredPlanConfigurationSchema,
  ChannelNormalizationSchema,
  NetworkTopologySchema,
  PLANS_JSON,
  PLANS_VERSION,
  DEFAULT_CONFIGURATION,
  type Plans,
  type PlanConfiguration,
  type StoredPlanConfiguration,
  type ChannelNormalization,
  type NetworkTopology,
} from "./schema.js";
export { planExperiment, PLANNER_NAME, PLANNER_VERSION, type PlannerOptions } from "./planner.js";
export { planTopology, topologyDivisor, levelChannels, type Topology, type TopologyOptions } from "./topology.js";
export { estimateTrainingBytes, type MemoryModel } from "./memory.js";
export { targetSpacing, median } from "./target-spacing.js";
export { resolvePlanConfiguration, preprocessingHash, savePlans, loadPlans } from "./resolve.js";
export { canonicalJson, canonicalHash } from "./canonical.js";
