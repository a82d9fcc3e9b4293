export { ChildError, runJsonChild, type ChildOptions } from "./child.js";
export { blasFlavour, loadedBlas, machineInfo, type MachineInfo } from "./machine.js";
export { PartStore } from "./parts.js";
export { formatMiB, formatRatio, formatSeconds, markdownTable, median } from "./stats.js";
export { resultLine, type ResultValue } from "./result.js";
export type { Suite, SuiteOptions } from "./suite.js";
export { LoadMeter, backgroundShare, cpuBusy, cpuTicks, waitForQuiet, type CpuTicks, type QuietOptions } from "./quiet.js";
