// Drawing and editing one 3-D box per organ on the slice views. Boxes are kept as voxel index
// ranges (min inclusive, max exclusive, the box file's convention) and drawn on a 2-D canvas over
// niivue's: solid where the box crosses the slice shown, dashed where it does not (its outline
// projected), with handles on the chosen organ's box.
//
// In "Draw boxes" mode a drag on a slice tile is taken here instead of by niivue:
//   - from outside the chosen organ's box: a new rectangle for the tile's two axes; the third axis
//     keeps the box's extent when the box crosses this slice, else it is this slice alone;
//   - from an edge or corner: moves those edges; from inside: moves the box in the slice's plane.
// Edges snap to voxel edges. A click without a drag moves the crosshair, as in Navigate mode.
// Every finished edit (draw, move, resize, delete) is one step of the undo history (box-history.ts).
import { applyAffine, invertAffine, type Mat4 as VMat4, type Vec3 as VVec3 } from "../../src/volume/index.js";
import type { CaseDetail, LabelInfo, Vec3, VoxelBox } from "./api.js";
import { BoxHistory, type BoxSet } from "./box-history.js";
import { TILE_AXES, type Tile, type Viewer } from "./viewer.js";

type Edge = "min" | "max" | null;
type Op =
  | { kind: "new" }
  | { kind: "move"; start: VoxelBox }
  | { kind: "resize"; start: VoxelBox; u: Edge; v: Edge };

interface Drag {
  readonly tile: Tile;
  readonly axes: { u: number; v: number; n: number };
  readonly startPx: [number, number];
  readonly s: Vec3;
  readonly op: Op;
  preview: VoxelBox | null;
}

const HANDLE_PX = 7;

const cloneBox = (b: VoxelBox): VoxelBox => ({ min: [...b.min] as Vec3, max: [...b.max] as Vec3 });

export class BoxEditor {
  private readonly history = new BoxHistory();
  private labels: readonly LabelInfo[] = [];
  private detail: CaseDetail | null = null;
  private aff: VMat4 | null = null;
  private inv: VMat4 | null = null;
  private drag: Drag | null = null;
  private raf = 0;
  active = false;
  selected = "";
  /** Called when boxes change (list, buttons, unsaved marker). */
  onChange: (() => void) | null = null;

  constructor(
    private readonly viewer: Viewer,
    private readonly stage: HTMLElement,
    private readonly gl: HTMLCanvasElement,
    private readonly overlay: HTMLCanvasElement,
  ) {
    viewer.onDraw = () => this.scheduleDraw();
    // Capture phase on the stage: in box mode, drags on slice tiles never reach niivue's canvas listeners.
    stage.addEventListener("mousedown", (e) => this.onDown(e), true);
    window.addEventListener("mousemove", (e) => this.onMove(e), true);
    window.addEventListener("mouseup", (e) => this.onUp(e), true);
    new ResizeObserver(() => this.scheduleDraw()).observe(gl);
  }

  /** The boxes shown now (the history's current value). */
  private get boxes(): BoxSet {
    return this.history.current;
  }

  /** The boxes differ from the saved ones. */
  get dirty(): boolean {
    return this.history.dirty;
  }

  get canUndo(): boolean {
    return this.history.canUndo;
  }

  get canRedo(): boolean {
    return this.history.canRedo;
  }

  /** Applies an edit as one undo step. */
  private commit(next: BoxSet): void {
    if (!this.history.commit(next)) return;
    this.onChange?.();
    this.scheduleDraw();
  }

  /** Undoes the last edit of this case (a drag in progress is abandoned first). */
  undo(): void {
    this.drag = null;
    if (this.history.undo()) {
      this.onChange?.();
      this.scheduleDraw();
    }
  }

  redo(): void {
    this.drag = null;
    if (this.history.redo()) {
      this.onChange?.();
      this.scheduleDraw();
    }
  }

  setLabels(labels: readonly LabelInfo[]): void {
    this.labels = labels.filter((l) => !l.region);
    if (!this.labels.some((l) => l.name === this.selected)) this.selected = this.labels[0]?.name ?? "";
  }

  /** Shows a case's boxes (as saved). */
  setCase(detail: CaseDetail | null, boxes: readonly { label: string; voxel: VoxelBox }[]): void {
    this.detail = detail;
    this.aff = detail ? (detail.affine.map((r) => [...r]) as unknown as VMat4) : null;
    this.inv = this.aff ? invertAffine(this.aff) : null;
    this.history.reset(new Map(boxes.map((b) => [b.label, cloneBox(b.voxel)])));
    this.drag = null;
    this.onChange?.();
    this.scheduleDraw();
  }

