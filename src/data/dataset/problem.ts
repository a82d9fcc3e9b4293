// A finding about a dataset: what `labelwise check` prints one line per, and what the layout
// scanner and box validation report instead of throwing, so that one pass shows every problem.

/** Errors make a dataset unusable (check exits non-zero); warnings are worth a look. */
export type Severity = "error" | "warning";

/** One problem, tied to a case, a file and a field whenever they are known. */
export interface Problem {
  readonly severity: Severity;
  /** Case identifier, or null for dataset-level findings. */
  readonly case: string | null;
  /** Path relative to the dataset folder (forward slashes), or null. */
  readonly file: string | null;
  /** What is wrong: "spacing", "labels", "channels", "numTraining", "boxes[0].voxel", … */
  readonly field: string;
  /** Human-readable detail, with both values for mismatches ("image [1,1,1] vs label [1,1,2]"). */
  readonly message: string;
}

/** Builds an error Problem. */
export function error(caseId: string | null, file: string | null, field: string, message: string): Problem {
  return { severity: "error", case: caseId, file, field, message };
}

/** Builds a warning Problem. */
export function warning(caseId: string | null, file: string | null, field: string, message: string): Problem {
  return { severity: "warning", case: caseId, file, field, message };
}

/** Formats a problem as one line: `ERROR case file field: message` ("-" for an unknown case or file). */
export function formatProblem(p: Problem): string {
  return `${p.severity === "error" ? "ERROR" : "WARN"} ${p.case ?? "-"} ${p.file ?? "-"} ${p.field}: ${p.message}`;
}
