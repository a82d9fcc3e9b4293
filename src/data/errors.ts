// Errors the data layer throws for things callers catch: a JSON file that does not match its
// schema (ConfigError, every issue with its path) and a dataset folder that cannot be used as it
// is (DatasetError). Argument mistakes stay TypeError/RangeError.

/** One reason a JSON document was refused: where (a dotted path such as "labels.background") and why. */
export interface ConfigIssue {
  /** Dotted path into the document ("training[3].image"); "" for the document itself. */
  readonly path: string;
  readonly message: string;
}

/** Shape of a zod issue as far as we need it (avoids tying the public type to a zod version). */
interface ZodLikeIssue {
  readonly path: readonly PropertyKey[];
  readonly message: string;
}

/** Formats a zod-style path: ["training", 3, "image"] -> "training[3].image". */
export function formatIssuePath(path: readonly PropertyKey[]): string {
  let out = "";
  for (const p of path) {
    if (typeof p === "number") out += `[${p}]`;
    else out += out === "" ? String(p) : `.${String(p)}`;
  }
  return out;
}

/**
 * A configuration document (dataset.json, labelwise.json, splits.json, a boxes file) is invalid.
 * The message lists every issue, one per line, each with its path.
 * @example
 * try { await readDatasetJson(dir); } catch (e) { if (e instanceof ConfigError) for (const i of e.issues) console.error(i.path, i.message); }
 */
export class ConfigError extends Error {
  override readonly name = "ConfigError";
  /** The file (or a label such as "<memory>") the document came from. */
  readonly source: string;
  readonly issues: readonly ConfigIssue[];

  constructor(source: string, issues: readonly ConfigIssue[], options?: { cause?: unknown }) {
    const lines = issues.map((i) => `  - ${i.path === "" ? "(document)" : i.path}: ${i.message}`);
    super(`Invalid ${source}: ${issues.length} issue${issues.length === 1 ? "" : "s"}\n${lines.join("\n")}`, options);
    this.source = source;
    this.issues = issues;
  }

  /** Builds a ConfigError from zod's issues, keeping every one. */
  static fromZod(source: string, issues: readonly ZodLikeIssue[]): ConfigError {
    return new ConfigError(
      source,
      issues.map((i) => ({ path: formatIssuePath(i.path), message: i.message })),
    );
  }
}

/**
 * A dataset folder cannot be used as it is (missing files, channels, labels). `problems` holds one
 * line per finding; `labelwise check <dir>` prints the same findings and more.
 */
export class DatasetError extends Error {
  override readonly name = "DatasetError";
  readonly root: string;
  readonly problems: readonly string[];

  constructor(root: string, message: string, problems: readonly string[] = []) {
    const shown = problems.slice(0, 20).map((p) => `  ${p}`);
    if (problems.length > 20) shown.push(`  … and ${problems.length - 20} more (run \`labelwise check ${root}\`)`);
    super(shown.length ? `${message}\n${shown.join("\n")}` : message);
    this.root = root;
    this.problems = problems;
  }
}