  list(): { label: string; voxel: VoxelBox }[] {
    return this.labels.filter((l) => this.boxes.has(l.name)).map((l) => ({ label: l.name, voxel: cloneBox(this.boxes.get(l.name)!) }));
  }

  get(label: string): VoxelBox | undefined {
    const b = this.boxes.get(label);
    return b ? cloneBox(b) : undefined;
  }

  remove(label: string): void {
    const next = new Map(this.boxes);
    if (next.delete(label)) this.commit(next);
  }

  markSaved(boxes: readonly { label: string; voxel: VoxelBox }[]): void {
    this.history.markSaved(new Map(boxes.map((b) => [b.label, cloneBox(b.voxel)])));
    this.onChange?.();
    this.scheduleDraw();
  }

  /** Moves the crosshair to the centre of an organ's box. */
  focus(label: string): void {
    const b = this.boxes.get(label);
    if (!b || !this.aff) return;
    const c: VVec3 = [(b.min[0] + b.max[0] - 1) / 2, (b.min[1] + b.max[1] - 1) / 2, (b.min[2] + b.max[2] - 1) / 2];
    this.viewer.setCrosshairMM([...applyAffine(this.aff, c)] as Vec3);
  }

  // ---- geometry -------------------------------------------------------------------------------

  /** Voxel axes along a tile's across / up / through directions (the largest affine component). */
  private voxelAxes(t: Tile): { u: number; v: number; n: number } {
    const a = this.aff!;
    const w = TILE_AXES[t.axCorSag];
    const pick = (row: number, not: number[]) => [0, 1, 2].filter((j) => !not.includes(j)).reduce((best, j) => (Math.abs(a[row]![j]!) > Math.abs(a[row]![best]!) ? j : best));
    const u = pick(w.u, []);
    const v = pick(w.v, [u]);
    return { u, v, n: 3 - u - v };
  }

  private toVoxel(mm: Vec3): Vec3 {
    return [...applyAffine(this.inv!, mm)] as Vec3;
  }

  private toCanvas(t: Tile, vox: Vec3): [number, number] {
    return this.viewer.mmToCanvas(t, [...applyAffine(this.aff!, vox)] as Vec3);
  }

  /** Canvas pixels per voxel step along voxel axis `a` on tile `t`. */
  private pxPerVoxel(t: Tile, at: Vec3, a: number): number {
    const b = [...at] as Vec3;
    b[a] = b[a]! + 1;
    const p = this.toCanvas(t, at);
    const q = this.toCanvas(t, b);
    return Math.max(1e-6, Math.hypot(q[0] - p[0], q[1] - p[1]));
  }

  private eventPx(e: MouseEvent): [number, number] {
    const r = this.gl.getBoundingClientRect();
    return [((e.clientX - r.left) * this.gl.width) / Math.max(1, r.width), ((e.clientY - r.top) * this.gl.height) / Math.max(1, r.height)];
  }

  private clamp(b: VoxelBox): VoxelBox {
    const shape = this.detail!.shape;
    const out = cloneBox(b);
    for (let a = 0; a < 3; a++) {
      out.min[a] = Math.max(0, Math.min(out.min[a]!, shape[a]! - 1));
      out.max[a] = Math.max(out.min[a]! + 1, Math.min(out.max[a]!, shape[a]!));
    }
    return out;
  }

  /** Index of the voxel edge nearest continuous index c (edge k lies at k − 0.5). */
  private static edge(c: number): number {
    return Math.round(c + 0.5);
  }

  private compute(d: Drag, q: Vec3): VoxelBox {
    const { u, v, n } = d.axes;
    const op = d.op;
    if (op.kind === "new") {
      const current = this.boxes.get(this.selected);
      const b: VoxelBox = { min: [0, 0, 0], max: [1, 1, 1] };
      for (const a of [u, v]) {
        const lo = BoxEditor.edge(Math.min(d.s[a]!, q[a]!));
        const hi = BoxEditor.edge(Math.max(d.s[a]!, q[a]!));
        b.min[a] = lo;
        b.max[a] = Math.max(hi, lo + 1);
      }
      const k = Math.round(d.s[n]!);
      if (current && current.min[n]! <= k && k < current.max[n]!) {
        b.min[n] = current.min[n]!;
        b.max[n] = current.max[n]!;
      } else {
        b.min[n] = k;
        b.max[n] = k + 1;
      }
      return this.clamp(b);
    }
    const b = cloneBox(op.start);
    if (op.kind === "move") {
      const shape = this.detail!.shape;
      for (const a of [u, v]) {
        const size = b.max[a]! - b.min[a]!;
        const lo = Math.max(0, Math.min(shape[a]! - size, b.min[a]! + Math.round(q[a]! - d.s[a]!)));
        b.min[a] = lo;
        b.max[a] = lo + size;
      }
      return b;
    }
    const shape = this.detail!.shape;
    for (const [a, e] of [[u, op.u], [v, op.v]] as const) {
      if (e === "min") b.min[a] = Math.max(0, Math.min(BoxEditor.edge(q[a]!), b.max[a]! - 1));
      if (e === "max") b.max[a] = Math.min(shape[a]!, Math.max(BoxEditor.edge(q[a]!), b.min[a]! + 1));
    }
    return b;
  }

