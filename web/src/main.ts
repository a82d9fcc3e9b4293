// The labelwise page: case list with status, the niivue viewer with label/prediction overlays,
// box drawing per organ saved through the API, Dice/HD95 of prediction vs label, the jobs panel, and
// the latest "what to label next" ranking in the case list.
import "./style.css";
import { api, ApiError, type Annotation, type CaseDetail, type CaseSummary, type DatasetInfo, type JobRecord, type LabelInfo } from "./api.js";
import { BoxEditor } from "./box-editor.js";
import { boxWireframe } from "./box-meshes.js";
import { JobsPanel } from "./jobs-panel.js";
import { Suggestions } from "./suggestions.js";
import { Viewer, type ViewMode } from "./viewer.js";

const $ = <T extends HTMLElement>(id: string) => document.getElementById(id) as T;

let dataset: DatasetInfo;
let cases: CaseSummary[] = [];
let current: CaseDetail | null = null;
let loadSeq = 0;
let viewer: Viewer;
let editor: BoxEditor;
let jobsPanel: JobsPanel | null = null;
const suggestions = new Suggestions();

function status(text: string, isError = false): void {
  const s = $("status");
  s.textContent = text;
  s.classList.toggle("error", isError);
}

const organs = (): LabelInfo[] => dataset.labels.filter((l) => !l.region);

function badge(cls: string, text: string, title: string): HTMLElement {
  const b = document.createElement("span");
  b.className = `badge ${cls}`;
  b.textContent = text;
  b.title = title;
  return b;
}

function renderCases(): void {
  const filter = $<HTMLSelectElement>("case-filter").value;
  const ordered = $<HTMLSelectElement>("case-sort").value === "disagreement" ? suggestions.order(cases) : cases;
  const shown = ordered.filter((c) => {
    switch (filter) {
      case "all":
        return true;
      case "predicted":
        return c.hasPrediction;
      case "test":
        return c.split === "test";
      default:
        return c.split === "train" && c.annotation === filter;
    }
  });
  $("case-list").replaceChildren(
    ...shown.map((c) => {
      const li = document.createElement("li");
      li.dataset.testid = "case-row";
      li.dataset.case = c.id;
      li.className = c.id === current?.id ? "selected" : "";
      const name = document.createElement("span");
      name.textContent = c.id;
      li.append(name);
      if (c.split === "test") li.append(badge("b-test", "T", "test scan (imagesTs)"));
      else if (c.annotation === "labelled") li.append(badge("b-labelled", "L", "labelled"));
      else if (c.annotation === "boxes") li.append(badge("b-boxes", "B", "box-annotated"));
      else li.append(badge("b-unlabelled", "U", "unlabelled"));
      if (c.hasBoxes && c.annotation !== "boxes") li.append(badge("b-boxes", "B", "has boxes"));
      if (c.hasPrediction) li.append(badge("b-predicted", "P", "predicted"));
      const ranked = suggestions.cell(c.id);
      if (ranked) li.append(ranked);
      li.addEventListener("click", () => void openCase(c.id));
      return li;
    }),
  );
}

async function refreshCases(): Promise<void> {
  cases = await api.cases();
  renderCases();
  jobsPanel?.describeStrategy();
}

function fmtBox(b: { min: number[]; max: number[] }): string {
  return `[${b.min.join(", ")}] – [${b.max.join(", ")})`;
}

function renderBoxes(): void {
  $("box-list").replaceChildren(
    ...organs().map((l) => {
      const li = document.createElement("li");
      li.dataset.testid = "box-row";
      li.dataset.organ = l.name;
      li.className = l.name === editor.selected ? "selected" : "";
      const sw = document.createElement("span");
      sw.className = "swatch";
      sw.style.background = l.color;
      const b = editor.get(l.name);
      const text = document.createElement("span");
      text.textContent = `${l.name}: ${b ? fmtBox(b) : "no box"}`;
      li.append(sw, text);
      li.addEventListener("click", () => {
        selectOrgan(l.name);
        editor.focus(l.name);
      });
      return li;
    }),
  );
  const save = $<HTMLButtonElement>("save-boxes");
  save.disabled = !current || !editor.dirty || current.split !== "train";
  $<HTMLButtonElement>("delete-box").disabled = !editor.get(editor.selected);
  $<HTMLButtonElement>("undo-box").disabled = !editor.canUndo;
  $<HTMLButtonElement>("redo-box").disabled = !editor.canRedo;
  const boxStatus = $("box-status");
  if (editor.dirty) boxStatus.textContent = "Unsaved changes.";
  else if (boxStatus.textContent === "Unsaved changes.") boxStatus.textContent = "As saved.";
  updateBoxMeshes();
}

