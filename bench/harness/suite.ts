// The contract between bench/main.ts and a benchmark suite.

export interface SuiteOptions {
  /** A short run (fewer rounds and steps, small rows first). */
  quick: boolean;
  /** Run only these rows (the report still merges every saved part). */
  only: readonly string[];
  /** Re-run parts that are already saved. */
  fresh: boolean;
  /** Override the number of rounds per row (timing suites). */
  rounds: number | undefined;
  /** Override the training iterations of every row (accuracy suites). */
  iterations?: number | undefined;
  /** The repository root (where bench/results/ lives). */
  root: string;
}

export interface Suite {
  readonly name: string;
  readonly description: string;
  /** Row names accepted by --only. */
  readonly rows: readonly string[];
  /** Extra lines for --help (what --quick does, suite-specific notes). */
  readonly help?: readonly string[];
  /** Runs the suite, prints its report (RESULT line last) and returns the exit code. */
  run(opts: SuiteOptions): Promise<number>;
}
