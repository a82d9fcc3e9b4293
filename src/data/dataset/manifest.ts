// labelwise.json: the labelwise dataset manifest, beside dataset.json. nnU-Net assumes every
// training case is fully labelled; label-efficient training needs to know which cases are
// labelled, which are unlabelled (a scan with no label file, or one whose label is held back to
// simulate a small labelled set) and which carry one 3-D box per organ (boxes/<case>.json).
// The document is versioned: a newer version than this code reads is refused with a clear
// message rather than half-understood.
import { readFile } from "node:fs/promises";
import path from "node:path";
import { z } from "zod";
import { writeJsonAtomic } from "../../util/index.js";
import { ConfigError } from "../errors.js";
import { parseJsonText, parseWith } from "./json-file.js";

/** The manifest file name, beside dataset.json. */
export const MANIFEST_JSON = "labelwise.json";
/** The manifest version this code reads and writes. */
export const MANIFEST_VERSION = 1;

/** How a training case is annotated. */
export const Annotation = z.enum(["labelled", "unlabelled", "boxes"]);
export type Annotation = z.infer<typeof Annotation>;

/** zod schema of labelwise.json (version 1). */
export const ManifestSchema = z.strictObject({
  format: z.literal("labelwise-dataset"),
  version: z.literal(MANIFEST_VERSION),
  /** Annotation of cases that `cases` does not list. @default "labelled" (nnU-Net's assumption) */
  defaultAnnotation: Annotation.default("labelled"),
  /** Per-case annotation, keyed by case id. */
  cases: z.record(z.string().min(1), z.strictObject({ annotation: Annotation })).default({}),
});

/** A validated labelwise.json. */
export type Manifest = z.infer<typeof ManifestSchema>;

/** Annotation of `caseId` under `manifest` (every case is labelled when there is no manifest). */
export function annotationOf(manifest: Manifest | undefined, caseId: string): Annotation {
  if (manifest === undefined) return "labelled";
  return manifest.cases[caseId]?.annotation ?? manifest.defaultAnnotation;
}

/**
 * Builds a manifest from per-case annotations, listing only the cases that differ from the default.
 * @example
 * createManifest({ case_001: "labelled", case_002: "boxes" }, "unlabelled");
 */
export function createManifest(annotations: Readonly<Record<string, Annotation>>, defaultAnnotation: Annotation = "labelled"): Manifest {
  const cases: Record<string, { annotation: Annotation }> = {};
  for (const id of Object.keys(annotations).sort()) {
    const a = annotations[id]!;
    if (a !== defaultAnnotation) cases[id] = { annotation: a };
  }
  return { format: "labelwise-dataset", version: MANIFEST_VERSION, defaultAnnotation, cases };
}

/** Validates parsed JSON as a manifest; a newer version gets its own message. */
export function parseManifest(value: unknown, source = MANIFEST_JSON): Manifest {
  const v = (value as { version?: unknown } | null)?.version;
  if (typeof v === "number" && Number.isInteger(v) && v > MANIFEST_VERSION) {
    throw new ConfigError(source, [{ path: "version", message: `version ${v} is newer than this labelwise reads (${MANIFEST_VERSION}); upgrade labelwise` }]);
  }
  return parseWith(ManifestSchema, value, source);
}

/**
 * Reads `<root>/labelwise.json`; undefined when the dataset has none.
 * @throws ConfigError when it exists but is invalid.
 */
export async function readManifest(root: string): Promise<Manifest | undefined> {
  let text: string;
  try {
    text = await readFile(path.join(root, MANIFEST_JSON), "utf8");
  } catch (e) {
    if ((e as { code?: string }).code === "ENOENT") return undefined;
    throw e;
  }
  return parseManifest(parseJsonText(text, MANIFEST_JSON));
}

/** Writes `<root>/labelwise.json` atomically (validated first, so a bad manifest never reaches disk). */
export async function writeManifest(root: string, manifest: Manifest): Promise<void> {
  const valid = parseWith(ManifestSchema, manifest, MANIFEST_JSON);
  await writeJsonAtomic(path.join(root, MANIFEST_JSON), valid);
}