/** The boxes as wireframes in the 3-D view (when shown), rods a quarter of the coarsest voxel side thick. */
function updateBoxMeshes(): void {
  const show = $<HTMLInputElement>("show-boxes-3d").checked;
  if (!current || !show) {
    viewer.setBoxMeshes([]);
    return;
  }
  const affine = current.affine.map((r) => [...r]) as unknown as Parameters<typeof boxWireframe>[1];
  const extent = Math.hypot(...current.shape.map((n, a) => n * current!.spacing[a]!));
  const thickness = Math.max(0.25 * Math.max(...current.spacing), 0.004 * extent);
  viewer.setBoxMeshes(
    organs().flatMap((l) => {
      const b = editor.get(l.name);
      return b ? [{ name: `box-${l.name}`, color: l.color, mesh: boxWireframe(b, affine, thickness) }] : [];
    }),
  );
}

function selectOrgan(name: string): void {
  editor.selected = name;
  $<HTMLSelectElement>("organ").value = name;
  renderBoxes();
  editor.scheduleDraw();
}

async function loadMetrics(detail: CaseDetail): Promise<void> {
  const el = $("metrics");
  if (!(detail.hasLabel && detail.hasPrediction)) {
    el.textContent = "Needs both a label and a prediction of this case.";
    return;
  }
  el.textContent = "computing…";
  try {
    const m = await api.metrics(detail.id);
    if (current?.id !== detail.id) return;
    const table = document.createElement("table");
    table.dataset.testid = "metrics-table";
    table.innerHTML = "<thead><tr><th>Organ</th><th>Dice</th><th>HD95 (mm)</th></tr></thead>";
    const body = document.createElement("tbody");
    for (const l of m.labels) {
      const tr = document.createElement("tr");
      const cells = [l.name, l.dice === null ? "—" : l.dice.toFixed(3), l.hd95 === null ? "—" : l.hd95.toFixed(2)];
      for (const c of cells) {
        const td = document.createElement("td");
        td.textContent = c;
        tr.append(td);
      }
      tr.firstElementChild!.prepend(Object.assign(document.createElement("span"), { className: "swatch", style: `background:${l.color}` }));
      body.append(tr);
    }
    table.append(body);
    el.replaceChildren(table);
  } catch (e) {
    el.textContent = e instanceof ApiError ? e.message : String(e);
  }
}

async function openCase(id: string, force = false): Promise<void> {
  if (!force && editor.dirty && current && !confirm(`Discard the unsaved boxes of ${current.id}?`)) return;
  const seq = ++loadSeq;
  status(`loading ${id}…`);
  try {
    const [detail, boxes] = await Promise.all([api.case(id), api.boxes(id)]);
    const [image, label, prediction] = await Promise.all([
      api.volume(id, "image"),
      detail.hasLabel ? api.volume(id, "label") : Promise.resolve(null),
      detail.hasPrediction ? api.volume(id, "prediction") : Promise.resolve(null),
    ]);
    if (seq !== loadSeq) return;
    if (!image) throw new Error("the scan is missing");
    const gz = new Uint8Array(image, 0, 2)[0] === 0x1f;
    await viewer.showCase(image, gz ? "image.nii.gz" : "image.nii", { label, prediction }, dataset.labels);
    if (seq !== loadSeq) return;
    current = detail;
    editor.setCase(detail, boxes.boxes);
    $("placeholder").hidden = true;
    $("case-title").textContent = `${detail.id} · ${detail.shape.join("×")} voxels · ${detail.spacing.map((s) => +s.toFixed(3)).join("×")} mm`;
    $<HTMLSelectElement>("annotation").value = detail.annotation;
    $<HTMLSelectElement>("annotation").disabled = detail.split !== "train";
    $("box-status").textContent = boxes.problems.length ? `Problems in the saved box file: ${boxes.problems.join("; ")}` : boxes.exists ? "Saved boxes loaded." : "No boxes yet.";
    history.replaceState(null, "", `#case=${encodeURIComponent(id)}`);
    renderCases();
    renderBoxes();
    void loadMetrics(detail);
    document.body.dataset.loadedCase = id;
    status(`${id} loaded${detail.warnings.length ? ` (header: ${detail.warnings.join("; ")})` : ""}`);
  } catch (e) {
    if (seq === loadSeq) status(`Cannot open ${id}: ${e instanceof Error ? e.message : String(e)}`, true);
  }
}

