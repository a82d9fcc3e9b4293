// The one error type of state-file loading, so callers can tell a bad checkpoint from a bug.

/** Why a state file could not be loaded. */
export type StateFileReason =
  /** The tensor file or its sidecar does not exist. */
  | "missing"
  /** The tensor file is shorter than its sidecar records. */
  | "truncated"
  /** Not parseable: not safetensors, bad header, sidecar not JSON. */
  | "corrupt"
  /** The two files do not belong to the same save (checksum, size, save id or content differ). */
  | "checksum"
  /** Another format, a newer format version, or state of another kind (module vs optimizer). */
  | "format"
  /** Names, shapes or dtypes differ from what the caller expected. */
  | "mismatch";

/** Lines shown in the message; `problems` always holds all of them. */
const MAX_LISTED = 100;

/** A state file that cannot be loaded; the message says what is wrong and `problems` lists it all. */
export class StateFileError extends Error {
  override readonly name = "StateFileError";
  constructor(
    /** The tensor file's path (the sidecar is `${path}.json`). */
    readonly path: string,
    readonly reason: StateFileReason,
    /** Every problem found, one sentence each. */
    readonly problems: readonly string[],
    options?: { cause?: unknown },
  ) {
    super(formatMessage(path, problems), options);
  }
}

function formatMessage(path: string, problems: readonly string[]): string {
  if (problems.length === 1) return `State file ${path}: ${problems[0]}`;
  const shown = problems.slice(0, MAX_LISTED).map((p) => `\n  - ${p}`).join("");
  const more = problems.length > MAX_LISTED ? `\n  ... and ${problems.length - MAX_LISTED} more (see error.problems)` : "";
  return `State file ${path}: ${problems.length} problems:${shown}${more}`;
}
