// Saving and loading named tensors plus JSON metadata as a state file (layout: see format.ts).
// Safetensors is data only, so loading a checkpoint from elsewhere cannot run code.
import { createHash, randomUUID } from "node:crypto";
import { readFile } from "node:fs/promises";
import nodePath from "node:path";
import {
  type Device,
  type RawTensor,
  SafetensorsError,
  type Tensor,
  decodeSafetensors,
  encodeSafetensors,
  engineInfo,
  fromRawTensor,
  toRawTensor,
} from "../../tensor/index.js";
import { writeFileAtomic, writeJsonAtomic } from "../../util/index.js";
import { StateFileError } from "./errors.js";
import { specProblems, type TensorSpec } from "./expect.js";
import { type Sidecar, type StateHeader, headerToMetadata, metadataToHeader, parseSidecar, sidecarPath, STATE_FORMAT, STATE_VERSION } from "./format.js";
import { assertJsonObject, type JsonObject } from "./json.js";
import { sidecarProblems } from "./consistency.js";

export interface SaveStateOptions {
  /** What is being saved; loaders can require it. @default "tensors" */
  kind?: string;
  /** The JSON half of the saved object's state (e.g. an optimizer's hyper-parameters). @default {} */
  jsonState?: JsonObject;
}

/** Facts about a saved state file. */
export interface StateFileInfo extends Omit<StateHeader, "meta" | "jsonState"> {
  /** Size of the tensor file in bytes. */
  bytes: number;
  /** sha256 of the tensor file, hex. */
  sha256: string;
}

export interface LoadStateOptions {
  /** Require these names, shapes and dtypes; all differences are reported in one error. */
  expect?: ReadonlyMap<string, TensorSpec>;
  /** With `expect`: false allows missing and unexpected names (shapes and dtypes still must match). @default true */
  strict?: boolean;
  /** Require this kind ("module", "optimizer", ...). */
  kind?: string;
  /** Where to create the loaded tensors. @default "cpu" */
  device?: Device;
}

export interface LoadedState {
  /** The loaded tensors; the caller owns (and must dispose) them. */
  tensors: Map<string, Tensor>;
  meta: JsonObject;
  jsonState: JsonObject;
  info: StateFileInfo;
}

const sha256 = (bytes: Uint8Array) => createHash("sha256").update(bytes).digest("hex");

/** Copies the tensors to host memory now, so the caller may change or free them once we await. */
function snapshot(tensors: ReadonlyMap<string, Tensor>): Map<string, RawTensor> {
  const raw = new Map<string, RawTensor>();
  for (const [name, t] of tensors) {
    if (t.isDisposed) throw new TypeError(`saveStateFile: tensor '${name}' is disposed`);
    raw.set(name, toRawTensor(t));
  }
  return raw;
}

/**
 * Saves `tensors` and `meta` as a state file: `path` (safetensors) and `${path}.json` (sidecar),
 * each written atomically, tensor file first. The tensors are only read (copied to host memory
 * before the first await), never disposed.
 * @throws TypeError if `meta` or `jsonState` would not round-trip through JSON, before any write.
 * @throws AtomicWriteError (from src/util) if a file cannot be written.
 * @example await saveStateFile("ckpt/epoch-10.safetensors", model.stateDict(), { epoch: 10 });
 */
export async function saveStateFile(path: string, tensors: ReadonlyMap<string, Tensor>, meta: JsonObject = {}, opts: SaveStateOptions = {}): Promise<StateFileInfo> {
  assertJsonObject(meta, "meta");
  const jsonState = opts.jsonState ?? {};
  assertJsonObject(jsonState, "jsonState");
  const header: StateHeader = {
    kind: opts.kind ?? "tensors",
    saveId: randomUUID(),
    savedAt: new Date().toISOString(),
    torchVersion: engineInfo().torchVersion,
    meta,
    jsonState,
  };
  const raw = snapshot(tensors);
  const bytes = encodeSafetensors(raw, headerToMetadata(header));
  const info: StateFileInfo = { kind: header.kind, saveId: header.saveId, savedAt: header.savedAt, torchVersion: header.torchVersion, bytes: bytes.byteLength, sha256: sha256(bytes) };
  const sidecar: Sidecar = {
    format: STATE_FORMAT,
    version: STATE_VERSION,
    ...header,
    tensorFile: { name: nodePath.basename(path), bytes: info.bytes, sha256: info.sha256 },
    // fromEntries defines own keys, so even a tensor named "__proto__" is listed correctly.
    tensors: Object.fromEntries([...raw].sort(([a], [b]) => (a < b ? -1 : 1)).map(([k, t]) => [k, { dtype: t.dtype, shape: t.shape }])),
  };
  await writeFileAtomic(path, bytes);
  await writeJsonAtomic(sidecarPath(path), sidecar);
  return info;
}

