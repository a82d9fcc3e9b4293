// Starts, watches, cancels and remembers jobs. A job is `node wrapper.js exit.json <command…>` in a
// new process group, writing to stdout.log / stderr.log in its folder; the runner tails those
// files (so it reads the same way from a job it started and from one it found running after a
// restart), turns lines into progress events for subscribers, and keeps job.json up to date.
// Cancel sends SIGINT to the wrapper, which passes it to the command once: a training run saves a
// resumable checkpoint and exits. "force" kills the whole group.
import { spawn, type ChildProcess } from "node:child_process";
import { randomBytes } from "node:crypto";
import { mkdir, open, readdir, readFile } from "node:fs/promises";
import { openSync, closeSync } from "node:fs";
import path from "node:path";
import { fileURLToPath } from "node:url";
import { writeJsonAtomic } from "../../util/index.js";
import { parseJobLine, type LineContext } from "./line-events.js";
import {
  JOB_ID_RE,
  JobRequestError,
  type JobEvent,
  type JobHistory,
  type JobRecord,
  type JobSpec,
  type JobStatus,
  type LossPoint,
} from "./job-types.js";

/** The command a job runs, from a {@link JobCommandFactory}. */
export interface JobCommand {
  /** Program (absolute path, or a name on PATH). */
  readonly command: string;
  readonly args: readonly string[];
  /** The folder the job writes its results to. */
  readonly outputDir: string | null;
  /** Extra environment variables. */
  readonly env?: Readonly<Record<string, string>>;
  readonly cwd?: string;
}

/** What a command factory may look at. */
export interface JobContext {
  readonly id: string;
  /** The job's own folder (job.json, logs). */
  readonly jobDir: string;
  /** Earlier jobs, by id (for "resume" and "predict with the model of job X"). */
  readonly job: (id: string) => JobRecord | undefined;
}

/** Turns a validated job request into a command line; throws JobRequestError to refuse it. */
export type JobCommandFactory = (spec: JobSpec, ctx: JobContext) => Promise<JobCommand> | JobCommand;

/** Options of {@link JobRunner}. */
export interface JobRunnerOptions {
  /** Folder of the job folders (`<dataset>/.labelwise/jobs`). */
  readonly jobsDir: string;
  readonly commandFor: JobCommandFactory;
  /** How often logs are read and processes checked (ms). @default 200 */
  readonly pollMs?: number;
  /** Jobs allowed to run at once; more are refused with 409. @default 1 */
  readonly maxRunning?: number;
  /** Called after a job ends (e.g. to refresh the case listing). */
  readonly onEnd?: (job: JobRecord) => void;
}

type Listener = (e: JobEvent) => void;

/** Longest output line kept (characters). */
const MAX_LINE = 64 * 1024;
/** Loss points kept per job; beyond this the curve is thinned by half. */
const MAX_LOSS_POINTS = 4000;
/** Recent output lines kept for a newly connected page. */
const MAX_LOG_LINES = 300;

/** Reads a growing text file line by line from where it last stopped. */
class LineTail {
  private offset = 0;
  private rest = "";
  constructor(
    private readonly file: string,
    private readonly onLine: (line: string) => void,
  ) {}

  /** Reads what was appended since the last call; `final` also flushes a last unterminated line. */
  async poll(final = false): Promise<void> {
    let fh;
    try {
      fh = await open(this.file, "r");
    } catch {
      return;
    }
    try {
      const buf = Buffer.alloc(1 << 20);
      for (;;) {
        const { bytesRead } = await fh.read(buf, 0, buf.length, this.offset);
        if (bytesRead === 0) break;
        this.offset += bytesRead;
        this.rest += buf.subarray(0, bytesRead).toString("utf8");
        let nl: number;
        while ((nl = this.rest.indexOf("\n")) >= 0) {
          const line = this.rest.slice(0, nl);
          this.rest = this.rest.slice(nl + 1);
          this.onLine(line.length > MAX_LINE ? line.slice(0, MAX_LINE) : line);
        }
        if (this.rest.length > MAX_LINE) {
          this.onLine(this.rest.slice(0, MAX_LINE));
          this.rest = "";
        }
      }
    } finally {
      await fh.close();
    }
    if (final && this.rest.length > 0) {
      this.onLine(this.rest);
      this.rest = "";
    }
  }
}

interface LiveJob {
  record: JobRecord;
  readonly dir: string;
  loss: LossPoint[];
  lossStride: number;
  lossSeen: number;
  lines: number;
  logs: { stream: "stdout" | "stderr"; text: string }[];
  readonly listeners: Set<Listener>;
  child: ChildProcess | null;
  timer: NodeJS.Timeout | null;
  tails: { stdout: LineTail; stderr: LineTail } | null;
  finishing: boolean;
  readonly lineCtx: LineContext;
}

