import assert from "node:assert/strict";
import { mkdtemp, readdir, rm, writeFile, mkdir } from "node:fs/promises";
import { tmpdir } from "node:os";
import path from "node:path";
import { after, before, describe, test } from "node:test";
import { type Vec3 } from "../../volume/affine.js";
import { Volume } from "../../volume/volume.js";
import { runPython } from "../_internal/python-ref.js";
import { toCanonical, undoReorient } from "../orientation.js";
import { normalOf, obliqueOrientation, syntheticEnhancedCT, syntheticSeries, type SeriesSpec, type SyntheticSeries } from "./_fixtures.js";
import {
  decodeDicomSeg,
  decodeDicomSeries,
  encodeDicomSeg,
  readDicomSeg,
  readDicomSeries,
  rgbToDicomLab,
  writeDicomSeg,
  SEGMENTATION_STORAGE,
  type DicomSeries,
} from "./index.js";

const scaleVec = (v: readonly number[], s: number): Vec3 => [v[0]! * s, v[1]! * s, v[2]! * s];

const SPEC: SeriesSpec = (() => {
  const orientation = obliqueOrientation(-25, 10, 15);
  // 7 x 5 = 35 pixels per frame: frames are not byte-aligned in the packed bit stream.
  return { rows: 5, columns: 7, slices: 8, orientation, pixelSpacing: [0.9, 0.7], origin: [-30, 12.5, 88], step: scaleVec(normalOf(orientation), 1.5), slope: 1, intercept: -1024 };
})();

/** A label map with three organs (values 1, 2, 5) on some slices, overlapping none. */
function labelsFor(series: DicomSeries): Volume<"uint8"> {
  const [nx, ny, nz] = series.volume.shape;
  const lab = new Uint8Array(nx * ny * nz);
  for (let k = 0; k < nz; k++) {
    for (let j = 0; j < ny; j++) {
      for (let i = 0; i < nx; i++) {
        const o = i + nx * (j + ny * k);
        if (k >= 1 && k <= 4 && i < 3 && j < 2) lab[o] = 1; // "liver": slices 1-4, a corner
        else if (k === 3 && i >= 4 && j >= 3) lab[o] = 2; // "spleen": one slice
        else if (k >= 5 && (i + j + k) % 3 === 0) lab[o] = 5; // "tumour": scattered voxels
      }
    }
  }
  return series.volume.withData(lab) as Volume<"uint8">;
}

const LABELS = { background: 0, liver: 1, spleen: 2, kidney: 3, tumour: 5, "whole organ": [1, 5] };

