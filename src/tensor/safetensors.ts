// The safetensors container (https://github.com/huggingface/safetensors): an 8-byte little-endian
// header length, a JSON header {name: {dtype, shape, data_offsets}, "__metadata__": {str: str}},
// then raw little-endian tensor bytes. Non-executable, so loading a file never runs code (unlike
// pickle-based .pth checkpoints). Written here (~100 lines) because the npm packages for it are
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

/** One tensor's raw content, independent of the native engine. */
export interface RawTensor {
  dtype: DType;
  shape: number[];
  data: AnyTypedArray;
}

/** Malformed or truncated safetensors data; `path` is filled in by file-level callers. */
export class SafetensorsError extends Error {
  override readonly name = "SafetensorsError";
}

/** Encodes tensors (sorted by name, 8-byte aligned header) and string metadata. */
export function encodeSafetensors(tensors: ReadonlyMap<string, RawTensor>, metadata: Readonly<Record<string, string>> = {}): Uint8Array {
  const names = [...tensors.keys()].sort();
  const header: Record<string, unknown> = {};
  if (Object.keys(metadata).length > 0) header.__metadata__ = metadata;
  let offset = 0;
  for (const name of names) {
    const t = tensors.get(name) as RawTensor;
    const bytes = t.data.byteLength;
    const expected = t.shape.reduce((a, b) => a * b, 1) * ITEMSIZE[t.dtype];
    if (bytes !== expected) throw new SafetensorsError(`tensor '${name}': ${bytes} bytes of data for shape [${t.shape.join(",")}] ${t.dtype} (needs ${expected})`);
    header[name] = { dtype: TO_ST[t.dtype], shape: t.shape, data_offsets: [offset, offset + bytes] };
    offset += bytes;
  }
  let json = JSON.stringify(header);
  json += " ".repeat((8 - ((json.length + 8) % 8)) % 8);
  const headerBytes = new TextEncoder().encode(json);
  const out = new Uint8Array(8 + headerBytes.length + offset);
  new DataView(out.buffer).setBigUint64(0, BigInt(headerBytes.length), true);
  out.set(headerBytes, 8);
  let pos = 8 + headerBytes.length;
  for (const name of names) {
    const d = (tensors.get(name) as RawTensor).data;
    out.set(new Uint8Array(d.buffer, d.byteOffset, d.byteLength), pos);
    pos += d.byteLength;
  }
  return out;
}

/** Decodes and validates a safetensors buffer (header bounds, offsets, sizes, dtypes). */
export function decodeSafetensors(buf: Uint8Array): { tensors: Map<string, RawTensor>; metadata: Record<string, string> } {
  if (buf.byteLength < 8) throw new SafetensorsError(`file is ${buf.byteLength} bytes, shorter than the 8-byte header length`);
  const headerLen = Number(new DataView(buf.buffer, buf.byteOffset, 8).getBigUint64(0, true));
  if (headerLen > buf.byteLength - 8 || headerLen > 100_000_000) {
    throw new SafetensorsError(`header length ${headerLen} exceeds the file (${buf.byteLength} bytes): truncated or not a safetensors file`);
  }
  let header: Record<string, unknown>;
  try {
    header = JSON.parse(new TextDecoder("utf-8", { fatal: true }).decode(buf.subarray(8, 8 + headerLen))) as Record<string, unknown>;
  } catch (e) {
    throw new SafetensorsError(`header is not valid UTF-8 JSON: ${(e as Error).message}`);
  }
  const dataStart = 8 + headerLen;
  const dataLen = buf.byteLength - dataStart;
  const tensors = new Map<string, RawTensor>();
  let metadata: Record<string, string> = {};
  for (const [name, entry] of Object.entries(header)) {
    if (name === "__metadata__") {
      metadata = entry as Record<string, string>;
      continue;
    }
    const e = entry as { dtype?: unknown; shape?: unknown; data_offsets?: unknown };
    const dtype = typeof e.dtype === "string" ? FROM_ST.get(e.dtype) : undefined;
    if (!dtype) throw new SafetensorsError(`tensor '${name}': unsupported dtype ${JSON.stringify(e.dtype)}`);
    if (!Array.isArray(e.shape) || !e.shape.every((d) => Number.isInteger(d) && d >= 0)) throw new SafetensorsError(`tensor '${name}': invalid shape ${JSON.stringify(e.shape)}`);
    const offs = e.data_offsets;
    if (!Array.isArray(offs) || offs.length !== 2 || !offs.every((o) => Number.isInteger(o) && o >= 0) || offs[0] > offs[1]) {
      throw new SafetensorsError(`tensor '${name}': invalid data_offsets ${JSON.stringify(offs)}`);
    }
    const [begin, end] = offs as [number, number];
    if (end > dataLen) throw new SafetensorsError(`tensor '${name}': data ends at byte ${end} but the file has ${dataLen} data bytes (truncated)`);
    const shape = e.shape as number[];
    const expected = shape.reduce((a, b) => a * b, 1) * ITEMSIZE[dtype];
    if (end - begin !== expected) throw new SafetensorsError(`tensor '${name}': ${end - begin} bytes for shape [${shape.join(",")}] ${dtype} (needs ${expected})`);
    // Copy into a fresh, aligned buffer: typed arrays need their element alignment.
    const bytes = buf.slice(dataStart + begin, dataStart + end);
    const Ctor = typedArrayCtor(dtype);
    tensors.set(name, { dtype, shape, data: new Ctor(bytes.buffer) as AnyTypedArray });
  }
  return { tensors, metadata };
}