  /** What a press at voxel point s on tile t grabs of the chosen organ's box. */
  private grab(t: Tile, axes: { u: number; v: number; n: number }, s: Vec3): Op {
    const b = this.boxes.get(this.selected);
    if (!b) return { kind: "new" };
    const { u, v, n } = axes;
    const k = s[n]!;
    if (!(b.min[n]! - 0.5 <= k && k <= b.max[n]! - 0.5)) return { kind: "new" };
    const tolU = HANDLE_PX * devicePixelRatio / this.pxPerVoxel(t, s, u);
    const tolV = HANDLE_PX * devicePixelRatio / this.pxPerVoxel(t, s, v);
    const lo = (a: number) => b.min[a]! - 0.5;
    const hi = (a: number) => b.max[a]! - 0.5;
    const inU = s[u]! > lo(u) - tolU && s[u]! < hi(u) + tolU;
    const inV = s[v]! > lo(v) - tolV && s[v]! < hi(v) + tolV;
    const nearest = (a: number, tol: number): Edge => {
      const dMin = Math.abs(s[a]! - lo(a));
      const dMax = Math.abs(s[a]! - hi(a));
      if (Math.min(dMin, dMax) >= tol) return null;
      return dMin < dMax ? "min" : "max";
    };
    const eu = inV ? nearest(u, tolU) : null;
    const ev = inU ? nearest(v, tolV) : null;
    if (eu || ev) return { kind: "resize", start: cloneBox(b), u: eu, v: ev };
    if (s[u]! > lo(u) && s[u]! < hi(u) && s[v]! > lo(v) && s[v]! < hi(v)) return { kind: "move", start: cloneBox(b) };
    return { kind: "new" };
  }

  // ---- mouse ----------------------------------------------------------------------------------

  private onDown(e: MouseEvent): void {
    if (!this.active || e.button !== 0 || !this.detail || !this.aff || !this.selected || !this.viewer.hasVolume()) return;
    const px = this.eventPx(e);
    const tile = this.viewer.tileAt(px[0], px[1]);
    if (!tile) return; // the 3-D tile keeps niivue's rotation
    e.stopPropagation();
    e.preventDefault();
    const axes = this.voxelAxes(tile);
    const s = this.toVoxel(this.viewer.canvasToMM(tile, px[0], px[1]));
    this.drag = { tile, axes, startPx: px, s, op: this.grab(tile, axes, s), preview: null };
  }

  private onMove(e: MouseEvent): void {
    if (!this.drag) return;
    e.stopPropagation();
    e.preventDefault();
    const px = this.eventPx(e);
    const d = this.drag;
    if (Math.hypot(px[0] - d.startPx[0], px[1] - d.startPx[1]) < 3 * devicePixelRatio && d.preview === null) return;
    d.preview = this.compute(d, this.toVoxel(this.viewer.canvasToMM(d.tile, px[0], px[1])));
    this.scheduleDraw();
  }

  private onUp(e: MouseEvent): void {
    const d = this.drag;
    if (!d) return;
    this.drag = null;
    e.stopPropagation();
    e.preventDefault();
    if (d.preview === null) {
      // A click: move the crosshair there, as niivue would.
      const px = this.eventPx(e);
      this.viewer.setCrosshairMM(this.viewer.canvasToMM(d.tile, px[0], px[1]));
      return;
    }
    const next = new Map(this.boxes);
    next.set(this.selected, d.preview);
    this.commit(next);
    // Keep the other two views cutting through the box, so its third extent can be set there.
    const cross = this.toVoxel(this.viewer.crosshairMM());
    const b = d.preview;
    const inside = [d.axes.u, d.axes.v].every((a) => cross[a]! >= b.min[a]! - 0.5 && cross[a]! <= b.max[a]! - 0.5);
    if (d.op.kind === "new" || !inside) {
      const c = [...cross] as Vec3;
      for (const a of [d.axes.u, d.axes.v]) c[a] = (b.min[a]! + b.max[a]! - 1) / 2;
      this.viewer.setCrosshairMM([...applyAffine(this.aff!, c)] as Vec3);
    }
  }

