// The server layer's public door: `labelwise serve` — a local web app over one dataset (viewer,
// box annotation, training and prediction jobs). A composition root: it wires the data, io,
// metrics and util layers and runs training/prediction as separate `labelwise` processes.
export { createServer, DEFAULT_STRATEGIES, type ServerOptions, type LabelwiseServer } from "./app.js";
export { newToken, tokenMatches, cookieName, TOKEN_HEADER } from "./auth.js";
export { DatasetService, CASE_ID_PATTERN, type CaseSummary, type LabelInfo } from "./dataset-service.js";
export { JobRunner, type JobCommand, type JobCommandFactory, type JobContext, type JobRunnerOptions } from "./jobs/runner.js";
export { labelwiseCommands, labelwiseBin } from "./jobs/commands.js";
export { parseJobLine, type ParsedLine } from "./jobs/line-events.js";
export { JobRequestError, JOB_ID_PATTERN, type JobRecord, type JobSpec, type JobStatus, type JobEvent, type TrainSpec, type PredictSpec } from "./jobs/job-types.js";