describe("encodeDicomSeg / decodeDicomSeg", () => {
  test("round trip through dcmjs: same label map, named segments, frames referencing the source slices", () => {
    const syn = syntheticSeries(SPEC);
    const src = decodeDicomSeries(syn.files);
    const labels = labelsFor(src);
    const enc = encodeDicomSeg(labels, src, { labels: LABELS, seriesDescription: "organs" });
    assert.deepEqual(
      enc.segments.map((s) => [s.number, s.label, s.name, s.frames]),
      [
        [1, 1, "liver", 4],
        [2, 2, "spleen", 1],
        [3, 5, "tumour", 3],
      ],
    );
    assert.equal(enc.frames, 8);
    const seg = decodeDicomSeg(enc.bytes, { reference: src, labels: LABELS });
    assert.deepEqual([...seg.volume.data], [...labels.data]);
    assert.deepEqual(seg.volume.affine, src.volume.affine);
    assert.deepEqual(seg.segments.map((s) => [s.number, s.name, s.label, s.algorithmType, s.algorithmName]), [
      [1, "liver", 1, "AUTOMATIC", "labelwise"],
      [2, "spleen", 2, "AUTOMATIC", "labelwise"],
      [3, "tumour", 5, "AUTOMATIC", "labelwise"],
    ]);
    // Every frame references the SOP instance of the fixture slice it was derived from.
    for (const f of seg.frames) assert.deepEqual(f.referencedSOPInstanceUIDs, [syn.sopInstanceUIDs[f.k]]);
    assert.equal(seg.referencedSeriesInstanceUID, syn.seriesInstanceUID);
    // Without names, segment numbers become the values.
    const plain = decodeDicomSeg(enc.bytes, { reference: src.info });
    assert.deepEqual(new Set(plain.volume.data as Uint8Array), new Set([0, 1, 2, 3]));
    // includeEmptyFrames writes one frame per slice per segment.
    assert.equal(encodeDicomSeg(labels, src, { includeEmptyFrames: true }).frames, 3 * 8);
  });

  test("pydicom reads the SEG: module attributes, segments, per-frame references and positions, bits", async () => {
    const dir = await mkdtemp(path.join(tmpdir(), "lw-seg-py-"));
    try {
      const syn = syntheticSeries(SPEC);
      for (const f of syn.files) await writeFile(path.join(dir, f.path), f.bytes);
      const src = await readDicomSeries(dir);
      const labels = labelsFor(src);
      const segPath = path.join(dir, "..", `${path.basename(dir)}-seg.dcm`);
      const written = await writeDicomSeg(segPath, labels, src, { labels: LABELS, fsync: false, colors: { 1: [255, 0, 0] } });
      const py = runPython<{
        top: Record<string, string>;
        segments: { number: number; label: string; type: string; name: string; lab: number[]; category: string }[];
        refSeries: string;
        refInstances: string[];
        frames: { segment: number; sop: string; ipp: number[]; srcIpp: number[]; iop: number[]; bits: number[] }[];
      }>(
        `
import glob, json, os, sys
import pydicom
seg = pydicom.dcmread(sys.argv[1])
src = {}
for p in glob.glob(sys.argv[2] + "/*"):
    d = pydicom.dcmread(p)
    src[d.SOPInstanceUID] = [float(x) for x in d.ImagePositionPatient]
arr = seg.pixel_array.reshape(int(seg.NumberOfFrames), seg.Rows, seg.Columns)
shared = seg.SharedFunctionalGroupsSequence[0]
frames = []
for i, f in enumerate(seg.PerFrameFunctionalGroupsSequence):
    sop = f.DerivationImageSequence[0].SourceImageSequence[0].ReferencedSOPInstanceUID
    frames.append({
        "segment": int(f.SegmentIdentificationSequence[0].ReferencedSegmentNumber),
        "sop": sop,
        "ipp": [float(x) for x in f.PlanePositionSequence[0].ImagePositionPatient],
        "srcIpp": src[sop],
        "iop": [float(x) for x in shared.PlaneOrientationSequence[0].ImageOrientationPatient],
        "bits": arr[i].ravel().tolist(),
    })
print(json.dumps({
    "top": {k: str(seg.get(k, "")) for k in ["SOPClassUID", "Modality", "SegmentationType", "FrameOfReferenceUID", "StudyInstanceUID", "PatientID", "PatientName", "BitsAllocated", "SeriesDescription", "ContentLabel"]},
    "segments": [{"number": int(s.SegmentNumber), "label": s.SegmentLabel, "type": s.SegmentAlgorithmType, "name": s.SegmentAlgorithmName,
                  "lab": [int(x) for x in s.RecommendedDisplayCIELabValue], "category": s.SegmentedPropertyCategoryCodeSequence[0].CodeValue} for s in seg.SegmentSequence],
    "refSeries": seg.ReferencedSeriesSequence[0].SeriesInstanceUID,
    "refInstances": [x.ReferencedSOPInstanceUID for x in seg.ReferencedSeriesSequence[0].ReferencedInstanceSequence],
    "frames": frames,
}))
`,
        [segPath, dir],
      );
      assert.deepEqual(py.top, {
        SOPClassUID: SEGMENTATION_STORAGE,
        Modality: "SEG",
        SegmentationType: "BINARY",
        FrameOfReferenceUID: syn.frameOfReferenceUID,
        StudyInstanceUID: syn.studyInstanceUID,
        PatientID: "LW-0001",
        PatientName: "Test^Patient",
        BitsAllocated: "1",
        SeriesDescription: "labelwise segmentation",
        ContentLabel: "SEGMENTATION",
      });
      assert.deepEqual(py.segments.map((s) => [s.number, s.label, s.type, s.name, s.category]), [
        [1, "liver", "AUTOMATIC", "labelwise", "85756007"],
        [2, "spleen", "AUTOMATIC", "labelwise", "85756007"],
        [3, "tumour", "AUTOMATIC", "labelwise", "85756007"],
      ]);
      assert.deepEqual(py.segments[0]!.lab, rgbToDicomLab([255, 0, 0]));
      assert.equal(py.refSeries, syn.seriesInstanceUID);
      assert.deepEqual(new Set(py.refInstances), new Set(syn.sopInstanceUIDs));
      assert.equal(py.frames.length, written.frames);
      const segLabel = [0, 1, 2, 5];
      const [nx, ny] = labels.shape;
      for (const f of py.frames) {
        // Independent of our reader: the frame's own position equals its referenced source file's.
        assert.deepEqual(f.ipp, f.srcIpp);
        assert.deepEqual(f.iop.map((v) => Number(v.toFixed(9))), SPEC.orientation.map((v) => Number(v.toFixed(9))));
        const s = syn.sopInstanceUIDs.indexOf(f.sop);
        assert.ok(s >= 0);
        const want: number[] = [];
        for (let j = 0; j < ny; j++) for (let i = 0; i < nx; i++) want.push(labels.get(i, j, s) === segLabel[f.segment] ? 1 : 0);
        assert.deepEqual(f.bits, want, `frame of segment ${f.segment} on slice ${s}`);
      }
    } finally {
      await rm(dir, { recursive: true, force: true });
      await rm(`${dir}-seg.dcm`, { force: true });
    }
  });

  test("negated axial orientation: the SEG's own geometry puts the organ where the label map does (no A/P mirror)", () => {
    // Columns towards the patient's right and rows towards anterior. A blob in the anterior-left
    // corner must come back, through the SEG's positions and orientation alone, in the same place.
    const orientation = [-1, 0, 0, 0, -1, 0];
    const syn = syntheticSeries({ ...SPEC, rows: 6, columns: 6, orientation, step: [0, 0, 2], origin: [50, 40, 0] });
    const src = decodeDicomSeries(syn.files);
    const lab = new Uint8Array(6 * 6 * 8);
    for (let k = 2; k < 4; k++) for (let j = 4; j < 6; j++) for (let i = 0; i < 2; i++) lab[i + 6 * (j + 6 * k)] = 1;
    const labels = src.volume.withData(lab);
    // Centroid from the label map via the Volume's RAS affine...
    let c: Vec3 = [0, 0, 0];
    let n = 0;
    for (let k = 0; k < 8; k++) for (let j = 0; j < 6; j++) for (let i = 0; i < 6; i++) if (labels.get(i, j, k) === 1) {
      const w = labels.voxelToWorld([i, j, k]);
      c = [c[0] + w[0], c[1] + w[1], c[2] + w[2]];
      n++;
    }
    c = [c[0] / n, c[1] / n, c[2] / n];
    // ...lies anterior of the grid centre: rows run anteriorly, so rows 4-5 have the larger RAS y.
    assert.ok(c[1] > src.volume.voxelToWorld([0, 2.5, 0])[1], "blob is on the anterior side");
    // Centroid recomputed from the SEG's own frames (positions, orientation, spacing), in LPS.
    const enc = encodeDicomSeg(labels, src);
    const seg = decodeDicomSeg(enc.bytes, { reference: src });
    let d: Vec3 = [0, 0, 0];
    let m = 0;
    const [ps0, ps1] = src.info.pixelSpacing;
    for (const f of seg.frames) {
      for (let j = 0; j < 6; j++) for (let i = 0; i < 6; i++) if (seg.volume.get(i, j, f.k) === 1) {
        const p: Vec3 = [0, 1, 2].map((a) => f.position[a]! + i * ps1 * orientation[a]! + j * ps0 * orientation[3 + a]!) as unknown as Vec3;
        d = [d[0] + p[0], d[1] + p[1], d[2] + p[2]];
        m++;
      }
    }
    assert.equal(m, n);
    const lps: Vec3 = [d[0] / m, d[1] / m, d[2] / m];
    assert.ok(Math.hypot(-lps[0] - c[0], -lps[1] - c[1], lps[2] - c[2]) < 1e-6, `SEG centroid ${lps} (LPS) vs label centroid ${c} (RAS)`);
  });

  test("an enhanced multi-frame source is referenced by instance and frame number", () => {
    const syn = syntheticEnhancedCT({ ...SPEC, slices: 5 });
    const src = decodeDicomSeries(syn.files);
    const lab = new Uint8Array(7 * 5 * 5);
    lab[7 * 5 * 1 + 3] = 1;
    lab[7 * 5 * 4 + 8] = 1;
    const enc = encodeDicomSeg(src.volume.withData(lab), src);
    const seg = decodeDicomSeg(enc.bytes, { reference: src });
    assert.deepEqual([...seg.volume.data], [...lab]);
    assert.deepEqual(seg.frames.map((f) => f.k), [1, 4]);
    for (const f of seg.frames) {
      assert.deepEqual(f.referencedSOPInstanceUIDs, [syn.sopInstanceUIDs[0]]);
      // The fixture stores slice s as frame (slices - s).
      assert.deepEqual(f.referencedFrameNumbers, [5 - f.k]);
    }
  });

  test("the predict path: canonical (RAS) labels brought back with undoReorient are accepted; without it they are refused", () => {
    // Standard axial DICOM (rows to the patient's left, columns posterior) is "LPS" as voxel axes:
    // canonical RAS flips the first two axes.
    const src = decodeDicomSeries(syntheticSeries({ ...SPEC, orientation: [1, 0, 0, 0, 1, 0], step: [0, 0, 2] }).files);
    const { volume: canonical, record } = toCanonical(src.volume);
    assert.notDeepEqual(canonical.affine, src.volume.affine);
    // A "prediction" made on the canonical grid: label the voxels whose intensity is odd.
    const pred = new Uint8Array(canonical.voxelCount);
    const img = canonical.data as Int16Array;
    for (let p = 0; p < pred.length; p++) pred[p] = img[p]! & 1;
    const predCanonical = canonical.withData(pred);
    assert.throws(() => encodeDicomSeg(predCanonical, src), /mirrored or shifted/);
    const back = undoReorient(predCanonical, record);
    const seg = decodeDicomSeg(encodeDicomSeg(back, src).bytes, { reference: src });
    const srcImg = src.volume.data as Int16Array;
    assert.deepEqual([...seg.volume.data], [...srcImg].map((v) => v & 1));
  });

  test("refuses labels off the source grid, without foreground, or of a float dtype", () => {
    const src = decodeDicomSeries(syntheticSeries(SPEC).files);
    const labels = labelsFor(src);
    const a = src.volume.affine;
    // The same data mirrored along y (what a reorientation that was not undone gives).
    const mirrored = labels.withAffine([a[0], [-a[1][0], -a[1][1], -a[1][2], -a[1][3]], a[2], a[3]]);
    assert.throws(() => encodeDicomSeg(mirrored, src), /labels affine differs from the source series affine .* mirrored or shifted/);
    const wrongShape = new Volume({ data: new Uint8Array(7 * 5 * 7), shape: [7, 5, 7], affine: src.volume.affine });
    assert.throws(() => encodeDicomSeg(wrongShape, src), /labels shape \[7,5,7\] is not the source series grid \[7,5,8\]/);
    assert.throws(() => encodeDicomSeg(src.volume.withData(new Uint8Array(7 * 5 * 8)), src), /has no foreground/);
    assert.throws(() => encodeDicomSeg(src.volume.withData(new Float32Array(7 * 5 * 8)), src), TypeError);
    assert.throws(() => encodeDicomSeg(labels, src, { contentLabel: "bad label!" }), /contentLabel/);
  });

  test("decodeDicomSeg refuses a SEG that does not belong to the reference series", () => {
    const src = decodeDicomSeries(syntheticSeries(SPEC).files);
    const other = decodeDicomSeries(syntheticSeries({ ...SPEC, origin: [0, 0, 0] }).files);
    const enc = encodeDicomSeg(labelsFor(src), src);
    assert.throws(() => decodeDicomSeg(enc.bytes, { reference: other, path: "x.dcm" }), /\(0020,0052\) FrameOfReferenceUID differs from the reference series/);
    // Same frame of reference, shifted grid: the frames are not on its slices.
    const shifted = decodeDicomSeries(syntheticSeries({ ...SPEC, origin: [-30, 12.5, 90], frameOfReferenceUID: src.info.frameOfReferenceUID! }).files);
    assert.throws(() => decodeDicomSeg(enc.bytes, { reference: shifted }), /ImagePositionPatient of frame 1 is not on a slice of the reference series/);
    assert.throws(() => decodeDicomSeg(syntheticSeries(SPEC).files[0]!.bytes, { reference: src }), /\(0008,0016\) SOPClassUID must be Segmentation Storage/);
  });

  test("non-ASCII segment names survive the round trip (UTF-8 text inside sequence items)", () => {
    const src = decodeDicomSeries(syntheticSeries(SPEC).files);
    const names = { background: 0, "Leber ß": 1, "rein gauche é": 2, 肝臓: 5 };
    const enc = encodeDicomSeg(labelsFor(src), src, { labels: names });
    const seg = decodeDicomSeg(enc.bytes, { reference: src, labels: names });
    assert.deepEqual(seg.segments.map((s) => [s.name, s.label]), [
      ["Leber ß", 1],
      ["rein gauche é", 2],
      ["肝臓", 5],
    ]);
    assert.deepEqual([...seg.volume.data], [...labelsFor(src).data]);
  });

  test("rgbToDicomLab: white, black and sRGB red", () => {
    assert.deepEqual(rgbToDicomLab([255, 255, 255]), [65535, 32896, 32896]);
    assert.deepEqual(rgbToDicomLab([0, 0, 0]), [0, 32896, 32896]);
    // sRGB red is about L*53.24 a*80.09 b*67.20.
    const [L, a, b] = rgbToDicomLab([255, 0, 0]);
    assert.ok(Math.abs((L * 100) / 65535 - 53.24) < 0.05 && Math.abs((a * 255) / 65535 - 128 - 80.09) < 0.1 && Math.abs((b * 255) / 65535 - 128 - 67.2) < 0.1);
  });
});