async function saveBoxes(): Promise<void> {
  if (!current) return;
  const id = current.id;
  try {
    const r = await api.saveBoxes(id, editor.list());
    editor.markSaved(r.boxes.map((b) => ({ label: b.label, voxel: b.voxel })));
    $("box-status").textContent = `Saved ${r.boxes.length} box${r.boxes.length === 1 ? "" : "es"} at ${new Date().toLocaleTimeString()}.`;
    $("box-status").dataset.saved = String(Date.now());
    $<HTMLSelectElement>("annotation").value = r.annotation;
    await refreshCases();
  } catch (e) {
    const msg = e instanceof ApiError ? [e.message, ...e.problems].join("\n") : String(e);
    $("box-status").textContent = `Not saved: ${msg}`;
  }
}

async function setAnnotation(a: Annotation): Promise<void> {
  if (!current) return;
  try {
    await api.setAnnotation(current.id, a);
    await refreshCases();
    status(`${current.id} marked ${a}`);
  } catch (e) {
    $<HTMLSelectElement>("annotation").value = cases.find((c) => c.id === current?.id)?.annotation ?? "labelled";
    status(e instanceof ApiError ? e.message : String(e), true);
  }
}

function wireControls(): void {
  document.querySelectorAll<HTMLButtonElement>("[data-view]").forEach((b) =>
    b.addEventListener("click", () => {
      document.querySelectorAll("[data-view]").forEach((o) => o.classList.toggle("active", o === b));
      viewer.setView(b.dataset.view as ViewMode);
    }),
  );
  const setMode = (box: boolean) => {
    editor.active = box;
    $("mode-box").classList.toggle("active", box);
    $("mode-navigate").classList.toggle("active", !box);
    $("stage").classList.toggle("boxing", box);
    editor.scheduleDraw();
  };
  $("mode-box").addEventListener("click", () => setMode(true));
  $("mode-navigate").addEventListener("click", () => setMode(false));
  const organ = $<HTMLSelectElement>("organ");
  organ.replaceChildren(...organs().map((l) => new Option(l.name, l.name)));
  organ.addEventListener("change", () => selectOrgan(organ.value));
  $("save-boxes").addEventListener("click", () => void saveBoxes());
  $("delete-box").addEventListener("click", () => editor.remove(editor.selected));
  $("undo-box").addEventListener("click", () => editor.undo());
  $("redo-box").addEventListener("click", () => editor.redo());
  $("show-boxes-3d").addEventListener("change", updateBoxMeshes);
  // Ctrl/Cmd+Z undoes a box edit, Ctrl/Cmd+Shift+Z or Ctrl+Y redoes it (not while typing in a field).
  window.addEventListener("keydown", (e) => {
    const t = e.target as HTMLElement | null;
    if (!(e.ctrlKey || e.metaKey) || e.altKey || (t && /^(INPUT|SELECT|TEXTAREA)$/.test(t.tagName))) return;
    const key = e.key.toLowerCase();
    if (key === "z" && !e.shiftKey) editor.undo();
    else if ((key === "z" && e.shiftKey) || key === "y") editor.redo();
    else return;
    e.preventDefault();
  });
  $<HTMLSelectElement>("annotation").addEventListener("change", (e) => void setAnnotation((e.target as HTMLSelectElement).value as Annotation));
  $<HTMLSelectElement>("case-filter").addEventListener("change", renderCases);
  $<HTMLSelectElement>("case-sort").addEventListener("change", renderCases);
  for (const which of ["label", "prediction"] as const) {
    const box = $<HTMLInputElement>(`show-${which}`);
    const slider = $<HTMLInputElement>(`${which}-opacity`);
    const apply = () => viewer.setOverlay(which, box.checked, Number(slider.value));
    box.addEventListener("change", apply);
    slider.addEventListener("input", apply);
    apply();
  }
  $("organ-legend").replaceChildren(
    ...organs().map((l) => {
      const li = document.createElement("li");
      li.append(Object.assign(document.createElement("span"), { className: "swatch", style: `background:${l.color}` }), document.createTextNode(` ${l.value} ${l.name}`));
      return li;
    }),
  );
  window.addEventListener("beforeunload", (e) => {
    if (editor.dirty) e.preventDefault();
  });
}

