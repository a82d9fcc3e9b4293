// Training strategies (L5): each implements the Trainer's Strategy interface and exports its zod
// config schema and factory; src/experiment registers them by `kind`.
export { SupervisedStrategy, SupervisedConfigSchema, createSupervisedStrategy, deepSupervisionWeights, type SupervisedConfig } from "./supervised.js";
