import assert from "node:assert/strict";
import { mkdtemp, rm, writeFile, mkdir } from "node:fs/promises";
import { tmpdir } from "node:os";
import path from "node:path";
import { after, before, describe, test } from "node:test";
import { maxAbsDiff, type Vec3 } from "../../volume/affine.js";
import { FormatError } from "../errors.js";
import { runPython } from "../_internal/python-ref.js";
import {
  IMPLICIT_LE,
  normalOf,
  obliqueOrientation,
  syntheticEnhancedCT,
  syntheticSeries,
  type SeriesSpec,
  type SyntheticSeries,
} from "./_fixtures.js";
import { T, el } from "./dcmjs.js";
import { decodeDicomSeries, readDicomSeries, type DicomSeries } from "./index.js";

const scaleVec = (v: readonly number[], s: number): Vec3 => [v[0]! * s, v[1]! * s, v[2]! * s];

/** Every voxel's world position and value against the fixture's truth (slice s = truthSlice(k)). */
function assertMatchesTruth(r: DicomSeries, syn: SyntheticSeries, truthSlice: (k: number) => number, tol = 1e-4): void {
  const { rows, columns, slices } = syn.spec;
  const slope = syn.spec.slope ?? 1;
  const intercept = syn.spec.intercept ?? 0;
  assert.deepEqual(r.volume.shape, [columns, rows, slices]);
  let worstPos = 0;
  for (let k = 0; k < slices; k++) {
    const s = truthSlice(k);
    assert.equal(r.info.slices[k]!.sopInstanceUID, syn.sopInstanceUIDs[s], `slice ${k} should come from fixture slice ${s}`);
    for (let j = 0; j < rows; j++) {
      for (let i = 0; i < columns; i++) {
        const w = r.volume.voxelToWorld([i, j, k]);
        const p = syn.position(i, j, s); // LPS
        worstPos = Math.max(worstPos, Math.abs(w[0] + p[0]), Math.abs(w[1] + p[1]), Math.abs(w[2] - p[2]));
        const v = r.volume.get(i, j, k) as number;
        const want = syn.stored(i, j, s) * slope + intercept;
        if (Math.abs(v - want) > 1e-3 * Math.max(1, Math.abs(want))) assert.fail(`voxel (${i},${j},${k}) = ${v}, want ${want}`);
      }
    }
  }
  assert.ok(worstPos < tol, `world positions off by ${worstPos} mm`);
}

const OBLIQUE: SeriesSpec = (() => {
  const orientation = obliqueOrientation(20, -15, 30);
  return {
    rows: 5,
    columns: 7,
    slices: 9,
    orientation,
    pixelSpacing: [0.8, 0.6],
    origin: [10.5, -20.25, 30],
    step: scaleVec(normalOf(orientation), 2.5),
    slope: 2,
    intercept: -1024,
  };
})();

