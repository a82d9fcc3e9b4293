// The evaluation layer's public door: a folder of predictions against a folder of references,
// per-class metrics from src/metrics, and the report files (CSV, JSON, Markdown, PNG box plots).
export {
  evaluateFolders,
  summarise,
  caseIdOf,
  SUMMARY_METRICS,
  METRIC_LABELS,
  type SummaryMetric,
  type CaseClassResult,
  type CaseResult,
  type MetricSummary,
  type ClassSummary,
  type EvaluationReport,
  type EvaluateFoldersOptions,
} from "./evaluate-folders.js";
export { reportCsv, reportJson, reportMarkdown, writeEvaluationReport, type ReportFiles } from "./report.js";
export { boxPlotSpec, renderBoxPlotSvg, renderBoxPlotPng, renderVegaLiteSvg, renderVegaLitePng, PLOTTED_METRICS } from "./plot.js";
