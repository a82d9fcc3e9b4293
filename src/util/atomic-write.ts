// Crash-safe file replacement: readers see either the old file or the complete new one, never a
// prefix. The recipe is the POSIX one — write a temp file in the same directory (rename is only
// atomic within one filesystem), fsync it (so the rename cannot reach the disk before the data),
// rename it over the target, then fsync the directory (so the rename itself survives a power cut).
// Pure Node: checkpoints, predictions and reports all go through here.
import { randomBytes } from "node:crypto";
import { type FileHandle, open, realpath, rename, rm } from "node:fs/promises";
import path from "node:path";

/** What `writeFileAtomic` can write: bytes, text (UTF-8), or chunks produced one at a time. */
export type AtomicData = Uint8Array | string | Iterable<Uint8Array | string> | AsyncIterable<Uint8Array | string>;

export interface AtomicWriteOptions {
  /** Permission bits of a new file, before the umask. @default 0o666 */
  mode?: number;
  /**
   * Flush the file and directory to disk. Turning it off keeps the all-or-nothing rename but not
   * durability across power loss (for scratch files and tests).
   * @default true
   */
  fsync?: boolean;
}

/** A failed atomic write; the target was left as it was (see the message and `cause`). */
export class AtomicWriteError extends Error {
  override readonly name = "AtomicWriteError";
  constructor(
    /** The target path the caller asked for. */
    readonly path: string,
    message: string,
    /** The system error code (ENOENT, EACCES, ...) when there is one. */
    readonly code: string | undefined,
    options?: { cause?: unknown },
  ) {
    super(message, options);
  }
}

// Errors some filesystems (and Windows) give for fsync on a directory, where the rename is
// already as durable as the platform allows; anything else is a real I/O failure.
const DIR_FSYNC_UNSUPPORTED = new Set(["EINVAL", "ENOTSUP", "EISDIR", "EPERM", "EBADF"]);

function codeOf(e: unknown): string | undefined {
  const c = (e as { code?: unknown } | null)?.code;
  return typeof c === "string" ? c : undefined;
}

/** Follows a symlink at the target so that, like fs.writeFile, we replace the file it points to. */
async function resolveTarget(target: string): Promise<string> {
  try {
    return await realpath(target);
  } catch (e) {
    if (codeOf(e) === "ENOENT") return path.resolve(target);
    throw e;
  }
}

async function writeAll(fh: FileHandle, data: AtomicData): Promise<void> {
  if (typeof data === "string" || data instanceof Uint8Array) {
    await fh.writeFile(data);
    return;
  }
  // for-await also walks sync iterables; chunks are written as they come so that a large file
  // never has to exist as one buffer.
  for await (const chunk of data) await fh.writeFile(chunk);
}

function describe(target: string, e: unknown): string {
  const dir = path.dirname(target);
  switch (codeOf(e)) {
    case "ENOENT":
      return `Cannot write ${target}: directory ${dir} does not exist`;
    case "ENOTDIR":
      return `Cannot write ${target}: ${dir} is not a directory`;
    case "EACCES":
    case "EPERM":
    case "EROFS":
      return `Cannot write ${target}: no permission to create files in ${dir} (${codeOf(e)})`;
    case "EISDIR":
    case "ENOTEMPTY":
      return `Cannot write ${target}: it is a directory`;
    case "ENOSPC":
      return `Cannot write ${target}: no space left on the device`;
    default:
      return `Cannot write ${target}: ${(e as Error)?.message ?? String(e)}`;
  }
}

async function fsyncDir(dir: string): Promise<void> {
  let fh: FileHandle | undefined;
  try {
    fh = await open(dir, "r");
    await fh.sync();
  } catch (e) {
    if (!DIR_FSYNC_UNSUPPORTED.has(codeOf(e) ?? "")) throw e;
  } finally {
    await fh?.close();
  }
}

/**
 * Replaces `target` with `data` atomically: on success the file holds exactly `data`; on any
 * failure (including an exception thrown by a chunk iterator) the old file is untouched and the
 * temp file is removed.
 * A symlink at `target` is followed. Concurrent writers to one target do not corrupt it: the
 * last rename wins.
 * @throws AtomicWriteError naming the target path.
 * @example await writeFileAtomic("run/metrics.csv", csvText);
 */
export async function writeFileAtomic(target: string, data: AtomicData, opts: AtomicWriteOptions = {}): Promise<void> {
  const fsync = opts.fsync ?? true;
  let real: string;
  try {
    real = await resolveTarget(target);
  } catch (e) {
    throw new AtomicWriteError(target, describe(target, e), codeOf(e), { cause: e });
  }
  const dir = path.dirname(real);
  // Dot-prefixed, pid + random suffix: unique across processes and hidden from directory globs.
  const tmp = path.join(dir, `.${path.basename(real)}.${process.pid}.${randomBytes(6).toString("hex")}.tmp`);
  let fh: FileHandle | undefined;
  let renamed = false;
  try {
    // "wx": fail rather than reuse a file that happens to exist under the temp name.
    fh = await open(tmp, "wx", opts.mode ?? 0o666);
    await writeAll(fh, data);
    if (fsync) await fh.sync();
    await fh.close();
    fh = undefined;
    await rename(tmp, real);
    renamed = true;
    if (fsync) await fsyncDir(dir);
  } catch (e) {
    await fh?.close().catch(() => undefined);
    if (!renamed) await rm(tmp, { force: true }).catch(() => undefined);
    const msg = renamed
      ? `Wrote ${target} but could not flush its directory to disk (${(e as Error).message}); the new content is in place but may not survive a power loss`
      : describe(target, e);
    throw new AtomicWriteError(target, msg, codeOf(e), { cause: e });
  }
}

/**
 * Writes `value` as pretty-printed JSON (with a final newline) atomically.
 * @throws TypeError if `value` cannot be serialised (e.g. a BigInt or a cycle), before touching disk.
 */
export async function writeJsonAtomic(target: string, value: unknown, opts: AtomicWriteOptions = {}): Promise<void> {
  const text = JSON.stringify(value, null, 2);
  if (text === undefined) throw new TypeError(`writeJsonAtomic(${target}): value is not JSON-serialisable (${typeof value})`);
  await writeFileAtomic(target, `${text}\n`, opts);
}