const wrapperPath = fileURLToPath(new URL("./wrapper.js", import.meta.url));

function newJobId(kind: string): string {
  const d = new Date();
  const p = (n: number, w = 2) => String(n).padStart(w, "0");
  const stamp = `${d.getUTCFullYear()}${p(d.getUTCMonth() + 1)}${p(d.getUTCDate())}-${p(d.getUTCHours())}${p(d.getUTCMinutes())}${p(d.getUTCSeconds())}`;
  return `${stamp}-${kind}-${randomBytes(3).toString("hex")}`;
}

function alive(pid: number): boolean {
  try {
    process.kill(pid, 0);
    return true;
  } catch (e) {
    return (e as { code?: string }).code === "EPERM";
  }
}

/** Whether `pid` is still this job's wrapper (not a recycled pid): its command line names the job's exit file. */
async function isOurWrapper(pid: number, exitFile: string): Promise<boolean> {
  if (!alive(pid)) return false;
  try {
    const cmdline = await readFile(`/proc/${pid}/cmdline`, "utf8");
    return cmdline.split("\0").includes(exitFile);
  } catch {
    // No /proc (macOS): trust the signal probe.
    return true;
  }
}

/** Runs jobs as child process groups and remembers them under `jobsDir`. */
export class JobRunner {
  private readonly jobs = new Map<string, LiveJob>();
  private readonly pollMs: number;
  private readonly maxRunning: number;
  private closed = false;

  constructor(private readonly opts: JobRunnerOptions) {
    this.pollMs = opts.pollMs ?? 200;
    this.maxRunning = opts.maxRunning ?? 1;
  }

  /** Loads the recorded jobs and reconnects to those still running. */
  async init(): Promise<void> {
    // Nothing is created until a job starts: serving a read-only dataset works.
    const names = (await readdir(this.opts.jobsDir).catch(() => [] as string[])).filter((n) => JOB_ID_RE.test(n)).sort();
    for (const id of names) {
      const dir = path.join(this.opts.jobsDir, id);
      let record: JobRecord;
      try {
        record = JSON.parse(await readFile(path.join(dir, "job.json"), "utf8")) as JobRecord;
        if (record.format !== "labelwise-job" || record.id !== id) continue;
      } catch {
        continue;
      }
      const live = this.track(record, dir);
      // Replay the logs once so the loss curve and recent lines are there again.
      await live.tails!.stdout.poll(true);
      await live.tails!.stderr.poll(true);
      if (record.status === "running") {
        if (record.pid !== null && (await isOurWrapper(record.pid, this.exitFile(live)))) this.watch(live);
        else await this.finish(live);
      } else {
        live.tails = null;
      }
    }
  }

  private exitFile(live: LiveJob): string {
    return path.join(live.dir, "exit.json");
  }

  private track(record: JobRecord, dir: string): LiveJob {
    const live: LiveJob = { record, dir, loss: [], lossStride: 1, lossSeen: 0, lines: 0, logs: [], listeners: new Set(), child: null, timer: null, tails: null, finishing: false, lineCtx: {} };
    live.tails = {
      stdout: new LineTail(path.join(dir, "stdout.log"), (l) => this.onLine(live, "stdout", l)),
      stderr: new LineTail(path.join(dir, "stderr.log"), (l) => this.onLine(live, "stderr", l)),
    };
    this.jobs.set(record.id, live);
    return live;
  }

  private emit(live: LiveJob, e: JobEvent): void {
    for (const l of live.listeners) {
      try {
        l(e);
      } catch {
        live.listeners.delete(l);
      }
    }
  }

  private pushLog(live: LiveJob, stream: "stdout" | "stderr", text: string): void {
    live.logs.push({ stream, text });
    if (live.logs.length > MAX_LOG_LINES) live.logs.splice(0, live.logs.length - MAX_LOG_LINES);
  }

