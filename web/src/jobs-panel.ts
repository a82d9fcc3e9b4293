// The jobs panel: start a training (strategy, epochs and the options of label-efficient runs:
// labelled subset, iterations per epoch, seed, a JSON config the server validates), a prediction
// (model, scans) or a "what to label next" ranking (model), the list of jobs with their state, and the chosen job followed live through server-sent events: progress
// bar, loss curve, recent output, cancel / force stop / resume. The job list is polled, so jobs
// started elsewhere (another tab, a restarted server) show up too.
import { api, ApiError, type JobHistory, type JobRecord } from "./api.js";

const $ = <T extends HTMLElement>(id: string) => document.getElementById(id) as T;

export interface JobsPanelHooks {
  /** The case shown now (for "predict this case"). */
  currentCase(): string | null;
  /** A job ended (predictions may have appeared). */
  onJobEnded(job: JobRecord): void;
  /** Training cases marked box-annotated now (the box strategy needs some). */
  boxCases(): number;
  /** Training cases marked unlabelled now (semi-supervised strategies need some). */
  unlabelledCases(): number;
  /** The user (or the page, at start) chose a job in the list. */
  onJobSelected?(job: JobRecord): void;
}

export class JobsPanel {
  private jobs: JobRecord[] = [];
  private selected: string | null = null;
  private source: EventSource | null = null;
  private loss: [number, number][] = [];
  private logs: string[] = [];
  private readonly known = new Map<string, string>();
  private timer = 0;

  constructor(
    strategies: readonly string[],
    private readonly hooks: JobsPanelHooks,
    private readonly summaries: Readonly<Record<string, string>> = {},
    /** The kinds of training case each strategy learns from (the server's registry); no entry, no warning. */
    private readonly learnsFrom: Readonly<Record<string, readonly string[]>> = {},
  ) {
    const sel = $<HTMLSelectElement>("strategy");
    sel.replaceChildren(
      ...strategies.map((s) => {
        const o = new Option(s, s);
        o.title = summaries[s] ?? "";
        return o;
      }),
    );
    sel.addEventListener("change", () => this.describeStrategy());
    for (const id of ["labelled-kind", "labelled-value"]) $(id).addEventListener("input", () => this.describeStrategy());
    this.describeStrategy();
    $("start-train").addEventListener("click", () => void this.startTrain());
    $("start-predict").addEventListener("click", () => void this.startPredict());
    $("start-suggest").addEventListener("click", () => void this.startSuggest());
    $("job-cancel").addEventListener("click", () => void this.cancel(false));
    $("job-kill").addEventListener("click", () => void this.cancel(true));
    $("job-resume").addEventListener("click", () => void this.resume());
  }

  async start(): Promise<void> {
    await this.refresh();
    const running = this.jobs.find((j) => j.status === "running");
    const remembered = sessionStorage.getItem("labelwise.job");
    const pick = running?.id ?? (remembered && this.jobs.some((j) => j.id === remembered) ? remembered : this.jobs[0]?.id);
    if (pick) this.select(pick);
    this.timer = window.setInterval(() => void this.refresh(), 2000);
  }

  /** What the chosen strategy does, and what it still lacks on this dataset. */
  describeStrategy(): void {
    const s = $<HTMLSelectElement>("strategy").value;
    const splitsLabelled = $<HTMLSelectElement>("labelled-kind").value !== "";
    const uses = this.learnsFrom[s] ?? [];
    const lacks =
      uses.includes("boxes") && this.hooks.boxCases() === 0
        ? "No case is box-annotated yet: draw boxes on unlabelled cases and save them first."
        : uses.includes("unlabelled") && this.hooks.unlabelledCases() === 0 && !splitsLabelled
          ? "No case is unlabelled: this semi-supervised strategy would learn from labels only. Mark some cases unlabelled, or set Labelled to a count or fraction under Training options."
          : "";
    $("strategy-hint").textContent = [this.summaries[s] ?? "", lacks].filter(Boolean).join(". ");
  }

  private error(msg: string, problems: readonly string[] = []): void {
    $("job-error").textContent = msg;
    $("job-problems").replaceChildren(
      ...problems.map((p) => {
        const li = document.createElement("li");
        li.textContent = p;
        return li;
      }),
    );
  }

  private async startTrain(): Promise<void> {
    this.error("");
    const spec: Record<string, unknown> = { kind: "train", strategy: $<HTMLSelectElement>("strategy").value };
    // Empty fields mean "the command's default"; anything else goes to the server, which says what is wrong.
    const field = (id: string) => $<HTMLInputElement>(id).value.trim();
    if (field("epochs") !== "") spec.epochs = Number(field("epochs"));
    if (field("iterations") !== "") spec.iterationsPerEpoch = Number(field("iterations"));
    if (field("seed") !== "") spec.seed = Number(field("seed"));
    const kind = $<HTMLSelectElement>("labelled-kind").value;
    if (kind !== "") {
      if (field("labelled-value") === "") return this.error(`Give the labelled ${kind}, or choose "as marked".`);
      spec.labelled = { [kind]: Number(field("labelled-value")) };
    }
    const text = $<HTMLTextAreaElement>("train-config").value.trim();
    if (text !== "") {
      try {
        spec.config = JSON.parse(text) as unknown;
      } catch (e) {
        return this.error(`The config is not valid JSON: ${e instanceof Error ? e.message : String(e)}`);
      }
    }
    await this.launch(spec);
  }