describe("decodeDicomSeries geometry", () => {
  test("an oblique series with shuffled files and non-unit rescale reads with the exact geometry and values", () => {
    const syn = syntheticSeries(OBLIQUE);
    // Files arrive in name order, which the fixture made different from spatial order.
    const files = [...syn.files].sort((a, b) => (a.path < b.path ? -1 : 1));
    assert.notDeepEqual(files.map((f) => f.path), syn.paths, "fixture should shuffle names");
    const r = decodeDicomSeries(files);
    assert.equal(r.volume.dtype, "int16", "integer slope/intercept within int16 stays int16");
    assertMatchesTruth(r, syn, (k) => k);
    assert.deepEqual(r.warnings, []);
    assert.ok(Math.abs(r.info.spacingBetweenSlices - 2.5) < 1e-6);
    assert.deepEqual(r.volume.spacing.map((v) => Number(v.toFixed(6))), [0.6, 0.8, 2.5]);
    assert.equal(r.info.frameOfReferenceUID, syn.frameOfReferenceUID);
  });

  test("a fractional slope gives float32 with the rescaled values", () => {
    const syn = syntheticSeries({ ...OBLIQUE, slope: 0.5, intercept: -0.25, seed: 7 });
    const r = decodeDicomSeries(syn.files);
    assert.equal(r.volume.dtype, "float32");
    assertMatchesTruth(r, syn, (k) => k);
    assert.equal(decodeDicomSeries(syntheticSeries(OBLIQUE).files, { dtype: "float32" }).volume.dtype, "float32");
  });

  test("slices stored against the normal (step = -normal) are ordered along the normal", () => {
    const orientation = obliqueOrientation(5, 10, -40);
    const syn = syntheticSeries({ ...OBLIQUE, orientation, step: scaleVec(normalOf(orientation), -3) });
    const r = decodeDicomSeries(syn.files);
    assertMatchesTruth(r, syn, (k) => syn.spec.slices - 1 - k);
    // Third affine column points along +normal (ITK's convention): row x col in LPS, flipped to RAS.
    const n = normalOf(orientation);
    const col2 = [r.volume.affine[0][2], r.volume.affine[1][2], r.volume.affine[2][2]];
    assert.ok(maxAbsDiff([col2], [[-n[0] * 3, -n[1] * 3, n[2] * 3]]) < 1e-6);
  });

  test("a negated axial orientation (rows to the right, columns anterior) maps to RAS correctly", () => {
    // IOP [-1,0,0, 0,-1,0]: columns run towards the patient's right, rows towards anterior — the
    // layout behind DICOM SEG anterior/posterior mirror bugs. LPS -> RAS must flip x and y only.
    const orientation = [-1, 0, 0, 0, -1, 0];
    const syn = syntheticSeries({ ...OBLIQUE, orientation, step: scaleVec(normalOf(orientation), 2), origin: [100, 80, -50] });
    const r = decodeDicomSeries(syn.files);
    assertMatchesTruth(r, syn, (k) => k);
    // Columns towards the patient's right are +x in RAS (0.6 mm), rows towards anterior +y
    // (0.8 mm), slices along row x col = +z; the origin's x and y change sign.
    const a = r.volume.affine;
    const want = [
      [0.6, 0, 0, -100],
      [0, 0.8, 0, -80],
      [0, 0, 2, -50],
      [0, 0, 0, 1],
    ];
    assert.ok(maxAbsDiff(a, want) < 1e-9, JSON.stringify(a));
  });

  test("implicit VR little endian reads the same as explicit", () => {
    const syn = syntheticSeries({ ...OBLIQUE, transferSyntaxUID: IMPLICIT_LE, seed: 3 });
    assertMatchesTruth(decodeDicomSeries(syn.files), syn, (k) => k);
  });

  test("deflated explicit VR little endian (re-encoded by pydicom) reads the same", async () => {
    const dir = await mkdtemp(path.join(tmpdir(), "lw-dicom-deflate-"));
    try {
      const syn = syntheticSeries({ ...OBLIQUE, seed: 13 });
      for (const f of syn.files) await writeFile(path.join(dir, f.path), f.bytes);
      runPython(
        `
import glob, json, sys
import pydicom
from pydicom.uid import DeflatedExplicitVRLittleEndian
for p in glob.glob(sys.argv[1] + "/*"):
    d = pydicom.dcmread(p)
    d.file_meta.TransferSyntaxUID = DeflatedExplicitVRLittleEndian
    d.save_as(p, write_like_original=False)
print(json.dumps(True))
`,
        [dir],
      );
      const r = await readDicomSeries(dir);
      assertMatchesTruth(r, syn, (k) => k);
    } finally {
      await rm(dir, { recursive: true, force: true });
    }
  });

  test("an enhanced multi-frame CT (frames in reverse order, functional groups) reads like the single-frame series", () => {
    const syn = syntheticEnhancedCT({ ...OBLIQUE, slices: 6 });
    const r = decodeDicomSeries(syn.files);
    assert.equal(r.volume.dtype, "int16");
    assertMatchesTruth(r, syn, (k) => k);
    // Frame numbers: the fixture stores slice s as frame (slices - s).
    assert.deepEqual(r.info.slices.map((s) => s.frameNumber), [6, 5, 4, 3, 2, 1]);
  });

  test("gantry tilt: sheared affine keeps every slice in place, with a warning; or an error on request", () => {
    const n = normalOf(OBLIQUE.orientation);
    const row = OBLIQUE.orientation.slice(0, 3);
    // Each slice moves 2.5 mm along the normal and 0.4 mm along the rows: tilt = atan(0.4/2.5).
    const step = [0, 1, 2].map((a) => n[a]! * 2.5 + row[a]! * 0.4) as unknown as Vec3;
    const syn = syntheticSeries({ ...OBLIQUE, step });
    const r = decodeDicomSeries(syn.files);
    assertMatchesTruth(r, syn, (k) => k);
    assert.ok(Math.abs(r.info.tiltDegrees - (Math.atan(0.4 / 2.5) * 180) / Math.PI) < 1e-3);
    assert.match(r.warnings.join("\n"), /gantry tilt of 9\.09\d*°/);
    assert.throws(() => decodeDicomSeries(syn.files, { onGantryTilt: "error" }), (e: unknown) => e instanceof FormatError && /gantry tilt/.test(e.message));
  });

  test("a missing slice is refused with the gap found; 'warn' reads it on a regular grid", () => {
    const syn = syntheticSeries(OBLIQUE);
    const missing = syn.files.filter((f) => f.path !== syn.paths[4]);
    assert.throws(
      () => decodeDicomSeries(missing),
      (e: unknown) =>
        e instanceof FormatError &&
        e.message.includes("not uniform") &&
        e.message.includes("2.5 mm apart") &&
        e.message.includes("are 5 mm apart") &&
        e.message.includes(syn.paths[3]!) &&
        e.message.includes(syn.paths[5]!) &&
        e.message.includes("missing"),
    );
    const r = decodeDicomSeries(missing, { onNonUniformSpacing: "warn" });
    assert.equal(r.volume.shape[2], 8);
    assert.match(r.warnings.join("\n"), /regular grid of 2\.8571 mm, so slices sit up to 1\.0714 mm from their true position/);
  });

  test("the affine agrees with nibabel's DICOM wrapper (pydicom) on a shuffled oblique series", async () => {
    const dir = await mkdtemp(path.join(tmpdir(), "lw-dicom-nib-"));
    try {
      const syn = syntheticSeries({ ...OBLIQUE, seed: 11 });
      for (const f of syn.files) await writeFile(path.join(dir, f.path), f.bytes);
      const r = await readDicomSeries(dir);
      // nibabel orders voxels (row, column) and its slice normal is column x row, the opposite of
      // ITK's row x column: its ascending slice_indicator is our descending k. Its per-file affine
      // gives the in-plane columns and the origin; the slice step is taken from its positions.
      const ref = runPython<{ affine: number[][]; nibCol2: number[]; sops: string[]; data: number[] }>(
        `
import glob, json, sys, warnings
import numpy as np
warnings.simplefilter("ignore")
import nibabel.nicom.dicomwrappers as dw
ws = [dw.wrapper_from_file(p) for p in glob.glob(sys.argv[1] + "/*")]
ws.sort(key=lambda w: -w.slice_indicator)
A = np.array(ws[0].affine)[:, [1, 0, 2, 3]]
nib_col2 = A[:3, 2].tolist()
A[:3, 2] = np.array(ws[1].image_position) - np.array(ws[0].image_position)
ras = np.diag([-1.0, -1.0, 1.0, 1.0]) @ A
data = np.stack([w.get_data() for w in ws], axis=0)  # (slice, row, column): C order = x fastest
print(json.dumps({"affine": ras.tolist(), "nibCol2": nib_col2, "sops": [str(w.get("SOPInstanceUID")) for w in ws], "data": data.ravel().tolist()}))
`,
        [dir],
      );
      assert.ok(maxAbsDiff(r.volume.affine, ref.affine) < 1e-5, `affine ${JSON.stringify(r.volume.affine)} vs nibabel ${JSON.stringify(ref.affine)}`);
      assert.deepEqual(r.info.slices.map((s) => s.sopInstanceUID), ref.sops);
      const col2 = [r.volume.affine[0][2], r.volume.affine[1][2], r.volume.affine[2][2]];
      // nibabel's own third column is -normal * SliceThickness in LPS.
      assert.ok(maxAbsDiff([col2], [[ref.nibCol2[0]!, ref.nibCol2[1]!, -ref.nibCol2[2]!]]) < 1e-5);
      assert.deepEqual([...(r.volume.data as Int16Array)], ref.data);
    } finally {
      await rm(dir, { recursive: true, force: true });
    }
  });
});

