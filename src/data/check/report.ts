// The result of `labelwise check`: every problem, counts and timing; and its text form (one line
// per problem, then a summary line).
import { formatProblem, type Problem } from "../dataset/index.js";

/** Machine-readable check result (what `labelwise check --json` prints). */
export interface CheckReport {
  readonly format: "labelwise-check";
  readonly version: 1;
  /** Absolute path of the dataset folder. */
  readonly dataset: string;
  /** No errors (warnings allowed). */
  readonly ok: boolean;
  readonly cases: { readonly training: number; readonly test: number };
  readonly errors: number;
  readonly warnings: number;
  readonly seconds: number;
  /** Sorted: dataset-level problems first, then by case in id order, then file. */
  readonly problems: readonly Problem[];
}

/** One line per problem, as `labelwise check` prints them. */
export function formatProblems(report: CheckReport): string[] {
  return report.problems.map(formatProblem);
}

/** The closing line: cases, errors, warnings, seconds. */
export function formatSummary(report: CheckReport): string {
  const s = (n: number, w: string) => `${n} ${w}${n === 1 ? "" : "s"}`;
  const verdict = report.ok ? "OK" : "FAILED";
  return `${verdict} ${report.dataset}: ${s(report.cases.training, "training case")}, ${s(report.cases.test, "test case")}, ${s(report.errors, "error")}, ${s(report.warnings, "warning")} in ${report.seconds.toFixed(1)} s`;
}
