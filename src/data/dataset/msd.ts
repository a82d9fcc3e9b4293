// Import of a Medical Segmentation Decathlon (MSD) task folder into the nnU-Net v2 raw layout.
// MSD keeps all modalities of a case in one 4-D image (dim[4] = channel), lists cases in
// dataset.json's "training" [{image, label}] and "test" [path], and maps label values to names
// ("0": "background"). nnU-Net v2 wants one 3-D file per channel (<case>_XXXX.nii.gz) and labels
// mapped name -> value. Single-channel .nii.gz files are copied byte for byte; 4-D images are
// decoded and split. dataset.json is written last, so an interrupted import is not mistaken for
// a complete dataset.
import { createReadStream } from "node:fs";
import { mkdir, readdir } from "node:fs/promises";
import path from "node:path";
import { z } from "zod";
import { readNifti, readNiftiGeometry, writeNifti } from "../../io/index.js";
import { writeFileAtomic, writeJsonAtomic } from "../../util/index.js";
import { Volume } from "../../volume/index.js";
import { mapPool } from "../_internal/pool.js";
import { ConfigError } from "../errors.js";
import { DATASET_JSON, DatasetJsonSchema, type DatasetJson } from "./dataset-json.js";
import { readJsonFile, parseWith } from "./json-file.js";
import { channelFileName } from "./layout.js";

/** zod schema of an MSD dataset.json (unknown keys tolerated, as in the published tasks). */
export const MsdJsonSchema = z
  .looseObject({
    name: z.string().optional(),
    description: z.string().optional(),
    reference: z.string().optional(),
    licence: z.string().optional(),
    release: z.string().optional(),
    modality: z.record(z.string().regex(/^\d+$/, 'keys must be "0", "1", …'), z.string()),
    labels: z.record(z.string().regex(/^\d+$/, 'keys must be label values "0", "1", …'), z.string().min(1)),
    numTraining: z.number().int().nonnegative(),
    training: z.array(z.strictObject({ image: z.string().min(1), label: z.string().min(1) })),
    test: z.array(z.string().min(1)).default([]),
  })
  .superRefine((d, ctx) => {
    if (d.training.length !== d.numTraining) {
      ctx.addIssue({ code: "custom", path: ["numTraining"], message: `is ${d.numTraining} but "training" lists ${d.training.length} cases` });
    }
    if (d.labels["0"] === undefined) ctx.addIssue({ code: "custom", path: ["labels", "0"], message: "required (background)" });
    const names = Object.values(d.labels);
    names.forEach((n, i) => {
      if (names.indexOf(n) !== i) ctx.addIssue({ code: "custom", path: ["labels"], message: `label name "${n}" is used twice` });
    });
  });
export type MsdJson = z.infer<typeof MsdJsonSchema>;

/** Options of {@link importMsd}. */
export interface MsdImportOptions {
  /** Write into an existing non-empty folder. @default false */
  readonly overwrite?: boolean;
  /** Cases converted in parallel. @default 2 */
  readonly concurrency?: number;
  /** zlib level of re-encoded files. @default 6 */
  readonly gzipLevel?: number;
  /** fsync each written file (off for scratch imports and tests). @default true */
  readonly fsync?: boolean;
  /** Called after each case. */
  readonly onProgress?: (done: number, total: number, caseId: string) => void;
}

/** What an import wrote. */
export interface MsdImportResult {
  readonly dataset: DatasetJson;
  readonly training: readonly string[];
  readonly test: readonly string[];
}

const stripNifti = (file: string): string => path.basename(file).replace(/\.nii(\.gz)?$/, "");

/** Converts MSD's label map {"0": "background", "1": "x"} to nnU-Net's {"background": 0, "x": 1}. */
function invertLabels(labels: Readonly<Record<string, string>>): Record<string, number> {
  const out: Record<string, number> = { background: 0 };
  for (const v of Object.keys(labels).map(Number).sort((a, b) => a - b)) {
    if (v !== 0) out[labels[String(v)]!] = v;
  }
  return out;
}

