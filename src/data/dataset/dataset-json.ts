// nnU-Net v2's dataset.json, validated at the boundary. Strict where nnU-Net itself refuses a
// dataset (required keys, background = 0, consecutive label values, the ignore label last,
// regions_class_order for region labels, the per-case entries of the optional "dataset" key) and
// tolerant where it is: unknown top-level keys (name, description, reference, licence, release,
// tensorImageSize, and the extras real datasets carry) pass through untouched.
import path from "node:path";
import { z } from "zod";
import { ConfigError } from "../errors.js";
import { readJsonFile } from "./json-file.js";

const NonNegInt = z.number().int().nonnegative();
/** A label's value: one integer, or a region (a list of integers) as nnU-Net's region-based training uses. */
const LabelValue = z.union([NonNegInt, z.array(NonNegInt).min(1)]);
/** Channel names keyed "0", "1", … in file-suffix order (_0000, _0001, …). */
const ChannelNames = z.record(z.string(), z.string());

/** Explicit file list for one training case (nnU-Net's optional "dataset" key); paths relative to the dataset folder. */
const ExplicitCase = z.strictObject({
  images: z.array(z.string().min(1)).min(1),
  label: z.string().min(1),
});

/** The reserved name of nnU-Net's ignore label. */
export const IGNORE_LABEL = "ignore";
/** File endings labelwise can read (NIfTI only). */
export const SUPPORTED_FILE_ENDINGS: readonly string[] = [".nii.gz", ".nii"];

/** zod schema of nnU-Net v2's dataset.json. */
export const DatasetJsonSchema = z
  .looseObject({
    channel_names: ChannelNames.optional(),
    /** Legacy (nnU-Net v1 / MSD) name of channel_names; nnU-Net v2 still accepts it. */
    modality: ChannelNames.optional(),
    labels: z.record(z.string().min(1), LabelValue),
    numTraining: NonNegInt,
    file_ending: z.string().regex(/^\.[A-Za-z0-9][A-Za-z0-9.]*$/, 'must look like ".nii.gz"'),
    regions_class_order: z.array(NonNegInt).optional(),
    overwrite_image_reader_writer: z.string().optional(),
    dataset: z.record(z.string().min(1), ExplicitCase).optional(),
  })
  .superRefine((d, ctx) => {
    const issue = (p: PropertyKey[], message: string) => ctx.addIssue({ code: "custom", path: p, message });
    const channels = d.channel_names ?? d.modality;
    if (channels === undefined) {
      issue(["channel_names"], 'required (e.g. {"0": "CT"}); nnU-Net v1\'s "modality" is accepted too');
    } else {
      const keys = Object.keys(channels);
      if (keys.length === 0) issue([d.channel_names ? "channel_names" : "modality"], "must name at least one channel");
      keys.forEach((k) => {
        if (!/^\d+$/.test(k) || Number(k) >= keys.length || keys.filter((o) => Number(o) === Number(k)).length > 1) {
          issue([d.channel_names ? "channel_names" : "modality", k], `keys must be "0".."${keys.length - 1}" (one per _XXXX file suffix)`);
        }
      });
    }
    const labels = d.labels;
    if (!("background" in labels)) issue(["labels", "background"], "required and must be 0 (nnU-Net reserves label 0 for background)");
    else if (labels.background !== 0) issue(["labels", "background"], `must be 0. Received: ${JSON.stringify(labels.background)}`);
    const plain = new Map<number, string>();
    const all = new Set<number>();
    let regions = 0;
    for (const [name, v] of Object.entries(labels)) {
      if (name === IGNORE_LABEL) continue;
      if (Array.isArray(v)) {
        if (v.length > 1) regions++;
        v.forEach((x) => all.add(x));
      } else {
        const other = plain.get(v);
        if (other !== undefined) issue(["labels", name], `value ${v} is already used by "${other}"`);
        plain.set(v, name);
        all.add(v);
      }
    }
    const sorted = [...all].sort((a, b) => a - b);
    // Without a valid background the values cannot start at 0; that issue is already reported.
    if (labels.background === 0 && sorted.some((v, i) => v !== i)) issue(["labels"], `values must be consecutive 0, 1, 2, …; found [${sorted.join(", ")}]`);
    if (IGNORE_LABEL in labels) {
      const ig = labels[IGNORE_LABEL];
      const max = sorted.length ? sorted[sorted.length - 1]! : 0;
      if (Array.isArray(ig) || ig !== max + 1) issue(["labels", IGNORE_LABEL], `must be the single highest value ${max + 1}. Received: ${JSON.stringify(ig)}`);
    }
    if (regions > 0 && d.regions_class_order === undefined) issue(["regions_class_order"], "required when labels contain regions (lists of values)");
    if (d.regions_class_order !== undefined && d.regions_class_order.length !== Object.keys(labels).filter((k) => k !== "background" && k !== IGNORE_LABEL).length) {
      issue(["regions_class_order"], "must have one entry per label other than background and ignore");
    }
    if (d.dataset !== undefined && channels !== undefined) {
      const n = Object.keys(channels).length;
      for (const [id, c] of Object.entries(d.dataset)) {
        if (c.images.length !== n) issue(["dataset", id, "images"], `must list ${n} file(s), one per channel. Received: ${c.images.length}`);
      }
    }
  });