  /**
   * Where an organ's box is drawn, per slice tile it crosses: CSS pixels relative to the canvas
   * (for tests and scripted use, through `window.labelwise`).
   */
  screenRects(label: string): { axCorSag: number; left: number; top: number; right: number; bottom: number }[] {
    const b = this.boxes.get(label);
    if (!b || !this.aff || !this.viewer.hasVolume()) return [];
    const scale = this.gl.width / Math.max(1, this.gl.clientWidth);
    const cross = this.toVoxel(this.viewer.crosshairMM());
    const out: { axCorSag: number; left: number; top: number; right: number; bottom: number }[] = [];
    for (const t of this.viewer.tiles()) {
      const axes = this.voxelAxes(t);
      const k = cross[axes.n]!;
      if (!(b.min[axes.n]! - 0.5 <= k && k <= b.max[axes.n]! - 0.5)) continue;
      const pts = [
        [b.min[axes.u]! - 0.5, b.min[axes.v]! - 0.5],
        [b.max[axes.u]! - 0.5, b.max[axes.v]! - 0.5],
      ].map(([eu, ev]) => {
        const p = [...cross] as Vec3;
        p[axes.u] = eu!;
        p[axes.v] = ev!;
        return this.toCanvas(t, p);
      });
      const xs = pts.map((p) => p[0] / scale);
      const ys = pts.map((p) => p[1] / scale);
      out.push({ axCorSag: t.axCorSag, left: Math.min(...xs), top: Math.min(...ys), right: Math.max(...xs), bottom: Math.max(...ys) });
    }
    return out;
  }

  // ---- drawing --------------------------------------------------------------------------------

  scheduleDraw(): void {
    if (this.raf) return;
    this.raf = requestAnimationFrame(() => {
      this.raf = 0;
      this.draw();
    });
  }

  private draw(): void {
    const c = this.overlay;
    if (c.width !== this.gl.width || c.height !== this.gl.height) {
      c.width = this.gl.width;
      c.height = this.gl.height;
    }
    const ctx = c.getContext("2d");
    if (!ctx) return;
    ctx.clearRect(0, 0, c.width, c.height);
    if (!this.detail || !this.aff || !this.viewer.hasVolume()) return;
    const cross = this.toVoxel(this.viewer.crosshairMM());
    const dpr = devicePixelRatio;
    for (const t of this.viewer.tiles()) {
      const axes = this.voxelAxes(t);
      ctx.save();
      const left = t.ltwh[2]! < 0 ? t.ltwh[0]! + t.ltwh[2]! : t.ltwh[0]!;
      ctx.beginPath();
      ctx.rect(left, t.ltwh[1]!, Math.abs(t.ltwh[2]!), t.ltwh[3]!);
      ctx.clip();
      for (const l of this.labels) {
        const preview = this.drag?.preview && l.name === this.selected ? this.drag.preview : null;
        const b = preview ?? this.boxes.get(l.name);
        if (!b) continue;
        const k = cross[axes.n]!;
        const crosses = b.min[axes.n]! - 0.5 <= k && k <= b.max[axes.n]! - 0.5;
        const corner = (eu: number, ev: number): [number, number] => {
          const p = [...cross] as Vec3;
          p[axes.u] = eu;
          p[axes.v] = ev;
          return this.toCanvas(t, p);
        };
        const [u0, u1, v0, v1] = [b.min[axes.u]! - 0.5, b.max[axes.u]! - 0.5, b.min[axes.v]! - 0.5, b.max[axes.v]! - 0.5];
        const pts = [corner(u0, v0), corner(u1, v0), corner(u1, v1), corner(u0, v1)];
        const chosen = l.name === this.selected;
        ctx.strokeStyle = l.color;
        ctx.lineWidth = (chosen ? 2 : 1.25) * dpr;
        ctx.setLineDash(crosses ? [] : [4 * dpr, 4 * dpr]);
        ctx.globalAlpha = crosses ? 1 : 0.55;
        ctx.beginPath();
        pts.forEach(([x, y], i) => (i === 0 ? ctx.moveTo(x, y) : ctx.lineTo(x, y)));
        ctx.closePath();
        ctx.stroke();
        if (crosses) {
          ctx.globalAlpha = 0.12;
          ctx.fillStyle = l.color;
          ctx.fill();
        }
        ctx.globalAlpha = 1;
        ctx.setLineDash([]);
        if (chosen && this.active && crosses) {
          const hs = 3.5 * dpr;
          const mids = pts.map((p, i) => {
            const q = pts[(i + 1) % 4]!;
            return [(p[0] + q[0]) / 2, (p[1] + q[1]) / 2] as [number, number];
          });
          ctx.fillStyle = "#ffffff";
          for (const [x, y] of [...pts, ...mids]) ctx.fillRect(x - hs, y - hs, 2 * hs, 2 * hs);
        }
      }
      ctx.restore();
    }
  }
}
