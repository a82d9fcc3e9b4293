// The safetensors container (https://github.com/huggingface/safetensors): an 8-byte little-endian
// header length, a JSON header {name: {dtype, shape, data_offsets}, "__metadata__": {str: str}},
// then raw little-endian tensor bytes. Non-executable, so loading a file never runs code (unlike
// pickle-based .pth checkpoints). Written here because the npm packages for it are
// browser-oriented wrappers without the validation we need on untrusted files.
import { type AnyTypedArray, type DType, typedArrayCtor } from "./dtype.js";

const TO_ST: Readonly<Record<DType, string>> = {
  float32: "F32",
  float64: "F64",
  float16: "F16",
  int64: "I64",
  int32: "I32",
  int16: "I16",
  int8: "I8",
  uint8: "U8",
  bool: "BOOL",
};
const FROM_ST = new Map<string, DType>(Object.entries(TO_ST).map(([k, v]) => [v, k as DType]));
const ITEMSIZE: Readonly<Record<DType, number>> = { float32: 4, float64: 8, float16: 2, int64: 8, int32: 4, int16: 2, int8: 1, uint8: 1, bool: 1 };

/** The same cap as the reference implementation: a larger header is corruption, not a model. */
const MAX_HEADER_BYTES = 100_000_000;
const METADATA_KEY = "__metadata__";
// Typed arrays use the host byte order and the format is little-endian; every platform Node ships
// for is little-endian, so a big-endian host is refused rather than silently byte-swapped.
const HOST_IS_LITTLE_ENDIAN = new Uint8Array(new Uint16Array([1]).buffer)[0] === 1;

/** One tensor's raw content, independent of the native engine. */
export interface RawTensor {
  dtype: DType;
  shape: number[];
  data: AnyTypedArray;
}

/** Malformed or truncated safetensors data (file-level callers wrap it with the path). */
export class SafetensorsError extends Error {
  override readonly name = "SafetensorsError";
}

function checkHost(): void {
  if (!HOST_IS_LITTLE_ENDIAN) throw new SafetensorsError("safetensors needs a little-endian host");
}

/** Bytes needed by a tensor of this shape and dtype, or NaN if the count is not a safe integer. */
function byteSize(shape: readonly number[], dtype: DType): number {
  const n = shape.reduce((a, b) => a * b, 1) * ITEMSIZE[dtype];
  return Number.isSafeInteger(n) ? n : Number.NaN;
}

function isShape(s: unknown): s is number[] {
  return Array.isArray(s) && s.every((d) => Number.isSafeInteger(d) && d >= 0);
}

/**
 * Encodes tensors (sorted by name, contiguous, header padded with spaces so the data starts on an
 * 8-byte boundary) and string metadata.
 * @throws SafetensorsError on a reserved name, unknown dtype, bad shape or data of the wrong size.
 */
export function encodeSafetensors(tensors: ReadonlyMap<string, RawTensor>, metadata: Readonly<Record<string, string>> = {}): Uint8Array {
  checkHost();
  const names = [...tensors.keys()].sort();
  // A null-prototype object, so a tensor named "__proto__" becomes a key instead of a prototype.
  const header: Record<string, unknown> = Object.create(null) as Record<string, unknown>;
  const metaEntries = Object.entries(metadata);
  for (const [k, v] of metaEntries) {
    if (typeof v !== "string") throw new SafetensorsError(`metadata '${k}' must be a string. Received: ${typeof v}`);
  }
  if (metaEntries.length > 0) header[METADATA_KEY] = metadata;
  let offset = 0;
  for (const name of names) {
    if (name === METADATA_KEY) throw new SafetensorsError(`'${METADATA_KEY}' is reserved and cannot name a tensor`);
    const t = tensors.get(name) as RawTensor;
    // hasOwn, not a lookup: "constructor" or "toString" would otherwise resolve on the prototype.
    const st = Object.hasOwn(TO_ST, t.dtype) ? TO_ST[t.dtype] : undefined;
    if (st === undefined) throw new SafetensorsError(`tensor '${name}': unknown dtype ${JSON.stringify(t.dtype)}`);
    if (!isShape(t.shape)) throw new SafetensorsError(`tensor '${name}': invalid shape ${JSON.stringify(t.shape)}`);
    const bytes = t.data.byteLength;
    const expected = byteSize(t.shape, t.dtype);
    if (bytes !== expected) throw new SafetensorsError(`tensor '${name}': ${bytes} bytes of data for shape [${t.shape.join(",")}] ${t.dtype} (needs ${expected})`);
    header[name] = { dtype: st, shape: t.shape, data_offsets: [offset, offset + bytes] };
    offset += bytes;
  }
  // Pad on the UTF-8 byte length, not the string length: non-ASCII names would misalign the data.
  const raw = new TextEncoder().encode(JSON.stringify(header));
  const padded = raw.length + ((8 - ((raw.length + 8) % 8)) % 8);
  const out = new Uint8Array(8 + padded + offset);
  new DataView(out.buffer).setBigUint64(0, BigInt(padded), true);
  out.set(raw, 8);
  out.fill(0x20, 8 + raw.length, 8 + padded);
  let pos = 8 + padded;
  for (const name of names) {
    const d = (tensors.get(name) as RawTensor).data;
    out.set(new Uint8Array(d.buffer, d.byteOffset, d.byteLength), pos);
    pos += d.byteLength;
  }
  return out;
}