  private async startSuggest(): Promise<void> {
    this.error("");
    const model = $<HTMLSelectElement>("model").value;
    if (!model) return this.error("Train a model first (or pick one): its networks rank the cases.");
    await this.launch({ kind: "suggest", model });
  }

  private async startPredict(): Promise<void> {
    this.error("");
    const model = $<HTMLSelectElement>("model").value;
    if (!model) return this.error("Train a model first (or pick one).");
    const scope = $<HTMLSelectElement>("scope").value;
    const spec: Record<string, unknown> = { kind: "predict", model, scope };
    if (scope === "case") {
      const c = this.hooks.currentCase();
      if (!c) return this.error("Open a case first.");
      spec.caseId = c;
    }
    await this.launch(spec);
  }

  private async launch(spec: Record<string, unknown>): Promise<void> {
    try {
      const job = await api.startJob(spec);
      await this.refresh();
      this.select(job.id);
    } catch (e) {
      // Validation issues are listed one per line; the message repeats them, so it is not shown too.
      if (e instanceof ApiError) this.error(e.problems.length ? "The server refused these settings:" : e.message, e.problems);
      else this.error(String(e));
    }
  }

  private async cancel(force: boolean): Promise<void> {
    if (!this.selected) return;
    try {
      await api.cancelJob(this.selected, force);
      await this.refresh();
    } catch (e) {
      this.error(e instanceof ApiError ? e.message : String(e));
    }
  }

  private async resume(): Promise<void> {
    const job = this.jobs.find((j) => j.id === this.selected);
    if (!job || job.kind !== "train" || !job.spec.strategy) return;
    const epochs = Number($<HTMLInputElement>("epochs").value);
    const spec: Record<string, unknown> = { kind: "train", strategy: job.spec.strategy, resume: job.id };
    if (Number.isInteger(epochs) && epochs > 0) spec.epochs = epochs;
    await this.launch(spec);
  }

  async refresh(): Promise<void> {
    try {
      this.jobs = await api.jobs();
    } catch {
      return;
    }
    for (const j of this.jobs) {
      const before = this.known.get(j.id);
      if (before === "running" && j.status !== "running") this.hooks.onJobEnded(j);
      this.known.set(j.id, j.status);
    }
    this.renderList();
    this.renderModels();
    this.renderDetail();
  }

  private renderModels(): void {
    const sel = $<HTMLSelectElement>("model");
    const keep = sel.value;
    const models = this.jobs.filter((j) => j.kind === "train" && j.runDir !== null && j.status !== "running");
    sel.replaceChildren(...models.map((j) => new Option(`${j.spec.strategy ?? "?"} · ${j.id} (${j.status})`, j.id)));
    if (models.some((j) => j.id === keep)) sel.value = keep;
  }

  private renderList(): void {
    const ul = $("job-list");
    ul.replaceChildren(
      ...this.jobs.slice(0, 30).map((j) => {
        const li = document.createElement("li");
        li.className = `job ${j.status}${j.id === this.selected ? " selected" : ""}`;
        li.dataset.testid = "job-row";
        li.dataset.status = j.status;
        const what =
          j.kind === "train" ? `train ${j.spec.strategy ?? ""}${j.spec.resume ? " (resumed)" : ""}` : j.kind === "suggest" ? "what to label next" : `predict ${j.spec.scope ?? ""}`;
        const pct = j.progress === null ? "" : ` ${Math.round(j.progress * 100)}%`;
        li.textContent = `${what} · ${j.status}${pct}`;
        li.title = `${j.id}\n${j.message}`;
        li.addEventListener("click", () => this.select(j.id));
        return li;
      }),
    );
  }

  private renderDetail(): void {
    const job = this.jobs.find((j) => j.id === this.selected);
    const box = $("job-detail");
    box.hidden = !job;
    if (!job) return;
    $("job-title").textContent = `${job.kind} ${job.id} — ${job.status}`;
    const bar = $("job-progress");
    bar.style.width = `${Math.round((job.progress ?? 0) * 100)}%`;
    bar.dataset.progress = String(job.progress ?? 0);
    $("job-message").textContent = job.message;
    const running = job.status === "running";
    ($("job-cancel") as HTMLButtonElement).disabled = !running || job.cancelRequested;
    ($("job-kill") as HTMLButtonElement).hidden = !(running && job.cancelRequested);
    ($("job-resume") as HTMLButtonElement).hidden = running || job.kind !== "train" || job.runDir === null;
  }

