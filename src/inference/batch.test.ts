import assert from "node:assert/strict";
import { mkdir, mkdtemp, readFile, readdir, rm, stat, symlink, truncate, utimes, writeFile } from "node:fs/promises";
import { tmpdir } from "node:os";
import path from "node:path";
import { after, test } from "node:test";
import { normalOf, obliqueOrientation, syntheticSeries } from "../io/dicom/_fixtures.js";
import { readDicomSeg, readDicomSeries, readNifti, writeNifti } from "../io/index.js";
import { Volume } from "../volume/index.js";
import { ballPhantom, fakeModel, pointwisePredictor } from "./_testing/models.js";
import { discoverCases } from "./cases.js";
import { predictCases, type BatchEvent, type DoneMarker } from "./batch.js";
import { CLAIMS_FOLDER, CaseClaims } from "./claims.js";

const owned: { dispose(): void }[] = [];
const dirs: string[] = [];
after(async () => {
  owned.forEach((t) => t.dispose());
  for (const d of dirs) await rm(d, { recursive: true, force: true });
});
async function tempDir(): Promise<string> {
  const d = await mkdtemp(path.join(tmpdir(), "labelwise-batch-"));
  dirs.push(d);
  return d;
}
const model = () => fakeModel(pointwisePredictor([0, 1, 2], [0, -5, -20], owned), 3);

async function writeCases(dir: string, ids: readonly string[]): Promise<Map<string, Uint8Array>> {
  const truth = new Map<string, Uint8Array>();
  for (const [n, id] of ids.entries()) {
    const shape = [11 + n, 10, 9] as const;
    const { image, labels } = ballPhantom(shape, [[5, 5, 4, 3 + n * 0.5, 1], [6, 4, 5, 1.5, 2]], { seed: n + 1 });
    await writeNifti(path.join(dir, `${id}_0000.nii.gz`), new Volume({ data: image, shape }), { fsync: false });
    truth.set(id, labels);
  }
  return truth;
}

test("done markers: a rerun skips finished cases; half-written outputs, lost markers, new options and edited scans are redone", async () => {
  const root = await tempDir();
  const input = path.join(root, "imagesTs");
  const out = path.join(root, "pred");
  await mkdir(input);
  const truth = await writeCases(input, ["case_a", "case_b", "case_c"]);
  const cases = await discoverCases(input, 1);
  assert.deepEqual(cases.map((c) => c.id), ["case_a", "case_b", "case_c"]);
  const m = model();
  const events: BatchEvent[] = [];
  const run = (opts: Parameters<typeof predictCases>[3] = {}) => predictCases(cases, out, [m], { fsync: false, onEvent: (e) => events.push(e), ...opts });

  const first = await run();
  assert.deepEqual(first.done, ["case_a", "case_b", "case_c"]);
  for (const [id, labels] of truth) {
    const pred = await readNifti(path.join(out, `${id}.nii.gz`));
    assert.deepEqual([...(pred.volume.data as Uint8Array)], [...labels]);
    const marker = JSON.parse(await readFile(path.join(out, `${id}.done.json`), "utf8")) as DoneMarker;
    assert.equal(marker.case, id);
    assert.equal(marker.outputs[0]!.file, `${id}.nii.gz`);
    assert.equal(marker.outputs[0]!.bytes, (await stat(path.join(out, `${id}.nii.gz`))).size);
  }
  assert.ok(events.some((e) => e.type === "windows"));
  assert.ok(events.some((e) => e.type === "done" && e.index === 2 && e.total === 3));

  const before = (await stat(path.join(out, "case_a.nii.gz"))).mtimeMs;
  const second = await run();
  assert.deepEqual(second.skipped, ["case_a", "case_b", "case_c"]);
  assert.deepEqual(second.done, []);
  assert.equal((await stat(path.join(out, "case_a.nii.gz"))).mtimeMs, before);

  // A half-written output (what a non-atomic writer leaves after a crash) next to its old marker,
  // a same-size but different output, and an output whose marker was never written: all redone.
  const b = path.join(out, "case_b.nii.gz");
  await truncate(b, Math.floor((await stat(b)).size / 2));
  const c = path.join(out, "case_c.nii.gz");
  const bytes = await readFile(c);
  bytes[bytes.length - 9] = bytes[bytes.length - 9]! ^ 0xff;
  await writeFile(c, bytes);
  await rm(path.join(out, "case_a.done.json"));
  const third = await run();
  assert.deepEqual(third.done, ["case_a", "case_b", "case_c"]);
  const pred = await readNifti(b);
  assert.deepEqual([...(pred.volume.data as Uint8Array)], [...truth.get("case_b")!]);

  // Other options, or an edited scan, invalidate the markers.
  assert.deepEqual((await run({ overlap: 0.25 })).done, ["case_a", "case_b", "case_c"]);
  assert.deepEqual((await run({ overlap: 0.25 })).skipped, ["case_a", "case_b", "case_c"]);
  const scan = path.join(input, "case_b_0000.nii.gz");
  await utimes(scan, new Date(), new Date(Date.now() + 5000));
  const edited = await run({ overlap: 0.25 });
  assert.deepEqual(edited.done, ["case_b"]);
  assert.deepEqual(edited.skipped, ["case_a", "case_c"]);
  assert.deepEqual((await run({ overlap: 0.25, resume: false })).done, ["case_a", "case_b", "case_c"]);
});