describe("readDicomSeries folders and bad inputs", () => {
  let root: string;
  before(async () => {
    root = await mkdtemp(path.join(tmpdir(), "lw-dicom-"));
  });
  after(async () => {
    await rm(root, { recursive: true, force: true });
  });
  async function folder(name: string, files: readonly { path: string; bytes: Uint8Array | string }[]): Promise<string> {
    const dir = path.join(root, name);
    await mkdir(dir, { recursive: true });
    for (const f of files) await writeFile(path.join(dir, f.path), f.bytes);
    return dir;
  }
  const isFormatError = (re: RegExp, file?: string) => (e: unknown) => {
    assert.ok(e instanceof FormatError, `expected FormatError, got ${String(e)}`);
    assert.match(e.message, re);
    if (file !== undefined) assert.equal(path.basename(e.path), path.basename(file), `error should name ${file}: ${e.message}`);
    return true;
  };

  test("reads a folder, skipping non-DICOM files with a warning", async () => {
    const syn = syntheticSeries({ ...OBLIQUE, seed: 5 });
    const dir = await folder("ok", [...syn.files, { path: "README.txt", bytes: "notes about the scan\n" }]);
    const r = await readDicomSeries(dir);
    assertMatchesTruth(r, syn, (k) => k);
    assert.deepEqual(r.skipped.map((s) => path.basename(s.path)), ["README.txt"]);
    assert.match(r.warnings.join("\n"), /README\.txt: not DICOM/);
  });

  test("empty folder and a folder without DICOM images", async () => {
    await assert.rejects(readDicomSeries(await folder("empty", [])), isFormatError(/holds no files/, "empty"));
    await assert.rejects(
      readDicomSeries(await folder("text", [{ path: "a.txt", bytes: "x".repeat(300) }])),
      isFormatError(/none of the 1 files is a DICOM image/, "text"),
    );
    await assert.rejects(readDicomSeries(path.join(root, "nope")), isFormatError(/cannot list the folder \(ENOENT\)/));
  });

  test("mixed series: an error listing each series; seriesInstanceUID chooses one", async () => {
    const a = syntheticSeries({ ...OBLIQUE, slices: 3, seriesDescription: "first" });
    const b = syntheticSeries({ ...OBLIQUE, slices: 4, seriesDescription: "second", fileName: (s) => `B${s}` });
    const dir = await folder("mixed", [...a.files, ...b.files]);
    await assert.rejects(readDicomSeries(dir), (e: unknown) => {
      assert.ok(e instanceof FormatError);
      assert.match(e.message, /holds 2 image series; choose one with the seriesInstanceUID option/);
      assert.ok(e.message.includes(a.seriesInstanceUID) && e.message.includes(b.seriesInstanceUID));
      assert.match(e.message, /"first"  3 files/);
      assert.match(e.message, /"second"  4 files/);
      return true;
    });
    const r = await readDicomSeries(dir, { seriesInstanceUID: b.seriesInstanceUID });
    assertMatchesTruth(r, b, (k) => k);
    assert.equal(r.skipped.length, 3);
    await assert.rejects(readDicomSeries(dir, { seriesInstanceUID: "1.2.3" }), isFormatError(/no image series with SeriesInstanceUID 1\.2\.3/));
  });

  test("a SEG in the folder is skipped, not mistaken for a second series", async () => {
    const syn = syntheticSeries({ ...OBLIQUE, slices: 3 });
    const seg = syntheticSeries({
      ...OBLIQUE,
      slices: 1,
      fileName: () => "seg.dcm",
      edit: (_s, ds) => {
        ds[T.Modality] = el("CS", "SEG");
      },
    });
    const r = await readDicomSeries(await folder("with-seg", [...syn.files, ...seg.files]));
    assert.equal(r.volume.shape[2], 3);
    assert.match(r.warnings.join("\n"), /seg\.dcm: Modality SEG is not an image series/);
  });

  test("missing ImagePositionPatient names the file and the tag", async () => {
    const syn = syntheticSeries({
      ...OBLIQUE,
      edit: (s, ds) => {
        if (s === 2) delete ds[T.ImagePositionPatient];
      },
    });
    await assert.rejects(readDicomSeries(await folder("no-ipp", syn.files)), isFormatError(/\(0020,0032\) ImagePositionPatient is missing/, syn.paths[2]));
  });

  test("unsupported transfer syntax names the file and the syntax", async () => {
    const syn = syntheticSeries({
      ...OBLIQUE,
      edit: (s, _ds, meta) => {
        if (s === 1) meta[T.TransferSyntaxUID] = el("UI", "1.2.840.10008.1.2.4.90");
      },
    });
    await assert.rejects(
      readDicomSeries(await folder("j2k", syn.files)),
      isFormatError(/\(0002,0010\) TransferSyntaxUID 1\.2\.840\.10008\.1\.2\.4\.90 \(JPEG 2000 Image Compression \(Lossless Only\)\) is not supported/, syn.paths[1]),
    );
  });

  test("inconsistent Rows/Columns name the file and the tag", async () => {
    const syn = syntheticSeries({
      ...OBLIQUE,
      edit: (s, ds) => {
        if (s === 6) {
          ds[T.Rows] = el("US", 4);
          ds[T.PixelData] = el("OW", new Int16Array(4 * 7).buffer);
        }
      },
    });
    await assert.rejects(
      readDicomSeries(await folder("rows", syn.files)),
      isFormatError(/\(0028,0010\) Rows differs between files of the series: .* has 5, this file has 4/, syn.paths[6]),
    );
  });

  test("other catalogue entries: truncated file, short pixel data, same position twice, orientation change, memory limit, colour", async () => {
    const syn = syntheticSeries(OBLIQUE);
    // Truncated in the middle of the pixel data: header fine, pixels short.
    const trunc = syn.files.map((f, s) => (s === 3 ? { ...f, bytes: f.bytes.subarray(0, f.bytes.length - 20) } : f));
    assert.throws(() => decodeDicomSeries(trunc), isFormatError(/./, syn.paths[3]));
    // Truncated inside the header.
    const trunc2 = syn.files.map((f, s) => (s === 3 ? { ...f, bytes: f.bytes.subarray(0, 300) } : f));
    assert.throws(() => decodeDicomSeries(trunc2), isFormatError(/dcmjs could not parse the file/, syn.paths[3]));
    const short = syntheticSeries({
      ...OBLIQUE,
      edit: (s, ds) => {
        if (s === 0) ds[T.PixelData] = el("OW", new Int16Array(10).buffer);
      },
    });
    assert.throws(() => decodeDicomSeries(short.files), isFormatError(/\(7FE0,0010\) PixelData holds 20 bytes, but 1 frame\(s\) of 7x5 at 16 bits need 70/, short.paths[0]));
    const dup = syntheticSeries({
      ...OBLIQUE,
      edit: (s, ds) => {
        if (s === 5) ds[T.ImagePositionPatient] = el("DS", ...syntheticSeriesPosition(4));
      },
    });
    assert.throws(() => decodeDicomSeries(dup.files), isFormatError(/lie at the same position along the slice normal/));
    const tilted = syntheticSeries({
      ...OBLIQUE,
      edit: (s, ds) => {
        if (s === 2) ds[T.ImageOrientationPatient] = el("DS", 1, 0, 0, 0, 1, 0);
      },
    });
    assert.throws(() => decodeDicomSeries(tilted.files), isFormatError(/ImageOrientationPatient differs between slices/, tilted.paths[2]));
    assert.throws(() => decodeDicomSeries(syn.files, { maxBytes: 100 }), isFormatError(/7x5x9 int16 voxels need .* above the limit maxBytes/));
    const rgb = syntheticSeries({
      ...OBLIQUE,
      edit: (_s, ds) => {
        ds[T.SamplesPerPixel] = el("US", 3);
      },
    });
    assert.throws(() => decodeDicomSeries(rgb.files), isFormatError(/\(0028,0002\) SamplesPerPixel must be 1/));
    const multi = syntheticSeries({
      ...OBLIQUE,
      slices: 2,
      edit: (_s, ds) => {
        ds[T.NumberOfFrames] = el("IS", 3);
      },
    });
    assert.throws(() => decodeDicomSeries(multi.files), isFormatError(/PerFrameFunctionalGroupsSequence is missing: a multi-frame image \(3 frames\)/));
    const badIop = syntheticSeries({
      ...OBLIQUE,
      edit: (_s, ds) => {
        ds[T.ImageOrientationPatient] = el("DS", 1, 0, 0, 0.5, 0.5, 0);
      },
    });
    assert.throws(() => decodeDicomSeries(badIop.files), isFormatError(/ImageOrientationPatient must hold two unit vectors/));
  });
});

/** ImagePositionPatient of slice s of the OBLIQUE fixture. */
function syntheticSeriesPosition(s: number): number[] {
  return [0, 1, 2].map((a) => OBLIQUE.origin[a]! + s * OBLIQUE.step[a]!);
}