/** Reads and parses the JSON header; returns it and where the data section starts. */
function readHeader(buf: Uint8Array): { header: Record<string, unknown>; dataStart: number } {
  if (buf.byteLength < 8) throw new SafetensorsError(`file is ${buf.byteLength} bytes, shorter than the 8-byte header length (truncated or not a safetensors file)`);
  const len = new DataView(buf.buffer, buf.byteOffset, 8).getBigUint64(0, true);
  if (len > BigInt(MAX_HEADER_BYTES)) throw new SafetensorsError(`header length ${len} is over the ${MAX_HEADER_BYTES}-byte limit: not a safetensors file`);
  const headerLen = Number(len);
  if (headerLen > buf.byteLength - 8) {
    throw new SafetensorsError(`header length ${headerLen} exceeds the file (${buf.byteLength} bytes): truncated or not a safetensors file`);
  }
  let header: unknown;
  try {
    header = JSON.parse(new TextDecoder("utf-8", { fatal: true }).decode(buf.subarray(8, 8 + headerLen)));
  } catch (e) {
    throw new SafetensorsError(`header is not valid UTF-8 JSON: ${(e as Error).message}`);
  }
  if (header === null || typeof header !== "object" || Array.isArray(header)) throw new SafetensorsError("header is not a JSON object");
  return { header: header as Record<string, unknown>, dataStart: 8 + headerLen };
}

function readMetadata(entry: unknown): Record<string, string> {
  if (entry === null || typeof entry !== "object" || Array.isArray(entry)) throw new SafetensorsError(`'${METADATA_KEY}' is not an object`);
  for (const [k, v] of Object.entries(entry)) {
    if (typeof v !== "string") throw new SafetensorsError(`metadata '${k}' is not a string`);
  }
  return entry as Record<string, string>;
}

interface Entry {
  name: string;
  dtype: DType;
  shape: number[];
  begin: number;
  end: number;
}

function readEntry(name: string, entry: unknown, dataLen: number): Entry {
  const e = (entry ?? {}) as { dtype?: unknown; shape?: unknown; data_offsets?: unknown };
  const dtype = typeof e.dtype === "string" ? FROM_ST.get(e.dtype) : undefined;
  if (!dtype) throw new SafetensorsError(`tensor '${name}': unsupported dtype ${JSON.stringify(e.dtype)}`);
  if (!isShape(e.shape)) throw new SafetensorsError(`tensor '${name}': invalid shape ${JSON.stringify(e.shape)}`);
  const offs = e.data_offsets;
  if (!Array.isArray(offs) || offs.length !== 2 || !offs.every((o) => Number.isSafeInteger(o) && o >= 0) || offs[0] > offs[1]) {
    throw new SafetensorsError(`tensor '${name}': invalid data_offsets ${JSON.stringify(offs)}`);
  }
  const [begin, end] = offs as [number, number];
  if (end > dataLen) throw new SafetensorsError(`tensor '${name}': data ends at byte ${end} but the file has ${dataLen} data bytes (truncated)`);
  const expected = byteSize(e.shape, dtype);
  if (end - begin !== expected) throw new SafetensorsError(`tensor '${name}': ${end - begin} bytes for shape [${e.shape.join(",")}] ${dtype} (needs ${expected})`);
  return { name, dtype, shape: e.shape, begin, end };
}

/**
 * Requires the tensors to tile the data section exactly, as the reference implementation does:
 * overlaps would alias two tensors, and gaps or trailing bytes mean a damaged or foreign file.
 */
function checkLayout(entries: Entry[], dataLen: number): void {
  const sorted = [...entries].sort((a, b) => a.begin - b.begin || a.end - b.end);
  let pos = 0;
  let prev: Entry | undefined;
  for (const e of sorted) {
    if (e.begin < pos) throw new SafetensorsError(`tensor '${e.name}' (bytes ${e.begin}-${e.end}) overlaps tensor '${prev?.name}' (bytes ${prev?.begin}-${prev?.end})`);
    if (e.begin > pos) throw new SafetensorsError(`unused gap in the data at bytes ${pos}-${e.begin} (before tensor '${e.name}')`);
    pos = e.end;
    prev = e;
  }
  if (pos !== dataLen) throw new SafetensorsError(`${dataLen - pos} unexpected bytes after the last tensor (data section is ${dataLen} bytes, tensors cover ${pos})`);
}

/**
 * Decodes and validates a safetensors buffer: header bounds, JSON shape, dtypes, offsets, sizes and
 * an exact, non-overlapping layout. Tensor data is copied, so the result does not alias `buf`.
 * @throws SafetensorsError saying what is wrong.
 */
export function decodeSafetensors(buf: Uint8Array): { tensors: Map<string, RawTensor>; metadata: Record<string, string> } {
  checkHost();
  const { header, dataStart } = readHeader(buf);
  const dataLen = buf.byteLength - dataStart;
  let metadata: Record<string, string> = {};
  const entries: Entry[] = [];
  for (const [name, entry] of Object.entries(header)) {
    if (name === METADATA_KEY) metadata = readMetadata(entry);
    else entries.push(readEntry(name, entry, dataLen));
  }
  checkLayout(entries, dataLen);
  const tensors = new Map<string, RawTensor>();
  for (const e of entries) {
    // Copy into a fresh buffer: typed arrays need their element alignment, and the result must not
    // alias the input. Not buf.slice(): on a Node Buffer (what readFile returns) slice is a view.
    const bytes = new Uint8Array(e.end - e.begin);
    bytes.set(buf.subarray(dataStart + e.begin, dataStart + e.end));
    const Ctor = typedArrayCtor(e.dtype);
    tensors.set(e.name, { dtype: e.dtype, shape: e.shape, data: new Ctor(bytes.buffer) as AnyTypedArray });
  }
  return { tensors, metadata };
}