test("a failing case is reported and the others still run; no marker is written for it", async () => {
  const root = await tempDir();
  await writeCases(root, ["ok_1", "ok_2"]);
  await writeFile(path.join(root, "broken_0000.nii.gz"), new Uint8Array([0x1f, 0x8b, 1, 2, 3]));
  const cases = await discoverCases(root, 1);
  const s = await predictCases(cases, path.join(root, "out"), [model()], { fsync: false });
  assert.deepEqual(s.done, ["ok_1", "ok_2"]);
  assert.deepEqual(s.failed.map((f) => f.id), ["broken"]);
  await assert.rejects(stat(path.join(root, "out", "broken.done.json")));
});

test("discoverCases groups channel files, reports a missing channel, and finds DICOM series folders", async () => {
  const root = await tempDir();
  const v = new Volume({ data: new Float32Array(8), shape: [2, 2, 2] });
  for (const f of ["p1_0000.nii.gz", "p1_0001.nii.gz", "p2_0000.nii.gz", "p2_0001.nii.gz"]) await writeNifti(path.join(root, f), v, { fsync: false });
  const two = await discoverCases(root, 2);
  assert.deepEqual(two.map((c) => [c.id, c.kind === "nifti" ? c.files.map((f) => path.basename(f)) : []]), [
    ["p1", ["p1_0000.nii.gz", "p1_0001.nii.gz"]],
    ["p2", ["p2_0000.nii.gz", "p2_0001.nii.gz"]],
  ]);
  await rm(path.join(root, "p2_0001.nii.gz"));
  await assert.rejects(discoverCases(root, 2), /p2_0001 is missing/);
  const dicom = await tempDir();
  for (const s of ["s1", "s2"]) {
    await mkdir(path.join(dicom, s));
    await writeFile(path.join(dicom, s, "IM1"), "x");
  }
  assert.deepEqual((await discoverCases(dicom, 1)).map((c) => [c.kind, c.id]), [["dicom", "s1"], ["dicom", "s2"]]);
  await assert.rejects(discoverCases(path.join(root, "nope"), 1), /no such file or folder/);

  // Folders of symbolic links (to files and to series folders) are read through; dangling links are skipped.
  const links = await tempDir();
  await symlink(path.join(root, "p1_0000.nii.gz"), path.join(links, "p1_0000.nii.gz"));
  await symlink(path.join(root, "gone.nii.gz"), path.join(links, "gone.nii.gz"));
  assert.deepEqual((await discoverCases(links, 1)).map((c) => c.id), ["p1"]);
  const seriesLinks = await tempDir();
  await symlink(path.join(dicom, "s2"), path.join(seriesLinks, "s2"));
  assert.deepEqual((await discoverCases(seriesLinks, 1)).map((c) => [c.kind, c.id]), [["dicom", "s2"]]);
});

