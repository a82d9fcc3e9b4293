import assert from "node:assert/strict";
import { cp, readFile, rm, writeFile } from "node:fs/promises";
import path from "node:path";
import { after, before, test } from "node:test";
import { gzipSync } from "node:zlib";
import { encodeNifti } from "../../io/index.js";
import { composeAffine, Volume, type Mat4 } from "../../volume/index.js";
import { boxesFromLabel, createManifest, makeSplits, saveSplits, writeBoxFile, writeManifest, DatasetJsonSchema, formatProblem } from "../dataset/index.js";
import {
  fixtureAffine,
  imageVolume,
  labelVolume,
  LABELS,
  makeNnunetDataset,
  removeDir,
  tempDir,
  writeJson,
  writeVolume,
  type Fixture,
} from "../_testing/fixtures.js";
import { checkDataset, formatProblems, formatSummary, type CheckOptions } from "./index.js";

const SHAPE = [8, 7, 6] as const;
const AFFINE = fixtureAffine();
let work: string;
let clean: string;
let fx: Fixture;

/**
 * The clean template: 4 training cases with 2 channels; case_003 box-annotated (boxes from its
 * label), case_004 unlabelled with no label file; one test case; a valid splits.json.
 */
async function makeCleanDataset(root: string): Promise<Fixture> {
  const f = await makeNnunetDataset(root, { cases: 4, channels: 2, shape: SHAPE });
  await rm(path.join(root, "labelsTr/case_004.nii.gz"));
  await writeManifest(root, createManifest({ case_003: "boxes", case_004: "unlabelled" }));
  const ds = DatasetJsonSchema.parse({ channel_names: { "0": "CT", "1": "MR" }, labels: LABELS, numTraining: 4, file_ending: ".nii.gz" });
  await writeBoxFile(root, boxesFromLabel("case_003", labelVolume(SHAPE, AFFINE), ds));
  for (let c = 0; c < 2; c++) await writeVolume(root, `imagesTs/test_001_000${c}.nii.gz`, imageVolume(SHAPE, AFFINE, 50, c));
  const splits = makeSplits(
    [
      { id: "case_001", annotation: "labelled", hasLabel: true },
      { id: "case_002", annotation: "labelled", hasLabel: true },
      { id: "case_003", annotation: "boxes", hasLabel: true },
      { id: "case_004", annotation: "unlabelled", hasLabel: false },
    ],
    { folds: 3, seed: 1 },
  );
  await saveSplits(path.join(root, "splits.json"), splits);
  return f;
}

before(async () => {
  work = await tempDir();
  clean = path.join(work, "clean");
  fx = await makeCleanDataset(clean);
});
after(async () => removeDir(work));

let copies = 0;
async function damaged(damage: (root: string) => Promise<void>): Promise<string> {
  const root = path.join(work, `d${copies++}`);
  await cp(clean, root, { recursive: true });
  await damage(root);
  return root;
}

const withAffine = (v: Volume, affine: Mat4) => new Volume({ data: v.data, shape: v.shape, affine });
const geometry = (spacing: [number, number, number], origin: [number, number, number], direction = [[-1, 0, 0], [0, -1, 0], [0, 0, 1]]) =>
  composeAffine({ spacing, origin, direction: direction as never });
const editJson = async (root: string, rel: string, edit: (v: Record<string, unknown>) => unknown) => {
  const v = JSON.parse(await readFile(path.join(root, rel), "utf8")) as Record<string, unknown>;
  await writeJson(root, rel, edit(v));
};
const label = () => labelVolume(SHAPE, AFFINE);
const image = (i = 0, c = 0) => imageVolume(SHAPE, AFFINE, i, c);
const setVoxel = <V extends Volume>(v: V, ijk: [number, number, number], value: number): V => {
  (v.data as Float32Array)[v.offset(...ijk)] = value;
  return v;
};

test("a clean dataset passes with no problem at all", async () => {
  const r = await checkDataset(clean);
  assert.deepEqual(formatProblems(r), []);
  assert.equal(r.ok, true);
  assert.deepEqual(r.cases, { training: 4, test: 1 });
  assert.match(formatSummary(r), /^OK .*clean: 4 training cases, 1 test case, 0 errors, 0 warnings in \d+\.\d s$/);
  assert.equal(fx.ids.length, 4);
});

