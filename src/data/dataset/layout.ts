// Finds the cases of an nnU-Net v2 raw folder: imagesTr/<case>_XXXX<ending> (one file per
// channel), labelsTr/<case><ending>, imagesTs/<case>_XXXX<ending>, or the explicit file lists of
// dataset.json's "dataset" key. Nothing is opened here: the scan only lists directories, and
// reports what does not fit (missing or extra channels, orphan labels, stray files) as Problems
// instead of throwing, so a check can show all of them at once.
import { readdir, stat } from "node:fs/promises";
import path from "node:path";
import { channelNames, type DatasetJson } from "./dataset-json.js";
import { error, warning, type Problem } from "./problem.js";

/** The files of one case as found on disk. Paths are relative to the dataset folder (absolute when outside it). */
export interface ScannedCase {
  readonly id: string;
  /** One entry per channel of dataset.json, in channel order; null where the file is missing. */
  readonly images: readonly (string | null)[];
  /** The label file, or null when there is none. */
  readonly label: string | null;
  /** Where the label file is (or would be); null for test cases. */
  readonly labelPath: string | null;
}

/** What a layout scan found. */
export interface LayoutScan {
  /** Training cases (imagesTr or the "dataset" key), sorted by id. */
  readonly training: readonly ScannedCase[];
  /** Test cases (imagesTs), sorted by id; they have no labels. */
  readonly test: readonly ScannedCase[];
  readonly problems: readonly Problem[];
}

/** Byte-order comparison of ids (the order of nnU-Net's np.unique and of `ls` in the C locale). */
export function compareIds(a: string, b: string): number {
  return a < b ? -1 : a > b ? 1 : 0;
}

function escapeRegExp(s: string): string {
  return s.replace(/[.*+?^${}()|[\]\\]/g, "\\$&");
}

/** Channel file name: `<case>_0003<ending>`. */
export function channelFileName(id: string, channel: number, fileEnding: string): string {
  return `${id}_${String(channel).padStart(4, "0")}${fileEnding}`;
}

interface DirEntry {
  readonly name: string;
  readonly isFile: boolean;
}

/** Lists a directory; undefined when it does not exist. */
async function list(dir: string): Promise<DirEntry[] | undefined> {
  try {
    const entries = await readdir(dir, { withFileTypes: true });
    // Symlinked files count as files (datasets are often assembled with links).
    return await Promise.all(
      entries.map(async (e) => ({
        name: e.name,
        isFile: e.isFile() || (e.isSymbolicLink() && (await stat(path.join(dir, e.name)).then((s) => s.isFile(), () => false))),
      })),
    );
  } catch (e) {
    if ((e as { code?: string }).code === "ENOENT") return undefined;
    throw e;
  }
}

/** Groups `<case>_XXXX<ending>` files of one folder into cases; other files become problems. */
function groupChannels(folder: string, entries: readonly DirEntry[], ds: DatasetJson, problems: Problem[]): ScannedCase[] {
  const nChannels = channelNames(ds).length;
  const re = new RegExp(`^(.+)_(\\d{4})${escapeRegExp(ds.file_ending)}$`);
  const byId = new Map<string, (string | null)[]>();
  for (const e of entries) {
    const rel = `${folder}/${e.name}`;
    if (e.name.startsWith(".")) {
      problems.push(warning(null, rel, "file", "hidden file ignored (a leftover temporary or macOS '._' file?)"));
      continue;
    }
    if (!e.isFile) {
      problems.push(warning(null, rel, "file", `not a file; ignored (${folder} should hold only <case>_XXXX${ds.file_ending} files)`));
      continue;
    }
    const m = re.exec(e.name);
    if (!m) {
      problems.push(warning(null, rel, "file", `name does not match <case>_XXXX${ds.file_ending}; ignored`));
      continue;
    }
    const id = m[1]!;
    const channel = Number(m[2]);
    const images = byId.get(id) ?? Array.from({ length: nChannels }, () => null);
    byId.set(id, images);
    if (channel >= nChannels) {
      problems.push(error(id, rel, "channels", `unexpected channel _${m[2]}: dataset.json declares ${nChannels} channel(s) (${channelNames(ds).join(", ")})`));
      continue;
    }
    images[channel] = rel;
  }
  const out: ScannedCase[] = [];
  for (const [id, images] of byId) {
    images.forEach((f, c) => {
      if (f === null) {
        problems.push(
          error(id, `${folder}/${channelFileName(id, c, ds.file_ending)}`, "channels", `missing channel ${c} (${channelNames(ds)[c]}); dataset.json declares ${nChannels}`),
        );
      }
    });
    out.push({ id, images, label: null, labelPath: `labelsTr/${id}${ds.file_ending}` });
  }
  return out.sort((a, b) => compareIds(a.id, b.id));
}

/** Case ids that only differ by letter case collide on macOS and Windows file systems. */
function caseCollisions(cases: readonly ScannedCase[], folder: string, problems: Problem[]): void {
  const seen = new Map<string, string>();
  for (const c of cases) {
    const key = c.id.toLowerCase();
    const other = seen.get(key);
    if (other !== undefined) {
      problems.push(error(c.id, null, "duplicate", `case id differs from "${other}" only by letter case in ${folder}; the two collide on case-insensitive file systems`));
    } else seen.set(key, c.id);
  }
}