  private onLine(live: LiveJob, stream: "stdout" | "stderr", line: string): void {
    if (line.trim() === "") return;
    if (stream === "stderr") {
      this.pushLog(live, "stderr", line);
      this.emit(live, { type: "log", stream, text: line });
      // `labelwise suggest` reports its progress as JSON lines on stderr (stdout holds its table).
      const p = line.trimStart().startsWith("{") ? parseJobLine(line, live.lineCtx) : null;
      if (p?.json && p.progress !== null) {
        live.record.progress = p.progress;
        live.record.message = p.message;
        this.emit(live, { type: "progress", progress: p.progress, loss: null, x: null, message: p.message, data: p.data });
      }
      return;
    }
    live.lines++;
    const p = parseJobLine(line, live.lineCtx);
    if (!p.json) {
      this.pushLog(live, "stdout", p.message);
      this.emit(live, { type: "log", stream, text: p.message });
      return;
    }
    if (p.progress !== null) live.record.progress = p.progress;
    // labelwise train announces its run folder (where the model is) in its first event.
    const runDir = (p.data as { runDir?: unknown }).runDir;
    if (typeof runDir === "string" && path.isAbsolute(runDir) && live.record.runDir === null) {
      live.record.runDir = runDir;
      void this.save(live).catch(() => undefined);
    }
    if (p.loss !== null) {
      live.record.lastLoss = p.loss;
      // Keep every lossStride-th point; when full, drop every other point and double the stride.
      if (live.lossSeen++ % live.lossStride === 0) {
        live.loss.push([p.x ?? live.lines, p.loss]);
        if (live.loss.length > MAX_LOSS_POINTS) {
          live.loss = live.loss.filter((_, i) => i % 2 === 0);
          live.lossStride *= 2;
        }
      }
    }
    live.record.message = p.message;
    this.pushLog(live, "stdout", p.message);
    this.emit(live, { type: "progress", progress: p.progress, loss: p.loss, x: p.x ?? live.lines, message: p.message, data: p.data });
  }

  private async save(live: LiveJob): Promise<void> {
    await writeJsonAtomic(path.join(live.dir, "job.json"), live.record, { fsync: false });
  }

  /** Polls the logs and the process until the job ends. */
  private watch(live: LiveJob): void {
    const tick = async () => {
      live.timer = null;
      if (this.closed) return;
      await live.tails?.stdout.poll();
      await live.tails?.stderr.poll();
      if (live.child === null && live.record.pid !== null && !alive(live.record.pid)) {
        await this.finish(live);
        return;
      }
      if (live.record.status === "running" && !this.closed) live.timer = setTimeout(() => void tick(), this.pollMs);
    };
    live.timer = setTimeout(() => void tick(), this.pollMs);
  }

  /** Records how a job ended (from exit.json, or "lost" without one). */
  private async finish(live: LiveJob, wrapperExit?: { code: number | null; signal: string | null }): Promise<void> {
    if (live.finishing || live.record.status !== "running") return;
    live.finishing = true;
    if (live.timer) clearTimeout(live.timer);
    live.timer = null;
    await live.tails?.stdout.poll(true);
    await live.tails?.stderr.poll(true);
    live.tails = null;
    let exit: { exitCode: number | null; signal: string | null; error?: string } | undefined;
    try {
      exit = JSON.parse(await readFile(this.exitFile(live), "utf8"));
    } catch {
      exit = undefined;
    }
    const r = live.record;
    let status: JobStatus;
    if (exit !== undefined) {
      r.exitCode = exit.exitCode;
      r.signal = exit.signal;
      if (exit.error) r.message = `could not start: ${exit.error}`;
      status = r.cancelRequested ? "cancelled" : exit.exitCode === 0 ? "succeeded" : "failed";
    } else {
      r.signal = wrapperExit?.signal ?? null;
      status = r.cancelRequested ? "cancelled" : "lost";
      if (!r.cancelRequested) r.message = "the job's process ended without recording an exit status";
    }
    if (status === "failed" && !exit?.error) {
      const lastErr = [...live.logs].reverse().find((l) => l.stream === "stderr");
      r.message = `exit code ${r.exitCode ?? "?"}${r.signal ? ` (${r.signal})` : ""}${lastErr ? `: ${lastErr.text.slice(0, 500)}` : ""}`;
    }
    if (status === "succeeded") r.progress = 1;
    r.status = status;
    r.endedAt = new Date().toISOString();
    live.child = null;
    await this.save(live).catch(() => undefined);
    this.emit(live, { type: "state", job: { ...r } });
    this.opts.onEnd?.({ ...r });
  }

  /** Jobs, newest first. */
  list(): JobRecord[] {
    return [...this.jobs.values()].map((j) => ({ ...j.record })).sort((a, b) => (a.id < b.id ? 1 : -1));
  }

  get(id: string): JobRecord | undefined {
    const j = this.jobs.get(id);
    return j ? { ...j.record } : undefined;
  }

  /** Loss curve and recent output of a job. */
  /** A known job's own folder (job.json, logs, files it writes there such as a ranking). */
  jobDir(id: string): string | undefined {
    return this.jobs.get(id)?.dir;
  }

  history(id: string): JobHistory | undefined {
    const j = this.jobs.get(id);
    return j ? { loss: [...j.loss], logs: [...j.logs] } : undefined;
  }

