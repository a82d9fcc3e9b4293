// The on-disk layout of a state file, version 1. A state file is two files:
//
//   <path>       safetensors: the tensors, plus string metadata that makes it self-describing
//                (format, version, kind, save id, torch version, meta and jsonState as JSON text).
//   <path>.json  the sidecar, human-readable: the same facts plus a per-tensor summary and the
//                tensor file's byte length and sha256.
//
// The tensor file is written first and the sidecar last, each atomically. The sidecar therefore
// acts as the commit record: a crash between the two writes leaves a new tensor file next to an
// older sidecar, whose sha256 no longer matches, and loading says so instead of mixing two saves.
// (The reverse link — a hash of the sidecar inside the tensor file — is impossible as well, since
// each hash would have to cover the other; the shared save id plays that role.)
import type { DType } from "../../tensor/index.js";
import { StateFileError } from "./errors.js";
import type { JsonObject } from "./json.js";

export const STATE_FORMAT = "labelwise-state";
export const STATE_VERSION = 1;

/** The sidecar written next to the tensor file at `path`. */
export function sidecarPath(path: string): string {
  return `${path}.json`;
}

/** A tensor as the sidecar lists it. */
export interface TensorSummary {
  dtype: DType;
  shape: number[];
}

/** Facts shared by both files. */
export interface StateHeader {
  /** What was saved: "module", "optimizer", or a caller's own word. */
  kind: string;
  /** A random id per save; both files of one save carry the same one. */
  saveId: string;
  /** ISO 8601 time of the save. */
  savedAt: string;
  /** The libtorch version that produced the tensors. */
  torchVersion: string;
  /** The caller's metadata (epoch, config, metrics, ...). */
  meta: JsonObject;
  /** The JSON half of the saved object's state (e.g. an optimizer's hyper-parameters and step). */
  jsonState: JsonObject;
}

/** The sidecar's content. */
export interface Sidecar extends StateHeader {
  format: typeof STATE_FORMAT;
  version: number;
  tensorFile: { name: string; bytes: number; sha256: string };
  tensors: Record<string, TensorSummary>;
}

/** The tensor file's safetensors metadata (string values only, as the container requires). */
export function headerToMetadata(h: StateHeader): Record<string, string> {
  return {
    format: STATE_FORMAT,
    version: String(STATE_VERSION),
    kind: h.kind,
    save_id: h.saveId,
    saved_at: h.savedAt,
    torch_version: h.torchVersion,
    meta: JSON.stringify(h.meta),
    json_state: JSON.stringify(h.jsonState),
  };
}

function checkFormat(path: string, where: string, format: unknown, version: unknown): void {
  if (format !== STATE_FORMAT) {
    throw new StateFileError(path, "format", [`${where} is not a ${STATE_FORMAT} file (format ${JSON.stringify(format)})`]);
  }
  if (typeof version !== "number" || !Number.isInteger(version) || version < 1) {
    throw new StateFileError(path, "corrupt", [`${where} has an invalid format version ${JSON.stringify(version)}`]);
  }
  if (version > STATE_VERSION) {
    throw new StateFileError(path, "format", [`${where} was written by a newer labelwise (state format version ${version}; this version reads up to ${STATE_VERSION})`]);
  }
}

function parseJsonObject(path: string, where: string, text: string | undefined): JsonObject {
  let v: unknown;
  try {
    v = JSON.parse(text ?? "");
  } catch (e) {
    throw new StateFileError(path, "corrupt", [`${where} is not valid JSON (${(e as Error).message})`]);
  }
  if (v === null || typeof v !== "object" || Array.isArray(v)) throw new StateFileError(path, "corrupt", [`${where} is not a JSON object`]);
  return v as JsonObject;
}

/** Reads the state header back from the tensor file's metadata. */
export function metadataToHeader(path: string, md: Readonly<Record<string, string>>): StateHeader {
  const version = md.version !== undefined && /^\d+$/.test(md.version) ? Number(md.version) : md.version;
  checkFormat(path, "the tensor file", md.format, version);
  for (const key of ["kind", "save_id", "saved_at", "torch_version"] as const) {
    if (md[key] === undefined) throw new StateFileError(path, "corrupt", [`the tensor file's metadata lacks '${key}'`]);
  }
  return {
    kind: md.kind as string,
    saveId: md.save_id as string,
    savedAt: md.saved_at as string,
    torchVersion: md.torch_version as string,
    meta: parseJsonObject(path, "the tensor file's 'meta'", md.meta),
    jsonState: parseJsonObject(path, "the tensor file's 'json_state'", md.json_state),
  };
}

/** Parses and shape-checks a sidecar's text. */
export function parseSidecar(path: string, text: string): Sidecar {
  const where = `the sidecar ${sidecarPath(path)}`;
  const s = parseJsonObject(path, where, text) as unknown as Partial<Sidecar>;
  checkFormat(path, where, s.format, s.version);
  const tf = s.tensorFile;
  const ok =
    typeof s.kind === "string" &&
    typeof s.saveId === "string" &&
    tf !== null &&
    typeof tf === "object" &&
    Number.isSafeInteger(tf.bytes) &&
    typeof tf.sha256 === "string" &&
    s.tensors !== null &&
    typeof s.tensors === "object" &&
    s.meta !== null &&
    typeof s.meta === "object" &&
    s.jsonState !== null &&
    typeof s.jsonState === "object";
  if (!ok) throw new StateFileError(path, "corrupt", [`${where} lacks required fields (kind, saveId, tensorFile.bytes/sha256, tensors, meta, jsonState)`]);
  return s as Sidecar;
}