/** Scans labelsTr and attaches label files to cases; labels without an image are errors. */
async function attachLabels(root: string, ds: DatasetJson, cases: ScannedCase[], problems: Problem[]): Promise<ScannedCase[]> {
  const entries = await list(path.join(root, "labelsTr"));
  if (entries === undefined) {
    problems.push(error(null, "labelsTr", "labelsTr", "folder is missing (nnU-Net needs it even when no case is labelled)"));
    return cases;
  }
  const ids = new Map(cases.map((c) => [c.id, c]));
  const found = new Set<string>();
  const fe = ds.file_ending;
  const chan = new RegExp(`^(.+)_\\d{4}${escapeRegExp(fe)}$`);
  for (const e of entries) {
    const rel = `labelsTr/${e.name}`;
    if (e.name.startsWith(".")) {
      problems.push(warning(null, rel, "file", "hidden file ignored (a leftover temporary or macOS '._' file?)"));
      continue;
    }
    if (!e.isFile || !e.name.endsWith(fe)) {
      problems.push(warning(null, rel, "file", `not a <case>${fe} file; ignored`));
      continue;
    }
    const id = e.name.slice(0, -fe.length);
    if (ids.has(id)) {
      found.add(id);
      continue;
    }
    const m = chan.exec(e.name);
    const hint = m && ids.has(m[1]!) ? ` (label files carry no _XXXX channel suffix: rename it to ${m[1]}${fe})` : "";
    problems.push(error(id, rel, "label", `label without an image in imagesTr${hint}`));
  }
  return cases.map((c) => (found.has(c.id) ? { ...c, label: c.labelPath } : c));
}

/** Display path of a file named in dataset.json's "dataset" key: relative to root when inside it. */
function displayPath(root: string, p: string): string {
  const abs = path.resolve(root, p);
  const rel = path.relative(root, abs);
  return rel.startsWith("..") || path.isAbsolute(rel) ? abs : rel.split(path.sep).join("/");
}

async function isFile(p: string): Promise<boolean> {
  return stat(p).then((s) => s.isFile(), () => false);
}

/** Cases from the explicit "dataset" key: every listed file must exist; no file may serve two cases. */
async function explicitCases(root: string, ds: DatasetJson, problems: Problem[]): Promise<ScannedCase[]> {
  const owner = new Map<string, string>();
  const out: ScannedCase[] = [];
  for (const [id, entry] of Object.entries(ds.dataset!)) {
    const claim = (file: string) => {
      const prev = owner.get(file);
      if (prev !== undefined && prev !== id) problems.push(error(id, file, "duplicate", `file is also listed for case ${prev} in dataset.json "dataset"`));
      owner.set(file, id);
    };
    const images: (string | null)[] = [];
    for (const [c, f] of entry.images.entries()) {
      const rel = displayPath(root, f);
      claim(rel);
      if (await isFile(path.resolve(root, f))) images.push(rel);
      else {
        images.push(null);
        problems.push(error(id, rel, "channels", `missing channel ${c} (listed in dataset.json "dataset")`));
      }
    }
    const labelRel = displayPath(root, entry.label);
    claim(labelRel);
    const hasLabel = await isFile(path.resolve(root, entry.label));
    out.push({ id, images, label: hasLabel ? labelRel : null, labelPath: labelRel });
  }
  return out.sort((a, b) => compareIds(a.id, b.id));
}

/**
 * Lists the cases of an nnU-Net v2 raw dataset folder without opening any image.
 * @param root dataset folder (holding dataset.json)
 * @param ds its validated dataset.json
 * @returns cases and every layout problem found
 * @example
 * const { training, problems } = await scanLayout(root, await readDatasetJson(root));
 */
export async function scanLayout(root: string, ds: DatasetJson): Promise<LayoutScan> {
  const problems: Problem[] = [];
  let training: ScannedCase[];
  if (ds.dataset !== undefined) {
    training = await explicitCases(root, ds, problems);
  } else {
    const entries = await list(path.join(root, "imagesTr"));
    if (entries === undefined) {
      problems.push(error(null, "imagesTr", "imagesTr", "folder is missing"));
      training = [];
    } else {
      training = groupChannels("imagesTr", entries, ds, problems);
      caseCollisions(training, "imagesTr", problems);
      training = await attachLabels(root, ds, training, problems);
    }
  }
  const testEntries = await list(path.join(root, "imagesTs"));
  const test = testEntries === undefined ? [] : groupChannels("imagesTs", testEntries, ds, problems);
  caseCollisions(test, "imagesTs", problems);
  const trainIds = new Set(training.map((c) => c.id));
  for (const c of test) {
    if (trainIds.has(c.id)) problems.push(error(c.id, c.images.find((f) => f !== null) ?? null, "duplicate", "case id is used in both imagesTr and imagesTs"));
  }
  return { training, test: test.map((c) => ({ ...c, labelPath: null })), problems };
}
