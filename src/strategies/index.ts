// Training strategies (L5): each implements the Trainer's Strategy interface and exports its zod
// config schema and factory; src/experiment registers them by `kind`.
export { SupervisedStrategy, SupervisedConfigSchema, createSupervisedStrategy, deepSupervisionWeights, type SupervisedConfig } from "./supervised.js";
export { FBAStrategy, FBAConfigSchema, createFBAStrategy, fbaHeadPool, type FBAConfig } from "./fba.js";
export { DualContrastStrategy, DualContrastConfigSchema, createDualContrastStrategy, subnetworkBConfig, type DualContrastConfig } from "./dual-contrast.js";
export { BoxStrategy, BoxConfigSchema, createBoxStrategy, type BoxConfig, type TemplateOrigin } from "./box.js";
export { MeanTeacherStrategy, MeanTeacherConfigSchema, createMeanTeacherStrategy, type MeanTeacherConfig } from "./mean-teacher.js";
export { CrossPseudoStrategy, CrossPseudoConfigSchema, createCrossPseudoStrategy, type CrossPseudoConfig } from "./cross-pseudo.js";
export { logMeanSoftmax } from "./_internal/semi-common.js";
export { BCPStrategy, BCPConfigSchema, createBCPStrategy, type BCPConfig, type BCPInputs, type BCPStage } from "./bcp.js";