  /**
   * Starts a job.
   * @throws JobRequestError 409 when `maxRunning` jobs run already, or what the command factory refuses.
   */
  async start(spec: JobSpec): Promise<JobRecord> {
    if (this.closed) throw new JobRequestError(409, "the server is shutting down");
    const running = [...this.jobs.values()].filter((j) => j.record.status === "running");
    if (running.length >= this.maxRunning) {
      throw new JobRequestError(409, `job ${running[0]!.record.id} is still running; wait for it or cancel it first`);
    }
    const id = newJobId(spec.kind);
    const dir = path.join(this.opts.jobsDir, id);
    const cmd = await this.opts.commandFor(spec, { id, jobDir: dir, job: (other) => this.get(other) });
    await mkdir(dir, { recursive: true });
    if (cmd.outputDir) await mkdir(cmd.outputDir, { recursive: true });
    const record: JobRecord = {
      format: "labelwise-job",
      version: 1,
      id,
      kind: spec.kind,
      spec,
      status: "running",
      createdAt: new Date().toISOString(),
      endedAt: null,
      pid: null,
      argv: [cmd.command, ...cmd.args],
      outputDir: cmd.outputDir,
      runDir: null,
      exitCode: null,
      signal: null,
      cancelRequested: false,
      progress: null,
      lastLoss: null,
      message: "starting",
    };
    const live = this.track(record, dir);
    const out = openSync(path.join(dir, "stdout.log"), "a");
    const err = openSync(path.join(dir, "stderr.log"), "a");
    try {
      // detached: its own process group, so Ctrl-C in the server's terminal does not reach it and
      // the job survives a server restart.
      const child = spawn(process.execPath, [wrapperPath, this.exitFile(live), cmd.command, ...cmd.args], {
        detached: true,
        stdio: ["ignore", out, err],
        cwd: cmd.cwd,
        env: { ...process.env, ...cmd.env, LABELWISE_JOB_ID: id },
      });
      live.child = child;
      record.pid = child.pid ?? null;
      child.on("exit", (code, signal) => void this.finish(live, { code, signal }));
      child.on("error", (e) => {
        record.message = `could not start: ${e.message}`;
        void this.finish(live, { code: null, signal: null });
      });
    } finally {
      closeSync(out);
      closeSync(err);
    }
    await this.save(live);
    this.watch(live);
    this.emit(live, { type: "state", job: { ...record } });
    return { ...record };
  }

  /**
   * Asks a running job to stop: SIGINT to its wrapper, which passes it on once (the command saves
   * a resumable state and exits). `force` kills the whole process group at once.
   */
  async cancel(id: string, force = false): Promise<JobRecord> {
    const live = this.jobs.get(id);
    if (!live) throw new JobRequestError(404, `no job ${id}`);
    const r = live.record;
    if (r.status !== "running" || r.pid === null) return { ...r };
    r.cancelRequested = true;
    r.message = force ? "killed" : "cancelling (SIGINT sent)";
    try {
      if (force) process.kill(-r.pid, "SIGKILL");
      else process.kill(r.pid, "SIGINT");
    } catch (e) {
      if ((e as { code?: string }).code !== "ESRCH") throw e;
    }
    await this.save(live);
    this.emit(live, { type: "state", job: { ...r } });
    return { ...r };
  }

  /** Receives a job's events until the returned function is called. */
  subscribe(id: string, listener: Listener): (() => void) | undefined {
    const live = this.jobs.get(id);
    if (!live) return undefined;
    live.listeners.add(listener);
    return () => live.listeners.delete(listener);
  }

  /** Waits until a job is no longer running (tests and shutdown). */
  async waitFor(id: string, timeoutMs = 30_000): Promise<JobRecord> {
    const t0 = Date.now();
    for (;;) {
      const r = this.get(id);
      if (!r) throw new Error(`no job ${id}`);
      if (r.status !== "running") return r;
      if (Date.now() - t0 > timeoutMs) throw new Error(`job ${id} still running after ${timeoutMs} ms`);
      await new Promise((res) => setTimeout(res, 50));
    }
  }

  /**
   * Stops watching. Running jobs keep running (a later server reconnects to them) unless `kill`,
   * which kills their process groups (tests).
   */
  async close(opts: { kill?: boolean } = {}): Promise<void> {
    this.closed = true;
    for (const live of this.jobs.values()) {
      if (live.timer) clearTimeout(live.timer);
      live.timer = null;
      live.listeners.clear();
      if (opts.kill && live.record.status === "running" && live.record.pid !== null) {
        try {
          process.kill(-live.record.pid, "SIGKILL");
        } catch {
          // already gone
        }
      }
      live.child?.removeAllListeners("exit");
      live.child?.unref();
    }
  }
}
