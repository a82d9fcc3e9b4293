import assert from "node:assert/strict";
import { describe, test } from "node:test";
import { maxAbsDiff, type Vec3 } from "../../volume/affine.js";
import { FormatError } from "../errors.js";
import { syntheticSeries } from "./_fixtures.js";
import { T, el } from "./dcmjs.js";
import { dicomAffineLps, lpsToRas, planeAxes, stackSlices } from "./geometry.js";
import { decodeDicomSeries } from "./read-series.js";

const at = (z: number, x = 0, path = `z${z}`): { position: Vec3; path: string } => ({ position: [x, 0, z], path });

describe("DICOM geometry helpers", () => {
  test("planeAxes renormalises DS-rounded cosines and refuses non-orthogonal ones", () => {
    const a = planeAxes([0.70710678118655, 0.70710678118655, 0, 0, 0, -1], "f");
    assert.ok(Math.abs(Math.hypot(...a.row) - 1) < 1e-15);
    assert.ok(maxAbsDiff([a.normal], [[-Math.SQRT1_2, Math.SQRT1_2, 0]]) < 1e-12);
    assert.throws(() => planeAxes([1, 0, 0, Math.sin(0.1), Math.cos(0.1), 0], "f.dcm"), (e: unknown) => e instanceof FormatError && e.path === "f.dcm" && /orthogonal/.test(e.message));
    assert.throws(() => planeAxes([1, 0, 0, 0, 1], "f.dcm"), /must hold 6 finite numbers/);
  });

  test("stackSlices sorts along the normal and derives the step from the end slices", () => {
    const s = stackSlices([0, 0, 1], [at(5), at(-2.5), at(0), at(2.5)]);
    assert.deepEqual(s.order, [1, 2, 3, 0]);
    assert.deepEqual(s.step, [0, 0, 2.5]);
    assert.equal(s.tiltDegrees, 0);
  });

  test("stackSlices: single slice uses the given spacing or 1 mm with a warning", () => {
    assert.deepEqual(stackSlices([0, 0, 1], [at(3)], { singleSliceSpacing: 4 }).step, [0, 0, 4]);
    const s = stackSlices([0, 0, 1], [at(3)]);
    assert.deepEqual(s.step, [0, 0, 1]);
    assert.match(s.warnings[0]!, /slice spacing set to 1 mm/);
  });

  test("stackSlices refuses slices off a straight line, naming the slice", () => {
    assert.throws(
      () => stackSlices([0, 0, 1], [at(0), at(1), at(2, 3, "odd.dcm"), at(3), at(4)]),
      (e: unknown) => e instanceof FormatError && e.path === "odd.dcm" && /do not lie on a straight line/.test(e.message),
    );
  });

  test("dicomAffineLps + lpsToRas: PixelSpacing[1] goes with the row cosines (columns), [0] with the column cosines", () => {
    const axes = planeAxes([1, 0, 0, 0, 1, 0], "f");
    const a = lpsToRas(dicomAffineLps(axes, [2, 3], [10, 20, 30], [0, 0, 4]));
    const want = [
      [-3, 0, 0, -10],
      [0, -2, 0, -20],
      [0, 0, 4, 30],
      [0, 0, 0, 1],
    ];
    assert.equal(maxAbsDiff(a, want), 0);
  });
});

describe("decodeDicomSeries value handling", () => {
  const base = { rows: 3, columns: 4, slices: 3, orientation: [1, 0, 0, 0, 1, 0], pixelSpacing: [1, 1] as const, origin: [0, 0, 0] as Vec3, step: [0, 0, 1] as Vec3 };

  test("unsigned 16-bit without rescale stays uint16; 12 stored bits are masked (overlay bits ignored)", () => {
    const syn = syntheticSeries({
      ...base,
      value: (i, j, s) => i + 10 * j + 100 * s,
      edit: (s, ds) => {
        ds[T.PixelRepresentation] = el("US", 0);
        ds[T.BitsStored] = el("US", 16);
        ds[T.HighBit] = el("US", 15);
        if (s === 0) {
          // Bits above BitsStored carry junk in some old files: 12 bits stored, bit 13 set.
          ds[T.BitsStored] = el("US", 12);
          ds[T.HighBit] = el("US", 11);
        }
      },
    });
    assert.throws(() => decodeDicomSeries(syn.files), /\(0028,0101\) BitsStored differs between files/);
    const all12 = syntheticSeries({
      ...base,
      value: (i, j, s) => (i + 10 * j + 100 * s) | 0x2000,
      edit: (_s, ds) => {
        ds[T.PixelRepresentation] = el("US", 0);
      },
    });
    const r = decodeDicomSeries(all12.files);
    assert.equal(r.volume.dtype, "int16");
    assert.equal(r.volume.get(3, 2, 2), 3 + 20 + 200);
    const u16 = syntheticSeries({
      ...base,
      value: (i) => [0, 1000, 30000, 40000 - 65536][i]!,
      edit: (_s, ds) => {
        ds[T.PixelRepresentation] = el("US", 0);
        ds[T.BitsStored] = el("US", 16);
        ds[T.HighBit] = el("US", 15);
      },
    });
    const r16 = decodeDicomSeries(u16.files);
    assert.equal(r16.volume.dtype, "uint16");
    assert.deepEqual([0, 1, 2, 3].map((i) => r16.volume.get(i, 0, 0)), [0, 1000, 30000, 40000]);
  });

  test("signed 12-bit values are sign-extended from bit 11", () => {
    const syn = syntheticSeries({ ...base, value: (i) => [-2048, -1, 0, 2047][i]! & 0x0fff });
    const r = decodeDicomSeries(syn.files);
    assert.deepEqual([0, 1, 2, 3].map((i) => r.volume.get(i, 1, 1)), [-2048, -1, 0, 2047]);
  });

  test("a copy of the same instance is skipped with a warning; MONOCHROME1 is reported", () => {
    const syn = syntheticSeries({
      ...base,
      edit: (_s, ds) => {
        ds[T.PhotometricInterpretation] = el("CS", "MONOCHROME1");
      },
    });
    const r = decodeDicomSeries([...syn.files, { path: "copy", bytes: syn.files[1]!.bytes }]);
    assert.equal(r.volume.shape[2], 3);
    assert.match(r.warnings.join("\n"), /copy has the same SOPInstanceUID as .* skipped/);
    assert.match(r.warnings.join("\n"), /MONOCHROME1/);
  });
});
