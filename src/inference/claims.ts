// Case claims: several `labelwise predict --claim` processes, on one machine or many sharing the
// input and output folders (NFS, SMB, a cluster file system), split a folder of scans between them
// without a broker. Before predicting a case a worker creates `<out>/.labelwise-claims/<case>.json`
// exclusively (O_EXCL); a worker that finds the file leaves the case to its holder and comes back to
// it later. The holder touches the file while it predicts (heartbeat) and removes it when done or
// failed.
//
// A claim is stale when its file has not changed for `ttlMs` as measured by the observer's own
// clock (the observer remembers when it first saw each modification time), so clocks that differ
// between machines do not matter. A stale claim is taken over by renaming it to a unique name
// (atomic: one renamer wins) and creating a fresh one.
//
// Claims only avoid duplicate work; they do not guard correctness. Outputs and done markers are
// written atomically, so in the rare race where two workers predict the same case (a takeover
// crossing a fresh claim) both write identical files and the result is still complete.

import { randomBytes } from "node:crypto";
import { closeSync, openSync, utimesSync, writeSync } from "node:fs";
import { link, mkdir, readFile, rename, rm, stat } from "node:fs/promises";
import os from "node:os";
import path from "node:path";

/** Folder of claim files inside a prediction output folder. */
export const CLAIMS_FOLDER = ".labelwise-claims";

/** What a claim file holds. */
export interface ClaimRecord {
  readonly format: "labelwise-claim";
  readonly version: 1;
  readonly case: string;
  /** `host:pid` of the worker. */
  readonly owner: string;
  /** Random per claim, so a worker can tell its own claim from a newer one at the same path. */
  readonly token: string;
  /** The holder's clock: for people reading the file, never compared across machines. */
  readonly claimedAt: string;
}

/** Outcome of {@link CaseClaims.tryClaim}. */
export type ClaimResult = { readonly claimed: true; readonly tookOverFrom?: string } | { readonly claimed: false; readonly heldBy: string };

/** Options of {@link CaseClaims}. */
export interface CaseClaimsOptions {
  /** A claim unchanged for this long is stale and may be taken over. @default 600000 (10 min) */
  readonly ttlMs?: number;
  /** This worker's name in claim files. @default `<hostname>:<pid>` */
  readonly owner?: string;
  /** Clock in ms (tests). @default Date.now */
  readonly now?: () => number;
}

/** What this worker last saw of another worker's claim. */
interface Sighting {
  readonly mtimeMs: number;
  readonly token: string;
  /** Local time at which this modification time was first seen. */
  readonly since: number;
}

/** Claims on the cases of one output folder, held by this worker. */
export class CaseClaims {
  readonly dir: string;
  readonly ttlMs: number;
  readonly owner: string;
  private readonly now: () => number;
  private readonly held = new Map<string, { token: string; touched: number }>();
  private readonly seen = new Map<string, Sighting>();

  constructor(outDir: string, opts: CaseClaimsOptions = {}) {
    const ttl = opts.ttlMs ?? 600_000;
    if (!(ttl > 0) || !Number.isFinite(ttl)) throw new RangeError(`claim ttlMs must be a positive number. Received: ${ttl}`);
    this.dir = path.join(outDir, CLAIMS_FOLDER);
    this.ttlMs = ttl;
    this.owner = opts.owner ?? `${os.hostname()}:${process.pid}`;
    this.now = opts.now ?? Date.now;
  }

  private file(id: string): string {
    return path.join(this.dir, `${id}.json`);
  }

  /** Claims `id` for this worker, taking over a stale claim; a fresh claim of another worker is left alone. */
  async tryClaim(id: string): Promise<ClaimResult> {
    await mkdir(this.dir, { recursive: true });
    if (this.create(id)) return { claimed: true };
    const current = await this.read(id);
    if (current === null) return this.create(id) ? { claimed: true } : { claimed: false, heldBy: "another worker" };
    const last = this.seen.get(id);
    const t = this.now();
    if (!last || last.mtimeMs !== current.mtimeMs || last.token !== current.record.token) {
      this.seen.set(id, { mtimeMs: current.mtimeMs, token: current.record.token, since: t });
      return { claimed: false, heldBy: current.record.owner };
    }
    if (t - last.since < this.ttlMs) return { claimed: false, heldBy: current.record.owner };
    // Stale: move it aside under a name only this attempt uses; only one renamer can succeed.
    const aside = `${this.file(id)}.stale-${randomBytes(6).toString("hex")}`;
    try {
      await rename(this.file(id), aside);
    } catch {
      return { claimed: false, heldBy: current.record.owner };
    }
    const moved = await readRecord(aside);
    if (moved?.token !== current.record.token) {
      // A newer claim replaced the stale one between our read and our rename: put it back.
      await link(aside, this.file(id)).catch(() => {});
      await rm(aside, { force: true });
      return { claimed: false, heldBy: moved?.owner ?? "another worker" };
    }
    await rm(aside, { force: true });
    this.seen.delete(id);
    return this.create(id) ? { claimed: true, tookOverFrom: current.record.owner } : { claimed: false, heldBy: "another worker" };
  }