describe("writeDicomSeg on disk", () => {
  let dir: string;
  before(async () => {
    dir = await mkdtemp(path.join(tmpdir(), "lw-seg-"));
  });
  after(async () => {
    await rm(dir, { recursive: true, force: true });
  });

  test("writes atomically (no temp file left) and readDicomSeg reads it back; the SEG beside the series is skipped on re-read", async () => {
    const syn: SyntheticSeries = syntheticSeries(SPEC);
    const series = path.join(dir, "ct");
    await mkdir(series);
    for (const f of syn.files) await writeFile(path.join(series, f.path), f.bytes);
    const src = await readDicomSeries(series);
    const labels = labelsFor(src);
    const out = path.join(series, "pred_seg.dcm");
    const w = await writeDicomSeg(out, labels, src, { labels: LABELS, fsync: false });
    assert.equal(w.segments, 3);
    assert.deepEqual((await readdir(series)).filter((n) => n.endsWith(".tmp")), []);
    const back = await readDicomSeg(out, { reference: src.info, labels: LABELS });
    assert.deepEqual([...back.volume.data], [...labels.data]);
    const again = await readDicomSeries(series);
    assert.match(again.warnings.join("\n"), /pred_seg\.dcm: Modality SEG is not an image series/);
    await assert.rejects(writeDicomSeg(path.join(dir, "missing", "x.dcm"), labels, src, { fsync: false }), /directory .* does not exist/);
  });
});
