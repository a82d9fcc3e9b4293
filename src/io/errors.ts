// Errors callers catch when a file is malformed. Argument mistakes stay TypeError/RangeError.

/** What a FormatError reports: the check that failed, where, and what was found. */
export interface FormatErrorInfo {
  /** File path, or a label such as "<memory>" for in-memory bytes. */
  readonly path: string;
  /** Byte offset of the offending field or of the point where data ran out; undefined when not tied to a byte. */
  readonly offset?: number | undefined;
  /** What was expected, phrased as "Cannot read NIfTI: bitpix must equal 16 for int16". */
  readonly message: string;
  /** What the file held instead. */
  readonly received?: string | undefined;
  /** Whether `offset` counts bytes of the decompressed stream (gzip input). */
  readonly decompressed?: boolean;
  readonly cause?: unknown;
}

/**
 * A file does not follow its format (or exceeds a configured limit before anything was allocated).
 * @example
 * try { await readNifti("a.nii.gz"); } catch (e) { if (e instanceof FormatError) console.error(e.path, e.offset); }
 */
export class FormatError extends Error {
  override readonly name = "FormatError";
  readonly path: string;
  readonly offset: number | undefined;
  readonly decompressed: boolean;

  constructor(info: FormatErrorInfo) {
    const where =
      info.offset === undefined
        ? `in ${info.path}`
        : `in ${info.path} at byte ${info.offset}${info.decompressed ? " of the decompressed stream" : ""}`;
    const received = info.received === undefined ? "" : ` Received: ${info.received}.`;
    super(`${info.message} (${where}).${received}`, info.cause === undefined ? undefined : { cause: info.cause });
    this.path = info.path;
    this.offset = info.offset;
    this.decompressed = info.decompressed ?? false;
  }
}