  /**
   * Marks a held claim alive. Synchronous and throttled (at most every ttl/4), so that it can be
   * called from the progress callback of a prediction that blocks the event loop.
   */
  heartbeat(id: string): void {
    const h = this.held.get(id);
    if (!h) return;
    const t = this.now();
    if (t - h.touched < this.ttlMs / 4) return;
    h.touched = t;
    const d = new Date();
    try {
      utimesSync(this.file(id), d, d);
    } catch {
      // The claim was taken over (this worker looked dead): the prediction still completes
      // correctly, the other worker's copy is identical.
    }
  }

  /** Gives up a held claim (after the case was done or failed). */
  async release(id: string): Promise<void> {
    const h = this.held.get(id);
    if (!h) return;
    this.held.delete(id);
    // Remove the file only when it is still ours.
    const current = await readRecord(this.file(id));
    if (current?.token === h.token) await rm(this.file(id), { force: true });
  }

  /** Releases every claim still held (a worker stopping early). */
  async releaseAll(): Promise<void> {
    for (const id of [...this.held.keys()]) await this.release(id);
  }

  /** Creates the claim file exclusively; false when it exists. */
  private create(id: string): boolean {
    const record: ClaimRecord = { format: "labelwise-claim", version: 1, case: id, owner: this.owner, token: randomBytes(12).toString("hex"), claimedAt: new Date().toISOString() };
    let fd: number;
    try {
      fd = openSync(this.file(id), "wx");
    } catch (e) {
      if ((e as NodeJS.ErrnoException).code === "EEXIST") return false;
      throw new Error(`Cannot create the claim file ${this.file(id)}: ${(e as Error).message}`, { cause: e });
    }
    try {
      writeSync(fd, `${JSON.stringify(record)}\n`);
    } finally {
      closeSync(fd);
    }
    this.held.set(id, { token: record.token, touched: this.now() });
    return true;
  }

  /** The claim file's record and modification time, or null when there is none. */
  private async read(id: string): Promise<{ record: ClaimRecord; mtimeMs: number } | null> {
    const f = this.file(id);
    const s = await stat(f).catch(() => undefined);
    if (!s) return null;
    // A claim being written may still be empty: show it as held by an unnamed worker with its mtime.
    const record = (await readRecord(f)) ?? { format: "labelwise-claim", version: 1, case: id, owner: "another worker", token: "", claimedAt: "" };
    return { record, mtimeMs: s.mtimeMs };
  }
}

async function readRecord(file: string): Promise<ClaimRecord | null> {
  try {
    const r = JSON.parse(await readFile(file, "utf8")) as ClaimRecord;
    return r?.format === "labelwise-claim" && typeof r.token === "string" ? r : null;
  } catch {
    return null;
  }
}

/**
 * The cases of part `part` (0-based) of `parts`: the cases sorted by id, every parts-th one from the
 * part-th (nnU-Net's -num_parts / -part_id). Static sharding for machines that cannot share a folder
 * of claims; each machine runs the same command with its own part.
 */
export function casesOfPart<T extends { readonly id: string }>(cases: readonly T[], parts: number, part: number): T[] {
  if (!Number.isInteger(parts) || parts < 1) throw new RangeError(`the number of parts must be a positive integer. Received: ${parts}`);
  if (!Number.isInteger(part) || part < 0 || part >= parts) throw new RangeError(`the part must be an integer in 0..${parts - 1}. Received: ${part}`);
  return [...cases].sort((a, b) => (a.id < b.id ? -1 : a.id > b.id ? 1 : 0)).filter((_, i) => i % parts === part);
}