// One damage per check: what is done to a copy of the clean dataset, and the line it must produce.
const DAMAGES: { name: string; damage: (root: string) => Promise<void>; line: RegExp; opts?: CheckOptions }[] = [
  {
    name: "missing channel file",
    damage: (r) => rm(path.join(r, "imagesTr/case_001_0001.nii.gz")),
    line: /^ERROR case_001 imagesTr\/case_001_0001\.nii\.gz channels: missing channel 1 \(MR\); dataset\.json declares 2$/,
  },
  {
    name: "extra channel file",
    damage: (r) => writeVolume(r, "imagesTr/case_001_0002.nii.gz", image(0, 2)),
    line: /^ERROR case_001 imagesTr\/case_001_0002\.nii\.gz channels: unexpected channel _0002: dataset\.json declares 2 channel\(s\) \(CT, MR\)$/,
  },
  {
    name: "missing label of a labelled case",
    damage: (r) => rm(path.join(r, "labelsTr/case_002.nii.gz")),
    line: /^ERROR case_002 labelsTr\/case_002\.nii\.gz label: missing \(the case is labelled/,
  },
  {
    name: "numTraining mismatch",
    damage: (r) => editJson(r, "dataset.json", (v) => ({ ...v, numTraining: 7 })),
    line: /^ERROR - dataset\.json numTraining: declares 7 but imagesTr holds 4 case\(s\)$/,
  },
  {
    name: "label value not in dataset.json",
    damage: (r) => writeVolume(r, "labelsTr/case_001.nii.gz", setVoxel(label(), [0, 0, 0], 5)),
    line: /^ERROR case_001 labelsTr\/case_001\.nii\.gz labels: values \[5\] not in dataset\.json labels \[0,1,2\] \(5: 1 voxels\)$/,
  },
  {
    name: "image/label shape mismatch",
    damage: (r) => writeVolume(r, "labelsTr/case_001.nii.gz", labelVolume([8, 7, 5], AFFINE)),
    line: /^ERROR case_001 labelsTr\/case_001\.nii\.gz shape: image \[8,7,6\] vs label \[8,7,5\]$/,
  },
  {
    name: "image/label spacing mismatch",
    damage: (r) => writeVolume(r, "labelsTr/case_001.nii.gz", withAffine(label(), geometry([1, 1.5, 2.5], [10, -20, 5]))),
    line: /^ERROR case_001 labelsTr\/case_001\.nii\.gz spacing: image \[1,1\.5,2\] vs label \[1,1\.5,2\.5\]$/,
  },
  {
    name: "image/label origin mismatch",
    damage: (r) => writeVolume(r, "labelsTr/case_002.nii.gz", withAffine(label(), geometry([1, 1.5, 2], [10, -20, 6]))),
    line: /^ERROR case_002 labelsTr\/case_002\.nii\.gz origin: image \[10,-20,5\] vs label \[10,-20,6\] \(mm\)$/,
  },
  {
    name: "image/label direction mismatch",
    damage: (r) => writeVolume(r, "labelsTr/case_002.nii.gz", withAffine(label(), geometry([1, 1.5, 2], [10, -20, 5], [[1, 0, 0], [0, 1, 0], [0, 0, 1]]))),
    line: /^ERROR case_002 labelsTr\/case_002\.nii\.gz direction: image \[\[-1,0,0\],\[0,-1,0\],\[0,0,1\]\] vs label \[\[1,0,0\],\[0,1,0\],\[0,0,1\]\]$/,
  },
  {
    name: "affine mismatch within the direction tolerance",
    damage: (r) => {
      const t = 0.002;
      const rot = [[-Math.cos(t), Math.sin(t), 0], [-Math.sin(t), -Math.cos(t), 0], [0, 0, 1]];
      return writeVolume(r, "labelsTr/case_001.nii.gz", withAffine(label(), geometry([1, 1.5, 2], [10, -20, 5], rot)));
    },
    opts: { tolerances: { direction: 0.01 } },
    line: /^ERROR case_001 labelsTr\/case_001\.nii\.gz affine: image \[\[-1,0,-?0,10\],.* vs label \[\[-0\.999998,0\.003,0,10\],/,
  },
  {
    name: "channel grids disagree",
    damage: (r) => writeVolume(r, "imagesTr/case_002_0001.nii.gz", withAffine(image(1, 1), geometry([1, 1.5, 2], [11, -20, 5]))),
    line: /^ERROR case_002 imagesTr\/case_002_0001\.nii\.gz origin: channel 0 \[10,-20,5\] vs channel 1 \[11,-20,5\] \(mm\)$/,
  },
  {
    name: "NaN in an image",
    damage: (r) => writeVolume(r, "imagesTr/case_001_0000.nii.gz", setVoxel(image(), [2, 3, 4], NaN)),
    line: /^ERROR case_001 imagesTr\/case_001_0000\.nii\.gz voxels: 1 NaN voxel value\(s\); first at voxel \[2,3,4\]$/,
  },
  {
    name: "Inf in a test image",
    damage: (r) => writeVolume(r, "imagesTs/test_001_0001.nii.gz", setVoxel(setVoxel(image(50, 1), [1, 0, 0], -Infinity), [7, 6, 5], Infinity)),
    line: /^ERROR test_001 imagesTs\/test_001_0001\.nii\.gz voxels: 2 Inf voxel value\(s\); first at voxel \[1,0,0\]$/,
  },
  {
    name: "empty label",
    damage: (r) => writeVolume(r, "labelsTr/case_002.nii.gz", new Volume({ data: new Uint8Array(8 * 7 * 6), shape: SHAPE, affine: AFFINE })),
    line: /^WARN case_002 labelsTr\/case_002\.nii\.gz labels: empty: every voxel is background \(0\)$/,
  },
  {
    name: "box outside the volume",
    damage: (r) => editJson(r, "boxes/case_003.json", (v) => ({ ...v, boxes: [{ label: "liver", value: 1, voxel: { min: [1, 1, 1], max: [9, 3, 3] } }] })),
    line: /^ERROR case_003 boxes\/case_003\.json boxes\[0\]\.voxel: outside the volume: min \[1,1,1\] max \[9,3,3\] vs shape \[8,7,6\]$/,
  },
  {
    name: "box with min ≥ max",
    damage: (r) => editJson(r, "boxes/case_003.json", (v) => ({ ...v, boxes: [{ label: "spleen", value: 2, voxel: { min: [5, 4, 3], max: [7, 4, 5] } }] })),
    line: /^ERROR case_003 boxes\/case_003\.json boxes\[0\]\.voxel: min ≥ max on axis j: min \[5,4,3\] max \[7,4,5\]$/,
  },
  {
    name: "box naming a label dataset.json does not have",
    damage: (r) => editJson(r, "boxes/case_003.json", (v) => ({ ...v, boxes: [{ label: "heart", value: 3, voxel: { min: [1, 1, 1], max: [3, 3, 3] } }] })),
    line: /^ERROR case_003 boxes\/case_003\.json boxes\[0\]\.label: "heart" is not a label of dataset\.json \(labels: /,
  },
  {
    name: "box world corners disagree with its voxels",
    damage: (r) =>
      editJson(r, "boxes/case_003.json", (v) => {
        const boxes = (v as { boxes: { world: { min: number[] } }[] }).boxes;
        boxes[0]!.world.min[2]! += 1;
        return v;
      }),
    line: /^ERROR case_003 boxes\/case_003\.json boxes\[0\]\.world: disagrees with the voxel box by 1\.000 mm/,
  },
  {
    name: "box-annotated case without a box file",
    damage: (r) => rm(path.join(r, "boxes/case_003.json")),
    line: /^ERROR case_003 boxes\/case_003\.json boxes: missing \(the case is marked boxes in labelwise\.json\)$/,
  },
  {
    name: "invalid box file",
    damage: (r) => editJson(r, "boxes/case_003.json", (v) => ({ ...v, version: 3 })),
    line: /^ERROR case_003 boxes\/case_003\.json version: Invalid input: expected 1$/,
  },
  {
    name: "duplicate case (same scan under two ids)",
    damage: async (r) => {
      for (const f of ["imagesTr/case_001_0000.nii.gz", "imagesTr/case_001_0001.nii.gz", "labelsTr/case_001.nii.gz"]) {
        await cp(path.join(r, f), path.join(r, f.replace("case_001", "case_005")));
      }
      await editJson(r, "dataset.json", (v) => ({ ...v, numTraining: 5 }));
    },
    line: /^ERROR case_005 imagesTr\/case_005_0000\.nii\.gz duplicate: image data identical to imagesTr\/case_001 /,
  },
  {
    name: "case ids differing only by letter case",
    damage: async (r) => {
      for (let c = 0; c < 2; c++) await writeVolume(r, `imagesTr/CASE_001_000${c}.nii.gz`, image(7, c));
      await writeVolume(r, "labelsTr/CASE_001.nii.gz", label());
      await editJson(r, "dataset.json", (v) => ({ ...v, numTraining: 5 }));
    },
    line: /^ERROR case_001 - duplicate: case id differs from "CASE_001" only by letter case in imagesTr/,
  },
  {
    name: "truncated gzip",
    damage: async (r) => {
      const f = path.join(r, "imagesTr/case_002_0000.nii.gz");
      const bytes = await readFile(f);
      await writeFile(f, bytes.subarray(0, Math.floor(bytes.length / 2)));
    },
    line: /^ERROR case_002 imagesTr\/case_002_0000\.nii\.gz file: unreadable: Cannot read NIfTI: gzip stream is truncated/,
  },
  {
    name: "not a NIfTI file at all",
    damage: (r) => writeFile(path.join(r, "labelsTr/case_001.nii.gz"), "hello, I am text\n".repeat(40)),
    line: /^ERROR case_001 labelsTr\/case_001\.nii\.gz file: unreadable: Cannot read NIfTI/,
  },
  {
    name: "4-D file in a channel slot",
    damage: (r) =>
      writeVolume(r, "imagesTr/case_001_0000.nii.gz", new Volume({ data: new Float32Array(8 * 7 * 6 * 2).fill(1.5), shape: SHAPE, channels: 2, affine: AFFINE })),
    line: /^ERROR case_001 imagesTr\/case_001_0000\.nii\.gz dim: holds 2 volumes \(dim \[8,7,6,2\]\); the nnU-Net layout wants one 3-D volume per channel file$/,
  },
  {
    name: "label without an image",
    damage: (r) => writeVolume(r, "labelsTr/case_009.nii.gz", label()),
    line: /^ERROR case_009 labelsTr\/case_009\.nii\.gz label: label without an image in imagesTr$/,
  },
  {
    name: "label named with a channel suffix",
    damage: async (r) => {
      await cp(path.join(r, "labelsTr/case_001.nii.gz"), path.join(r, "labelsTr/case_001_0000.nii.gz"));
    },
    line: /^ERROR case_001_0000 labelsTr\/case_001_0000\.nii\.gz label: label without an image in imagesTr \(label files carry no _XXXX channel suffix: rename it to case_001\.nii\.gz\)$/,
  },
  {
    name: "stray file",
    damage: (r) => writeFile(path.join(r, "imagesTr/notes.txt"), "x"),
    line: /^WARN - imagesTr\/notes\.txt file: name does not match <case>_XXXX\.nii\.gz; ignored$/,
  },
  {
    name: "invalid dataset.json",
    damage: (r) => editJson(r, "dataset.json", (v) => ({ ...v, labels: { liver: 1, spleen: 2 } })),
    line: /^ERROR - dataset\.json labels\.background: required and must be 0/,
  },
  {
    name: "unsupported file_ending",
    damage: (r) => editJson(r, "dataset.json", (v) => ({ ...v, file_ending: ".mha" })),
    line: /^ERROR - dataset\.json file_ending: labelwise reads NIfTI only \(\.nii\.gz or \.nii\)\. Received: \.mha$/,
  },
  {
    name: "manifest naming an unknown case",
    damage: (r) => writeManifest(r, createManifest({ case_042: "boxes", case_003: "boxes", case_004: "unlabelled" })),
    line: /^ERROR case_042 labelwise\.json cases\.case_042: case is not in the dataset$/,
  },
  {
    name: "invalid manifest",
    damage: (r) => editJson(r, "labelwise.json", (v) => ({ ...v, defaultAnnotation: "some" })),
    line: /^ERROR - labelwise\.json defaultAnnotation: Invalid option/,
  },
  {
    name: "splits naming an unknown case",
    damage: (r) =>
      editJson(r, "splits.json", (v) => {
        (v as { splits: { val: string[] }[] }).splits[0]!.val.push("ghost");
        return v;
      }),
    line: /^ERROR ghost splits\.json splits\[0\]\.val: case is not in the dataset$/,
  },
  {
    name: "float label map",
    damage: (r) => writeVolume(r, "labelsTr/case_001.nii.gz", new Volume({ data: Float32Array.from(label().data), shape: SHAPE, affine: AFFINE })),
    line: /^WARN case_001 labelsTr\/case_001\.nii\.gz dtype: labels stored as float32/,
  },
  {
    name: "non-integer label value",
    damage: (r) => writeVolume(r, "labelsTr/case_001.nii.gz", setVoxel(new Volume({ data: Float32Array.from(label().data), shape: SHAPE, affine: AFFINE }), [0, 0, 0], 0.5)),
    line: /^ERROR case_001 labelsTr\/case_001\.nii\.gz labels: 1 non-integer voxel value\(s\)$/,
  },
  {
    name: "sform and qform disagree (reader warning)",
    damage: async (r) => {
      const bytes = encodeNifti(image(1, 0));
      new DataView(bytes.buffer).setFloat32(268, 99, true); // qoffset_x
      await writeFile(path.join(r, "imagesTr/case_002_0000.nii.gz"), gzipSync(bytes));
    },
    line: /^WARN case_002 imagesTr\/case_002_0000\.nii\.gz header: sform and qform disagree/,
  },
];

for (const d of DAMAGES) {
  test(`check reports ${d.name}`, async () => {
    const root = await damaged(d.damage);
    const r = await checkDataset(root, d.opts);
    const lines = formatProblems(r);
    assert.ok(lines.some((l) => d.line.test(l)), `expected a line matching ${d.line}\ngot:\n${lines.join("\n")}`);
    // An ERROR line fails the check; a WARN-only damage leaves it passing.
    assert.equal(r.ok, !d.line.source.startsWith("^ERROR"), lines.join("\n"));
  });
}

test("check --json report: shape and problem fields", async () => {
  const root = await damaged((r) => rm(path.join(r, "imagesTr/case_001_0001.nii.gz")));
  const report = JSON.parse(JSON.stringify(await checkDataset(root))) as Record<string, unknown>;
  assert.deepEqual(Object.keys(report).sort(), ["cases", "dataset", "errors", "format", "ok", "problems", "seconds", "version", "warnings"]);
  assert.equal(report.format, "labelwise-check");
  assert.equal(report.ok, false);
  assert.equal(report.errors, 1);
  assert.deepEqual(report.problems, [
    { severity: "error", case: "case_001", file: "imagesTr/case_001_0001.nii.gz", field: "channels", message: "missing channel 1 (MR); dataset.json declares 2" },
  ]);
});

test("check on a missing folder or a folder without dataset.json reports it", async () => {
  const none = await checkDataset(path.join(work, "does-not-exist"));
  assert.match(formatProblem(none.problems[0]!), /^ERROR - - dataset: .*does-not-exist is not a folder$/);
  const empty = await damaged((r) => rm(path.join(r, "dataset.json")));
  assert.deepEqual(formatProblems(await checkDataset(empty)), ["ERROR - dataset.json dataset.json: missing"]);
});

test("check output is the same whatever the concurrency (sorted by case)", async () => {
  const root = await damaged(async (r) => {
    await writeVolume(r, "imagesTr/case_001_0000.nii.gz", setVoxel(image(), [1, 1, 1], NaN));
    await writeVolume(r, "labelsTr/case_002.nii.gz", setVoxel(label(), [0, 0, 0], 9));
    await rm(path.join(r, "imagesTr/case_004_0001.nii.gz"));
  });
  const one = formatProblems(await checkDataset(root, { concurrency: 1 }));
  const four = formatProblems(await checkDataset(root, { concurrency: 4 }));
  assert.deepEqual(four, one);
  assert.deepEqual(one.map((l) => l.split(" ")[1]), ["case_001", "case_002", "case_004"], one.join("\n"));
  const seen: number[] = [];
  await checkDataset(root, { onProgress: (done, total) => seen.push(done / total) });
  assert.deepEqual(seen, [0.2, 0.4, 0.6, 0.8, 1]);
});