/**
 * Imports an MSD task folder (`src` holding dataset.json, imagesTr, labelsTr, imagesTs) as an
 * nnU-Net v2 raw dataset in `dest`.
 * @throws ConfigError for an invalid MSD dataset.json; Error when `dest` is not empty (without
 *   overwrite) or an image's channel count differs from "modality".
 * @example
 * await importMsd("Task04_Hippocampus", "Dataset004_Hippocampus");
 */
export async function importMsd(src: string, dest: string, opts: MsdImportOptions = {}): Promise<MsdImportResult> {
  const msd = await readJsonFile(MsdJsonSchema, path.join(src, DATASET_JSON), `${src}/${DATASET_JSON} (MSD)`);
  const channels = Object.keys(msd.modality).sort((a, b) => Number(a) - Number(b));
  const extras = Object.fromEntries(
    (["name", "description", "reference", "licence", "release"] as const).filter((k) => msd[k] !== undefined).map((k) => [k, msd[k]]),
  );
  const dataset = parseWith(
    DatasetJsonSchema,
    {
      ...extras,
      channel_names: Object.fromEntries(channels.map((k, i) => [String(i), msd.modality[k]!])),
      labels: invertLabels(msd.labels),
      numTraining: msd.training.length,
      file_ending: ".nii.gz",
    },
    `${DATASET_JSON} converted from MSD`,
  );
  const existing = await readdir(dest).catch((e: { code?: string }) => {
    if (e.code === "ENOENT") return [] as string[];
    throw e;
  });
  if (existing.length > 0 && !opts.overwrite) throw new Error(`Cannot import MSD: ${dest} is not empty (pass overwrite to write into it)`);
  for (const d of ["imagesTr", "labelsTr", "imagesTs"]) await mkdir(path.join(dest, d), { recursive: true });

  const ids = new Set<string>();
  const claim = (file: string, where: string): string => {
    const id = stripNifti(file);
    if (ids.has(id)) throw new ConfigError(`${src}/${DATASET_JSON} (MSD)`, [{ path: where, message: `case ${id} is listed twice` }]);
    ids.add(id);
    return id;
  };
  const jobs = [
    ...msd.training.map((t, i) => ({ id: claim(t.image, `training[${i}].image`), image: t.image, label: t.label as string | undefined, folder: "imagesTr" })),
    ...msd.test.map((t, i) => ({ id: claim(t, `test[${i}]`), image: t, label: undefined, folder: "imagesTs" })),
  ];
  const write = { fsync: opts.fsync ?? true, gzipLevel: opts.gzipLevel ?? 6 };
  const copy = (from: string, to: string) => writeFileAtomic(to, createReadStream(from), { fsync: write.fsync });
  let done = 0;
  await mapPool(jobs, opts.concurrency ?? 2, async (job) => {
    const from = path.resolve(src, job.image);
    const g = await readNiftiGeometry(from);
    if (g.channels !== channels.length) {
      throw new Error(`Cannot import MSD case ${job.id}: ${job.image} has ${g.channels} channel(s) but "modality" declares ${channels.length}`);
    }
    const out = (c: number) => path.join(dest, job.folder, channelFileName(job.id, c, ".nii.gz"));
    if (channels.length === 1 && from.endsWith(".nii.gz")) {
      await copy(from, out(0));
    } else {
      const v = (await readNifti(from)).volume;
      const n = v.voxelCount * v.components;
      for (let c = 0; c < channels.length; c++) {
        const part = new Volume({ data: v.data.slice(c * n, (c + 1) * n) as never, dtype: v.dtype, shape: v.shape, affine: v.affine });
        await writeNifti(out(c), part, write);
      }
    }
    if (job.label !== undefined) {
      const lf = path.resolve(src, job.label);
      const to = path.join(dest, "labelsTr", `${job.id}.nii.gz`);
      if (lf.endsWith(".nii.gz")) await copy(lf, to);
      else await writeNifti(to, (await readNifti(lf)).volume, write);
    }
    opts.onProgress?.(++done, jobs.length, job.id);
  });
  await writeJsonAtomic(path.join(dest, DATASET_JSON), dataset, { fsync: write.fsync });
  return { dataset, training: jobs.filter((j) => j.folder === "imagesTr").map((j) => j.id), test: jobs.filter((j) => j.folder === "imagesTs").map((j) => j.id) };
}