/** A validated dataset.json. */
export type DatasetJson = z.infer<typeof DatasetJsonSchema>;

/** One organ (foreground label) of a dataset: its name and value in dataset.json. */
export interface LabelEntry {
  readonly name: string;
  /** The integer value, or the values of a region. */
  readonly values: readonly number[];
  /** Whether the entry is a region (several values). */
  readonly region: boolean;
}

/** Channel names in file-suffix order. */
export function channelNames(ds: DatasetJson): readonly string[] {
  const c = ds.channel_names ?? ds.modality ?? {};
  return Object.keys(c)
    .sort((a, b) => Number(a) - Number(b))
    .map((k) => c[k]!);
}

/** Foreground labels (background and ignore excluded), in dataset.json order. */
export function foregroundLabels(ds: DatasetJson): readonly LabelEntry[] {
  return Object.entries(ds.labels)
    .filter(([name]) => name !== "background" && name !== IGNORE_LABEL)
    .map(([name, v]) => ({ name, values: Array.isArray(v) ? v : [v], region: Array.isArray(v) && v.length > 1 }));
}

/** Every voxel value a label file of this dataset may hold (background, labels, region members, ignore). */
export function allowedLabelValues(ds: DatasetJson): ReadonlySet<number> {
  const out = new Set<number>([0]);
  for (const v of Object.values(ds.labels)) for (const x of Array.isArray(v) ? v : [v]) out.add(x);
  return out;
}

/** Name of each plain (non-region) label value. */
export function labelNamesByValue(ds: DatasetJson): ReadonlyMap<number, string> {
  const m = new Map<number, string>();
  for (const [name, v] of Object.entries(ds.labels)) if (!Array.isArray(v)) m.set(v, name);
  return m;
}

/** The file name of a dataset's dataset.json. */
export const DATASET_JSON = "dataset.json";

/**
 * Reads and validates `<root>/dataset.json`.
 * @throws ConfigError listing every issue; the fs error when the file is missing.
 * @example
 * const ds = await readDatasetJson("/data/hippocampus"); channelNames(ds); // ["MRI"]
 */
export async function readDatasetJson(root: string): Promise<DatasetJson> {
  return readJsonFile(DatasetJsonSchema, path.join(root, DATASET_JSON), DATASET_JSON);
}

/** Throws ConfigError unless labelwise can read the dataset's file_ending. */
export function assertSupportedFileEnding(ds: DatasetJson): void {
  if (!SUPPORTED_FILE_ENDINGS.includes(ds.file_ending)) {
    throw new ConfigError(DATASET_JSON, [
      { path: "file_ending", message: `labelwise reads NIfTI only (${SUPPORTED_FILE_ENDINGS.join(" or ")}). Received: ${ds.file_ending}` },
    ]);
  }
}
