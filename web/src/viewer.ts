// The niivue viewer: one scan with label and prediction overlays (per-organ colours), in
// axial/coronal/sagittal + 3D tiles or one view at a time, and the coordinate helpers the box
// editor needs (which 2-D tile is under the mouse, canvas pixels <-> world millimetres). Boxes
// appear in the 3-D tile as wireframe meshes (box-meshes.ts); the slice tiles outline them on the
// box editor's own canvas instead, so niivue draws no mesh on 2-D slices.
import { MULTIPLANAR_TYPE, NVImage, NVMesh, Niivue, SHOW_RENDER, SLICE_TYPE } from "@niivue/niivue";
import type { LabelInfo, Vec3 } from "./api.js";
import type { MeshData } from "./box-meshes.js";

export type ViewMode = "multi" | "axial" | "coronal" | "sagittal" | "render";
export type Overlay = "label" | "prediction";

/** A 2-D slice tile as niivue laid it out (canvas pixels) and the world window it shows. */
export interface Tile {
  readonly index: number;
  /** 0 axial, 1 coronal, 2 sagittal. */
  readonly axCorSag: 0 | 1 | 2;
  /** left, top, width, height in canvas pixels; width < 0 when mirrored. */
  readonly ltwh: readonly number[];
  readonly leftTopMM: readonly number[];
  readonly fovMM: readonly number[];
}

/** World axes shown across and up a tile, and the one through it. */
export const TILE_AXES: Record<0 | 1 | 2, { u: number; v: number; n: number }> = {
  0: { u: 0, v: 1, n: 2 },
  1: { u: 0, v: 2, n: 1 },
  2: { u: 1, v: 2, n: 0 },
};

function hexToRgb(hex: string): [number, number, number] {
  const n = Number.parseInt(hex.slice(1), 16);
  return [(n >> 16) & 255, (n >> 8) & 255, n & 255];
}

/** niivue label colormap: value -> organ colour, background transparent. */
function labelColormap(labels: readonly LabelInfo[]) {
  const sorted = [...labels].filter((l) => !l.region).sort((a, b) => a.value - b.value);
  const cm = { R: [0], G: [0], B: [0], A: [0], I: [0], labels: [""] };
  for (const l of sorted) {
    const [r, g, b] = hexToRgb(l.color);
    cm.R.push(r);
    cm.G.push(g);
    cm.B.push(b);
    cm.A.push(255);
    cm.I.push(l.value);
    cm.labels.push(l.name);
  }
  return cm;
}

export class Viewer {
  readonly nv: Niivue;
  private readonly overlays = new Map<Overlay, NVImage>();
  private readonly overlayState: Record<Overlay, { visible: boolean; opacity: number }> = {
    label: { visible: true, opacity: 0.5 },
    prediction: { visible: true, opacity: 0.5 },
  };
  /** Called after every niivue redraw (the box overlay follows zoom, pan, slices). */
  onDraw: (() => void) | null = null;
  onLocation: ((text: string) => void) | null = null;
  private mode: ViewMode = "multi";
  private boxMeshes: NVMesh[] = [];

  private constructor(nv: Niivue) {
    this.nv = nv;
  }

  static async create(canvas: HTMLCanvasElement): Promise<Viewer> {
    const nv = new Niivue({
      backColor: [0.06, 0.06, 0.08, 1],
      show3Dcrosshair: true,
      multiplanarShowRender: SHOW_RENDER.ALWAYS,
      multiplanarLayout: MULTIPLANAR_TYPE.GRID,
      dragAndDropEnabled: false,
      isColorbar: false,
      crosshairColor: [1, 0.85, 0.2, 0.7],
      // One voxel wide is a thick bar on the small crops this is used with; 1 screen pixel is enough.
      crosshairWidth: 1,
      crosshairWidthUnit: "percent",
      crosshairGap: 0,
      // Box meshes only in the 3-D tile; seen through the volume rendering where it hides them.
      meshThicknessOn2D: 0,
      meshXRay: 0.6,
    });
    const v = new Viewer(nv);
    await nv.attachToCanvas(canvas);
    const draw = nv.drawScene.bind(nv);
    nv.drawScene = () => {
      const r = draw();
      v.onDraw?.();
      return r;
    };
    nv.onLocationChange = (loc: unknown) => {
      const s = (loc as { string?: string }).string;
      if (typeof s === "string") v.onLocation?.(s);
    };
    v.setView("multi");
    return v;
  }

  /** Replaces what is shown with a case's scan and overlays. */
  async showCase(image: ArrayBuffer, imageName: string, overlays: Partial<Record<Overlay, ArrayBuffer | null>>, labels: readonly LabelInfo[]): Promise<void> {
    for (const vol of [...this.nv.volumes]) this.nv.removeVolume(vol);
    this.overlays.clear();
    const base = await NVImage.loadFromUrl({ url: imageName, name: imageName, buffer: image, colormap: "gray", opacity: 1 });
    this.nv.addVolume(base);
    const cm = labelColormap(labels);
    for (const which of ["label", "prediction"] as const) {
      const buf = overlays[which];
      if (!buf) continue;
      const name = `${which}.nii${new Uint8Array(buf, 0, 2)[0] === 0x1f ? ".gz" : ""}`;
      const vol = await NVImage.loadFromUrl({ url: name, name, buffer: buf, opacity: this.effectiveOpacity(which) });
      vol.setColormapLabel(cm);
      this.nv.addVolume(vol);
      this.overlays.set(which, vol);
    }
    this.nv.updateGLVolume();
    this.setView(this.mode);
  }