/** The file's content, or null if it does not exist; other read failures name `statePath`. */
async function readOrNull(statePath: string, file: string, encoding?: "utf8"): Promise<Uint8Array | string | null> {
  try {
    return encoding ? await readFile(file, encoding) : await readFile(file);
  } catch (e) {
    if ((e as { code?: string }).code === "ENOENT") return null;
    throw new StateFileError(statePath, "missing", [`cannot read ${file}: ${(e as Error).message}`], { cause: e });
  }
}

/** Reads both files and checks that they belong to the same, complete save. */
async function readVerified(path: string): Promise<{ bytes: Uint8Array; sidecar: Sidecar }> {
  const [bytes, text] = (await Promise.all([readOrNull(path, path), readOrNull(path, sidecarPath(path), "utf8")])) as [Uint8Array | null, string | null];
  if (bytes === null && text === null) throw new StateFileError(path, "missing", [`no state file here (neither ${path} nor its sidecar ${sidecarPath(path)} exists)`]);
  if (bytes === null) throw new StateFileError(path, "missing", [`the tensor file is missing (its sidecar ${sidecarPath(path)} exists)`]);
  if (text === null) {
    throw new StateFileError(path, "missing", [`the sidecar ${sidecarPath(path)} is missing: the save did not finish (the sidecar is written last) or the file was not copied along`]);
  }
  const sidecar = parseSidecar(path, text);
  const want = sidecar.tensorFile.bytes;
  if (bytes.byteLength < want) {
    throw new StateFileError(path, "truncated", [`the tensor file is truncated: ${bytes.byteLength} bytes present, ${want} expected (${want - bytes.byteLength} missing)`]);
  }
  if (bytes.byteLength > want) {
    throw new StateFileError(path, "checksum", [`the tensor file has ${bytes.byteLength} bytes but its sidecar records ${want}: the two files come from different saves`]);
  }
  const actual = sha256(bytes);
  if (actual !== sidecar.tensorFile.sha256) {
    throw new StateFileError(path, "checksum", [
      `checksum mismatch: the tensor file's sha256 is ${actual} but its sidecar records ${sidecar.tensorFile.sha256}; ` +
        "the files come from different saves (a save interrupted between its two writes, or one file replaced) or the tensor file is corrupt",
    ]);
  }
  return { bytes, sidecar };
}

/** Native tensors for the raw ones; frees those already made if one fails (e.g. a bad device). */
function materialise(raw: ReadonlyMap<string, RawTensor>, device: Device): Map<string, Tensor> {
  const out = new Map<string, Tensor>();
  try {
    for (const [name, r] of raw) out.set(name, fromRawTensor(r, { device }));
  } catch (e) {
    for (const t of out.values()) t.dispose();
    throw e;
  }
  return out;
}

/**
 * Loads a state file written by `saveStateFile`, after checking that both files are present,
 * complete and from the same save, and (with `expect`) that names, shapes and dtypes fit.
 * Nothing native is allocated unless every check passes.
 * @throws StateFileError whose message says what is wrong (all `expect` differences at once).
 */
export async function loadStateFile(path: string, opts: LoadStateOptions = {}): Promise<LoadedState> {
  const { bytes, sidecar } = await readVerified(path);
  let decoded: ReturnType<typeof decodeSafetensors>;
  try {
    decoded = decodeSafetensors(bytes);
  } catch (e) {
    if (!(e instanceof SafetensorsError)) throw e;
    throw new StateFileError(path, "corrupt", [`the tensor file is not valid safetensors: ${e.message}`], { cause: e });
  }
  const header = metadataToHeader(path, decoded.metadata);
  const mismatch = sidecarProblems(sidecar, header, decoded.tensors);
  if (mismatch.length > 0) throw new StateFileError(path, "checksum", mismatch);
  if (opts.kind !== undefined && header.kind !== opts.kind) {
    throw new StateFileError(path, "format", [`the file holds ${header.kind} state, not ${opts.kind} state`]);
  }
  if (opts.expect) {
    const problems = specProblems(decoded.tensors, opts.expect, opts.strict ?? true);
    if (problems.length > 0) throw new StateFileError(path, "mismatch", problems);
  }
  const tensors = materialise(decoded.tensors, opts.device ?? "cpu");
  const { meta, jsonState, ...facts } = header;
  return { tensors, meta, jsonState, info: { ...facts, bytes: bytes.byteLength, sha256: sidecar.tensorFile.sha256 } };
}