  private select(id: string): void {
    if (this.selected === id && this.source) return;
    this.selected = id;
    sessionStorage.setItem("labelwise.job", id);
    const chosen = this.jobs.find((j) => j.id === id);
    if (chosen) this.hooks.onJobSelected?.(chosen);
    this.source?.close();
    this.loss = [];
    this.logs = [];
    this.drawChart();
    this.renderList();
    this.renderDetail();
    const src = new EventSource(api.jobEventsUrl(id));
    this.source = src;
    src.addEventListener("history", (ev) => {
      const h = JSON.parse((ev as MessageEvent).data) as JobHistory;
      this.loss = h.loss.map((p) => [p[0], p[1]]);
      this.logs = h.logs.map((l) => l.text);
      this.drawChart();
      this.renderLog();
    });
    src.addEventListener("progress", (ev) => {
      const p = JSON.parse((ev as MessageEvent).data) as { progress: number | null; loss: number | null; x: number | null; message: string };
      if (p.loss !== null) this.loss.push([p.x ?? this.loss.length, p.loss]);
      this.logs.push(p.message);
      const job = this.jobs.find((j) => j.id === id);
      if (job) this.jobs = this.jobs.map((j) => (j.id === id ? { ...j, progress: p.progress ?? j.progress, message: p.message } : j));
      this.renderDetail();
      this.drawChart();
      this.renderLog();
    });
    src.addEventListener("log", (ev) => {
      this.logs.push((JSON.parse((ev as MessageEvent).data) as { text: string }).text);
      this.renderLog();
    });
    src.addEventListener("state", (ev) => {
      const job = JSON.parse((ev as MessageEvent).data) as JobRecord;
      this.jobs = this.jobs.some((j) => j.id === job.id) ? this.jobs.map((j) => (j.id === job.id ? job : j)) : [job, ...this.jobs];
      this.renderDetail();
    });
    src.addEventListener("end", () => {
      src.close();
      if (this.source === src) this.source = null;
      void this.refresh();
    });
  }

  private renderLog(): void {
    if (this.logs.length > 200) this.logs = this.logs.slice(-200);
    const pre = $("job-log");
    pre.textContent = this.logs.slice(-40).join("\n");
    pre.scrollTop = pre.scrollHeight;
  }

  /** Loss against iteration (or epoch), linear axes, min/max labelled. */
  private drawChart(): void {
    const c = $<HTMLCanvasElement>("loss-chart");
    const dpr = devicePixelRatio;
    const w = c.clientWidth || 300;
    const h = c.clientHeight || 150;
    if (c.width !== Math.round(w * dpr)) c.width = Math.round(w * dpr);
    if (c.height !== Math.round(h * dpr)) c.height = Math.round(h * dpr);
    const ctx = c.getContext("2d");
    if (!ctx) return;
    ctx.setTransform(dpr, 0, 0, dpr, 0, 0);
    ctx.clearRect(0, 0, w, h);
    ctx.fillStyle = "#15161a";
    ctx.fillRect(0, 0, w, h);
    ctx.fillStyle = "#9aa0aa";
    ctx.font = "11px sans-serif";
    const pts = this.loss.filter((p) => Number.isFinite(p[1]));
    c.dataset.points = String(pts.length);
    if (pts.length === 0) {
      ctx.fillText("loss curve: no values yet", 10, h / 2);
      return;
    }
    const xs = pts.map((p) => p[0]);
    const ys = pts.map((p) => p[1]);
    const [x0, x1] = [Math.min(...xs), Math.max(...xs)];
    let [y0, y1] = [Math.min(...ys), Math.max(...ys)];
    if (y1 - y0 < 1e-12) [y0, y1] = [y0 - 0.5, y1 + 0.5];
    const pad = { l: 40, r: 8, t: 10, b: 18 };
    const X = (x: number) => pad.l + ((x - x0) / Math.max(1e-12, x1 - x0)) * (w - pad.l - pad.r);
    const Y = (y: number) => h - pad.b - ((y - y0) / (y1 - y0)) * (h - pad.t - pad.b);
    ctx.strokeStyle = "#444";
    ctx.beginPath();
    ctx.moveTo(pad.l, pad.t);
    ctx.lineTo(pad.l, h - pad.b);
    ctx.lineTo(w - pad.r, h - pad.b);
    ctx.stroke();
    ctx.fillText(y1.toPrecision(3), 2, pad.t + 8);
    ctx.fillText(y0.toPrecision(3), 2, h - pad.b);
    ctx.fillText(String(x0), pad.l, h - 4);
    ctx.fillText(String(x1), w - pad.r - 30, h - 4);
    ctx.strokeStyle = "#5fb0ff";
    ctx.lineWidth = 1.5;
    ctx.beginPath();
    pts.forEach((p, i) => (i === 0 ? ctx.moveTo(X(p[0]), Y(p[1])) : ctx.lineTo(X(p[0]), Y(p[1]))));
    ctx.stroke();
    if (pts.length === 1) ctx.fillRect(X(pts[0]![0]) - 2, Y(pts[0]![1]) - 2, 4, 4);
  }

  dispose(): void {
    window.clearInterval(this.timer);
    this.source?.close();
  }
}