/** Shows a suggest job's ranking in the case list, most disputed first. */
async function showSuggestions(jobId: string): Promise<void> {
  try {
    await suggestions.load(jobId);
  } catch (e) {
    status(`Cannot read the ranking of ${jobId}: ${e instanceof Error ? e.message : String(e)}`, true);
    return;
  }
  $("suggest-note").textContent = suggestions.describe();
  $<HTMLSelectElement>("case-sort").value = "disagreement";
  renderCases();
}

function onJobEnded(job: JobRecord): void {
  if (job.kind === "suggest" && job.status === "succeeded") void showSuggestions(job.id);
  void refreshCases().then(() => {
    if (job.kind !== "predict" || !current) return;
    const now = cases.find((c) => c.id === current!.id);
    if (!now?.hasPrediction) return;
    if (editor.dirty) status("New predictions are ready: save your boxes and reopen the case to see them.");
    else void openCase(current.id, true);
  });
}

async function boot(): Promise<void> {
  try {
    dataset = await api.dataset();
  } catch (e) {
    status(e instanceof Error ? e.message : String(e), true);
    return;
  }
  $("dataset-name").textContent = `${dataset.name} — ${dataset.folder}`;
  document.title = `labelwise · ${dataset.name}`;
  try {
    viewer = await Viewer.create($<HTMLCanvasElement>("gl"));
  } catch (e) {
    status(`The viewer needs WebGL2: ${e instanceof Error ? e.message : String(e)}`, true);
    return;
  }
  viewer.onLocation = (t) => ($("location").textContent = t);
  editor = new BoxEditor(viewer, $("stage"), $<HTMLCanvasElement>("gl"), $<HTMLCanvasElement>("overlay"));
  editor.setLabels(dataset.labels);
  editor.onChange = renderBoxes;
  wireControls();
  // Read-only geometry for scripted use (the end-to-end tests): where tiles and boxes are on screen.
  (window as unknown as { labelwise: unknown }).labelwise = {
    tiles: () => {
      const scale = $<HTMLCanvasElement>("gl").width / Math.max(1, $<HTMLCanvasElement>("gl").clientWidth);
      return viewer.tiles().map((t) => {
        const left = t.ltwh[2]! < 0 ? t.ltwh[0]! + t.ltwh[2]! : t.ltwh[0]!;
        return { axCorSag: t.axCorSag, left: left / scale, top: t.ltwh[1]! / scale, width: Math.abs(t.ltwh[2]!) / scale, height: t.ltwh[3]! / scale };
      });
    },
    boxRects: (label: string) => editor.screenRects(label),
    boxMeshCount: () => viewer.boxMeshCount(),
  };
  const jobs = new JobsPanel(
    dataset.strategies,
    {
      currentCase: () => current?.id ?? null,
      onJobEnded,
      boxCases: () => cases.filter((c) => c.split === "train" && c.annotation === "boxes").length,
      unlabelledCases: () => cases.filter((c) => c.split === "train" && c.annotation === "unlabelled").length,
      // Choosing an older "what to label next" job shows its ranking again.
      onJobSelected: (job) => {
        if (job.kind === "suggest" && job.status === "succeeded" && suggestions.job !== job.id) void showSuggestions(job.id);
      },
    },
    dataset.strategySummaries,
    dataset.strategyLearnsFrom,
  );
  jobsPanel = jobs;
  await refreshCases();
  const wanted = decodeURIComponent(/^#case=(.+)$/.exec(location.hash)?.[1] ?? "");
  const first = cases.find((c) => c.id === wanted) ?? cases[0];
  if (first) await openCase(first.id);
  else status("The dataset has no cases.");
  await jobs.start();
  // The latest finished ranking, so a reloaded page still says what to label next, unless the job
  // the panel reopened is a suggest job and already brought its own.
  const lastRanking = suggestions.job === null ? (await api.jobs().catch(() => [])).find((j) => j.kind === "suggest" && j.status === "succeeded") : undefined;
  if (lastRanking) await showSuggestions(lastRanking.id);
  document.body.dataset.ready = "1";
}

void boot();
