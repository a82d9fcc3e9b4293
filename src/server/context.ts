// What the routes share: the dataset, the job runner, the metrics cache and the training
// strategies offered on the page.
import type { DatasetService } from "./dataset-service.js";
import type { JobRunner } from "./jobs/runner.js";
import type { MetricsService } from "./metrics-service.js";

export interface ServerContext {
  readonly service: DatasetService;
  readonly jobs: JobRunner;
  readonly metrics: MetricsService;
  /** Strategy names the training form offers. */
  readonly strategies: readonly string[];
  /** What each strategy does, in one line (the registry's summaries). */
  readonly strategySummaries: Readonly<Record<string, string>>;
  /** The kinds of training case each strategy learns from (the registry's). */
  readonly strategyLearnsFrom: Readonly<Record<string, readonly string[]>>;
  /** Interval of SSE keep-alive comments (ms). */
  readonly heartbeatMs: number;
}