test("a DICOM series is predicted into a DICOM SEG referencing it (and a NIfTI on its grid)", async () => {
  const root = await tempDir();
  const seriesDir = path.join(root, "CT_1");
  await mkdir(seriesDir);
  const orientation = obliqueOrientation(-20, 10, 5);
  const [rows, columns, slices] = [10, 12, 9];
  const label = (i: number, j: number, s: number): number => ((i - 6) ** 2 + (j - 5) ** 2 + (s - 4) ** 2 <= 9 ? 1 : i >= 9 && j <= 2 && s >= 5 ? 2 : 0);
  const syn = syntheticSeries({
    rows,
    columns,
    slices,
    orientation,
    pixelSpacing: [1, 1],
    origin: [-20, 10, 30],
    step: normalOf(orientation),
    value: (i, j, s) => 10 * label(i, j, s) + 1,
  });
  for (const f of syn.files) await writeFile(path.join(seriesDir, f.path), f.bytes);
  const cases = await discoverCases(seriesDir, 1);
  assert.deepEqual(cases.map((c) => [c.kind, c.id]), [["dicom", "CT_1"]]);
  const out = path.join(root, "pred");
  const s = await predictCases(cases, out, [model()], { fsync: false, format: "both", labelNames: { background: 0, sphere: 1, corner: 2 } });
  assert.deepEqual(s.done, ["CT_1"], s.failed.map((f) => f.error.message).join("\n"));
  const src = await readDicomSeries(seriesDir);
  const seg = await readDicomSeg(path.join(out, "CT_1.seg.dcm"), { reference: src, labels: { sphere: 1, corner: 2 } });
  assert.equal(seg.referencedSeriesInstanceUID, syn.seriesInstanceUID);
  assert.deepEqual(seg.segments.map((x) => x.name), ["sphere", "corner"]);
  const nifti = await readNifti(path.join(out, "CT_1.nii.gz"));
  assert.deepEqual([...(seg.volume.data as Uint8Array)], [...(nifti.volume.data as Uint8Array)]);
  const [nx, ny] = src.volume.shape;
  let sphere = 0;
  for (let i = 0; i < seg.volume.data.length; i++) {
    if (seg.volume.data[i] === 1) sphere++;
    assert.equal(Number(seg.volume.data[i]), (Number(src.volume.data[i]) - 1) / 10, `voxel ${i % nx},${Math.floor(i / nx) % ny}`);
  }
  assert.ok(sphere > 50);
  const marker = JSON.parse(await readFile(path.join(out, "CT_1.done.json"), "utf8")) as DoneMarker;
  assert.deepEqual(marker.outputs.map((o) => o.file).sort(), ["CT_1.nii.gz", "CT_1.seg.dcm"]);
  assert.deepEqual((await predictCases(cases, out, [model()], { fsync: false, format: "both" })).skipped, ["CT_1"]);
});

test("claims: two workers on one folder predict every case once between them; a dead worker's case is taken over", async () => {
  const root = await tempDir();
  const input = path.join(root, "imagesTs");
  const out = path.join(root, "pred");
  await mkdir(input);
  const ids = ["c1", "c2", "c3", "c4", "c5", "c6"];
  const truth = await writeCases(input, ids);
  const cases = await discoverCases(input, 1);
  const m = model();
  const worker = (owner: string) => {
    const events: BatchEvent[] = [];
    const run = predictCases(cases, out, [m], { fsync: false, claims: new CaseClaims(out, { owner, ttlMs: 60_000 }), pollMs: 10, onEvent: (e) => events.push(e) });
    return { run, events };
  };
  const a = worker("a:1");
  const b = worker("b:2");
  const [ra, rb] = await Promise.all([a.run, b.run]);
  assert.deepEqual([...ra.done, ...rb.done].sort(), ids, "every case predicted exactly once");
  assert.ok(ra.done.length > 0 && rb.done.length > 0, `both workers worked: ${ra.done} / ${rb.done}`);
  assert.deepEqual(ra.failed, []);
  assert.ok([...a.events, ...b.events].some((e) => e.type === "held"), "a worker met a case the other held");
  for (const [id, labels] of truth) assert.deepEqual([...((await readNifti(path.join(out, `${id}.nii.gz`))).volume.data as Uint8Array)], [...labels]);
  assert.deepEqual(await readdir(path.join(out, CLAIMS_FOLDER)), [], "no claim is left");

  // A worker that died holding c2: its claim stays, with no heartbeat. The survivor waits, then takes it over.
  await rm(path.join(out, "c2.done.json"));
  await new CaseClaims(out, { owner: "dead:9" }).tryClaim("c2");
  const events: BatchEvent[] = [];
  const survivor = await predictCases(cases, out, [m], { fsync: false, claims: new CaseClaims(out, { owner: "s:3", ttlMs: 150 }), pollMs: 40, onEvent: (e) => events.push(e) });
  assert.deepEqual(survivor.done, ["c2"]);
  assert.equal(survivor.skipped.length, 5);
  assert.ok(events.some((e) => e.type === "waiting"));
  assert.ok(events.some((e) => e.type === "takeover" && e.from === "dead:9"));
  await assert.rejects(predictCases(cases, out, [m], { claims: new CaseClaims(out), resume: false }), /without resuming/);
});