  /** Replaces the boxes drawn in the 3-D view (an empty list removes them). */
  setBoxMeshes(boxes: readonly { name: string; color: string; mesh: MeshData }[]): void {
    for (const m of this.boxMeshes) this.nv.removeMesh(m);
    this.boxMeshes = boxes.map((b) => new NVMesh(b.mesh.pts, b.mesh.tris, b.name, Uint8Array.from([...hexToRgb(b.color), 255]), 1, true, this.nv.gl));
    for (const m of this.boxMeshes) this.nv.addMesh(m);
    this.nv.drawScene();
  }

  /** Number of box meshes shown in the 3-D view. */
  boxMeshCount(): number {
    return this.boxMeshes.length;
  }

  hasVolume(): boolean {
    return this.nv.volumes.length > 0;
  }

  hasOverlay(which: Overlay): boolean {
    return this.overlays.has(which);
  }

  private effectiveOpacity(which: Overlay): number {
    const s = this.overlayState[which];
    return s.visible ? s.opacity : 0;
  }

  setOverlay(which: Overlay, visible: boolean, opacity: number): void {
    this.overlayState[which] = { visible, opacity };
    const vol = this.overlays.get(which);
    if (!vol) return;
    const idx = this.nv.volumes.indexOf(vol);
    if (idx > 0) this.nv.setOpacity(idx, this.effectiveOpacity(which));
  }

  setView(mode: ViewMode): void {
    this.mode = mode;
    const types: Record<ViewMode, SLICE_TYPE> = {
      multi: SLICE_TYPE.MULTIPLANAR,
      axial: SLICE_TYPE.AXIAL,
      coronal: SLICE_TYPE.CORONAL,
      sagittal: SLICE_TYPE.SAGITTAL,
      render: SLICE_TYPE.RENDER,
    };
    this.nv.setSliceType(types[mode]);
  }

  /** The 2-D slice tiles on screen now. */
  tiles(): Tile[] {
    const out: Tile[] = [];
    this.nv.screenSlices.forEach((s, index) => {
      const k = s.axCorSag as number;
      if ((k === 0 || k === 1 || k === 2) && s.leftTopMM && s.fovMM && s.leftTopWidthHeight) {
        out.push({ index, axCorSag: k, ltwh: s.leftTopWidthHeight, leftTopMM: s.leftTopMM, fovMM: s.fovMM });
      }
    });
    return out;
  }

  /** The 2-D tile under canvas pixel (x, y), if any. */
  tileAt(x: number, y: number): Tile | undefined {
    return this.tiles().find((t) => {
      const left = t.ltwh[2]! < 0 ? t.ltwh[0]! + t.ltwh[2]! : t.ltwh[0]!;
      const w = Math.abs(t.ltwh[2]!);
      return x >= left && x <= left + w && y >= t.ltwh[1]! && y <= t.ltwh[1]! + t.ltwh[3]!;
    });
  }

  /** The crosshair in world millimetres. */
  crosshairMM(): Vec3 {
    const mm = this.nv.frac2mm(this.nv.scene.crosshairPos);
    return [mm[0]!, mm[1]!, mm[2]!];
  }

  /** Moves the crosshair to a world point (clamped to the volume by niivue). */
  setCrosshairMM(mm: Vec3): void {
    const frac = this.nv.mm2frac(mm);
    for (let a = 0; a < 3; a++) frac[a] = Math.min(1, Math.max(0, frac[a]!));
    this.nv.scene.crosshairPos = frac;
    this.nv.createOnLocationChange();
    this.nv.drawScene();
  }

  /** World point under canvas pixel (x, y) of a tile; the through-plane coordinate is the crosshair's. */
  canvasToMM(t: Tile, x: number, y: number): Vec3 {
    const ax = TILE_AXES[t.axCorSag];
    const mirrored = t.ltwh[2]! < 0;
    const left = mirrored ? t.ltwh[0]! + t.ltwh[2]! : t.ltwh[0]!;
    const w = Math.abs(t.ltwh[2]!);
    let fx = (x - left) / w;
    if (mirrored) fx = 1 - fx;
    const fy = 1 - (y - t.ltwh[1]!) / t.ltwh[3]!;
    const out = this.crosshairMM();
    out[ax.u] = t.leftTopMM[0]! + fx * t.fovMM[0]!;
    out[ax.v] = t.leftTopMM[1]! + fy * t.fovMM[1]!;
    return out;
  }

  /** Canvas pixel of a world point projected onto a tile. */
  mmToCanvas(t: Tile, mm: Vec3): [number, number] {
    const ax = TILE_AXES[t.axCorSag];
    const fx = (mm[ax.u]! - t.leftTopMM[0]!) / t.fovMM[0]!;
    const fy = (mm[ax.v]! - t.leftTopMM[1]!) / t.fovMM[1]!;
    const mirrored = t.ltwh[2]! < 0;
    const left = mirrored ? t.ltwh[0]! + t.ltwh[2]! : t.ltwh[0]!;
    const w = Math.abs(t.ltwh[2]!);
    return [left + (mirrored ? 1 - fx : fx) * w, t.ltwh[1]! + (1 - fy) * t.ltwh[3]!];
  }

  redraw(): void {
    this.nv.drawScene();
  }
}
