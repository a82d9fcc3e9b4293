// The safetensors codec is pure JS: these tests need no native addon.
import assert from "node:assert/strict";
import { spawnSync } from "node:child_process";
import { mkdtempSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import path from "node:path";
import { describe, it } from "node:test";
import { decodeSafetensors, encodeSafetensors, type RawTensor, SafetensorsError } from "./safetensors.js";

/** One tensor of every dtype, with edge values (NaN, -0, int64 beyond 2^53, float16 bit patterns). */
function everyDType(): Map<string, RawTensor> {
  return new Map<string, RawTensor>([
    ["f32", { dtype: "float32", shape: [2, 3], data: new Float32Array([1.5, -2, Number.NaN, -0, 3.4e38, 1e-45]) }],
    ["f64", { dtype: "float64", shape: [3], data: new Float64Array([Math.PI, Number.NEGATIVE_INFINITY, 5e-324]) }],
    ["f16", { dtype: "float16", shape: [2], data: new Uint16Array([0x3c00, 0xfbff]) }],
    ["i64", { dtype: "int64", shape: [2], data: new BigInt64Array([2n ** 62n + 1n, -(2n ** 63n)]) }],
    ["i32", { dtype: "int32", shape: [1, 1], data: new Int32Array([-(2 ** 31)]) }],
    ["i16", { dtype: "int16", shape: [2], data: new Int16Array([-32768, 32767]) }],
    ["i8", { dtype: "int8", shape: [3], data: new Int8Array([-128, 0, 127]) }],
    ["u8", { dtype: "uint8", shape: [], data: new Uint8Array([255]) }],
    ["mask", { dtype: "bool", shape: [2, 2], data: new Uint8Array([1, 0, 0, 1]) }],
    ["empty", { dtype: "float32", shape: [0, 4], data: new Float32Array(0) }],
  ]);
}

/** A file with a hand-written header (padded to 8 bytes) and data section. */
function craft(header: unknown, data: Uint8Array = new Uint8Array(0)): Uint8Array {
  let json = JSON.stringify(header);
  json += " ".repeat((8 - (json.length % 8)) % 8);
  const h = new TextEncoder().encode(json);
  const out = new Uint8Array(8 + h.length + data.length);
  new DataView(out.buffer).setBigUint64(0, BigInt(h.length), true);
  out.set(h, 8);
  out.set(data, 8 + h.length);
  return out;
}

function headerLength(buf: Uint8Array): number {
  return Number(new DataView(buf.buffer, buf.byteOffset).getBigUint64(0, true));
}

const rejects = (buf: Uint8Array, pattern: RegExp) =>
  assert.throws(() => decodeSafetensors(buf), (e: unknown) => e instanceof SafetensorsError && pattern.test(e.message));

describe("encodeSafetensors / decodeSafetensors", () => {
  it("round-trips every dtype, edge values and metadata", () => {
    const tensors = everyDType();
    const metadata = { format: "labelwise-state", note: "ünïcödé ✓" };
    const back = decodeSafetensors(encodeSafetensors(tensors, metadata));
    assert.deepEqual(back.metadata, metadata);
    assert.deepEqual([...back.tensors.keys()].sort(), [...tensors.keys()].sort());
    for (const [name, t] of tensors) {
      const b = back.tensors.get(name) as RawTensor;
      assert.equal(b.dtype, t.dtype, name);
      assert.deepEqual(b.shape, t.shape, name);
      assert.equal(b.data.constructor, t.data.constructor, name);
      // Compare bytes so NaN and -0 are checked exactly.
      assert.deepEqual(new Uint8Array(b.data.buffer, b.data.byteOffset, b.data.byteLength), new Uint8Array(t.data.buffer), name);
    }
  });

  it("pads the header to 8 bytes with spaces, also for non-ASCII names and metadata", () => {
    for (const name of ["w", "ab", "défini", "体素", "🧠.weight"]) {
      for (const note of ["", "x", "ÿÿÿ", "€€"]) {
        const buf = encodeSafetensors(new Map([[name, { dtype: "float64", shape: [1], data: new Float64Array([1]) }]]), note ? { note } : {});
        const n = headerLength(buf);
        assert.equal((8 + n) % 8, 0, `${name}/${note}`);
        const header = new TextDecoder().decode(buf.subarray(8, 8 + n));
        assert.match(header, /^\{.*\} *$/s);
        assert.equal(decodeSafetensors(buf).tensors.get(name)?.data[0], 1);
      }
    }
  });

  it("writes tensors sorted by name whatever the map order, so equal state gives equal bytes", () => {
    const a = new Map<string, RawTensor>([
      ["b", { dtype: "int8", shape: [1], data: new Int8Array([2]) }],
      ["a", { dtype: "int8", shape: [1], data: new Int8Array([1]) }],
    ]);
    const b = new Map([...a].reverse());
    assert.deepEqual(encodeSafetensors(a), encodeSafetensors(b));
    const buf = encodeSafetensors(a);
    assert.deepEqual([...buf.subarray(buf.length - 2)], [1, 2]);
  });

  it("does not alias the input buffer and reads from an unaligned view", () => {
    const enc = encodeSafetensors(new Map([["x", { dtype: "float32", shape: [2], data: new Float32Array([1, 2]) }]]));
    const shifted = new Uint8Array(enc.length + 3);
    shifted.set(enc, 3);
    const view = shifted.subarray(3);
    const x = decodeSafetensors(view).tensors.get("x") as RawTensor;
    view.fill(0);
    assert.deepEqual([...(x.data as Float32Array)], [1, 2]);
  });

  it("copies out of a Node Buffer (whose slice() is a view, not a copy)", () => {
    const enc = encodeSafetensors(
      new Map<string, RawTensor>([
        ["a", { dtype: "int8", shape: [3], data: new Int8Array([1, 2, 3]) }],
        ["b", { dtype: "int64", shape: [1], data: new BigInt64Array([-5n]) }],
      ]),
    );
    const buf = Buffer.from(enc);
    const back = decodeSafetensors(buf).tensors;
    const b = back.get("b") as RawTensor;
    assert.equal(b.data.byteLength, 8);
    assert.equal(b.data[0], -5n);
    buf.fill(0);
    assert.deepEqual([...(back.get("a") as RawTensor).data], [1, 2, 3]);
  });

  it("keeps a tensor named __proto__ as an ordinary name", () => {
    const back = decodeSafetensors(encodeSafetensors(new Map([["__proto__", { dtype: "uint8", shape: [1], data: new Uint8Array([7]) }]])));
    assert.equal(back.tensors.get("__proto__")?.data[0], 7);
  });

  it("refuses to encode bad input", () => {
    const t = (dtype: string, shape: number[], data: RawTensor["data"]) => new Map([["t", { dtype, shape, data } as RawTensor]]);
    assert.throws(() => encodeSafetensors(t("float32", [3], new Float32Array(2))), /needs 12/);
    assert.throws(() => encodeSafetensors(t("bfloat16", [1], new Uint16Array(1))), /unknown dtype "bfloat16"/);
    assert.throws(() => encodeSafetensors(t("constructor", [1], new Uint8Array(1))), /unknown dtype/);
    assert.throws(() => encodeSafetensors(t("uint8", [1.5], new Uint8Array(1))), /invalid shape/);
    assert.throws(() => encodeSafetensors(new Map([["__metadata__", { dtype: "uint8", shape: [1], data: new Uint8Array(1) }]])), /reserved/);
    assert.throws(() => encodeSafetensors(new Map(), { n: 1 as unknown as string }), /must be a string/);
  });
});

describe("decodeSafetensors on damaged or hostile files", () => {
  const f32 = (offsets: [number, number], shape = [2]) => ({ dtype: "F32", shape, data_offsets: offsets });

  it("accepts a well-formed hand-made file (the test helper is sound)", () => {
    const buf = craft({ a: f32([0, 8]), b: f32([8, 16]) }, new Uint8Array(16));
    assert.equal(decodeSafetensors(buf).tensors.size, 2);
  });

  it("rejects overlapping tensors", () => {
    rejects(craft({ a: f32([0, 8]), b: f32([4, 12]) }, new Uint8Array(12)), /'b' \(bytes 4-12\) overlaps tensor 'a'/);
    rejects(craft({ a: f32([0, 8]), b: f32([0, 8]) }, new Uint8Array(8)), /overlaps/);
  });

  it("rejects offsets beyond the data (a truncated file)", () => {
    const good = encodeSafetensors(new Map([["x", { dtype: "float64", shape: [4], data: new Float64Array(4) }]]));
    rejects(good.subarray(0, good.length - 1), /data ends at byte 32 but the file has 31 data bytes \(truncated\)/);
    rejects(good.subarray(0, 12), /header length \d+ exceeds the file \(12 bytes\)/);
    rejects(good.subarray(0, 5), /5 bytes, shorter than the 8-byte header length/);
  });

  it("rejects gaps and trailing bytes", () => {
    rejects(craft({ a: f32([8, 16]) }, new Uint8Array(16)), /gap in the data at bytes 0-8/);
    rejects(craft({ a: f32([0, 8]) }, new Uint8Array(9)), /1 unexpected bytes after the last tensor/);
  });

  it("rejects a huge header length without allocating it", () => {
    for (const len of [2n ** 40n, 2n ** 64n - 1n, 100_000_001n]) {
      const buf = new Uint8Array(64);
      new DataView(buf.buffer).setBigUint64(0, len, true);
      rejects(buf, /over the 100000000-byte limit/);
    }
  });

  it("rejects unknown dtypes, bad shapes and bad offsets", () => {
    rejects(craft({ a: { dtype: "BF16", shape: [1], data_offsets: [0, 2] } }, new Uint8Array(2)), /'a': unsupported dtype "BF16"/);
    rejects(craft({ a: { shape: [1], data_offsets: [0, 2] } }, new Uint8Array(2)), /unsupported dtype undefined/);
    rejects(craft({ a: { dtype: "F32", shape: [-1], data_offsets: [0, 4] } }, new Uint8Array(4)), /invalid shape/);
    rejects(craft({ a: { dtype: "F32", shape: "2", data_offsets: [0, 8] } }, new Uint8Array(8)), /invalid shape/);
    rejects(craft({ a: f32([8, 0]) }, new Uint8Array(8)), /invalid data_offsets \[8,0\]/);
    rejects(craft({ a: f32([0, 8.5] as [number, number]) }, new Uint8Array(9)), /invalid data_offsets/);
    rejects(craft({ a: { dtype: "F32", shape: [2] } }, new Uint8Array(8)), /invalid data_offsets undefined/);
    rejects(craft({ a: f32([0, 12]) }, new Uint8Array(12)), /12 bytes for shape \[2\] float32 \(needs 8\)/);
    rejects(craft({ a: null }), /unsupported dtype/);
  });

  it("rejects headers that are not a JSON object of the right form", () => {
    rejects(craft([1, 2]), /not a JSON object/);
    rejects(craft(null), /not a JSON object/);
    rejects(craft({ __metadata__: { n: 1 } }), /metadata 'n' is not a string/);
    rejects(craft({ __metadata__: "x" }), /'__metadata__' is not an object/);
    const bad = craft({});
    bad.set(new TextEncoder().encode("{oops"), 8);
    rejects(bad, /not valid UTF-8 JSON/);
    const badUtf8 = craft({ k: "xx" });
    badUtf8[12] = 0xff;
    rejects(badUtf8, /not valid UTF-8 JSON/);
  });

  it("rejects a file that is not safetensors at all", () => {
    rejects(new TextEncoder().encode("PK\u0003\u0004 this is a zip-based .pth checkpoint"), /not a safetensors file/);
  });
});

describe("safetensors compatibility with an independent Python reader", () => {
  it("python3 parses our file with struct/json and sees the same values", (t) => {
    const python = ["/usr/bin/python3", "python3"].find((p) => spawnSync(p, ["-c", "pass"]).status === 0);
    if (!python) return t.skip("no python3 on this machine");
    const dir = mkdtempSync(path.join(tmpdir(), "labelwise-st-"));
    try {
      const file = path.join(dir, "x.safetensors");
      writeFileSync(file, encodeSafetensors(everyDType(), { who: "labelwise", ü: "✓" }));
      // An independent reader written from the format description (not our code), printing what
      // it decoded as JSON. float16 and NaN travel as hex/strings so the comparison is exact.
      const script = String.raw`
import json, struct, sys
raw = open(sys.argv[1], "rb").read()
(n,) = struct.unpack("<Q", raw[:8])
assert (8 + n) % 8 == 0, "data not 8-byte aligned"
header = json.loads(raw[8:8 + n].decode("utf-8"))
data = raw[8 + n:]
fmt = {"F32": "f", "F64": "d", "F16": "H", "I64": "q", "I32": "i", "I16": "h", "I8": "b", "U8": "B", "BOOL": "?"}
out = {"metadata": header.pop("__metadata__", {}), "tensors": {}}
for name, e in header.items():
    b, end = e["data_offsets"]
    count = 1
    for d in e["shape"]:
        count *= d
    vals = struct.unpack("<%d%s" % (count, fmt[e["dtype"]]), data[b:end])
    out["tensors"][name] = {"dtype": e["dtype"], "shape": e["shape"], "values": [repr(v) for v in vals]}
print(json.dumps(out))
`;
      const r = spawnSync(python, ["-c", script, file], { encoding: "utf8" });
      assert.equal(r.status, 0, r.stderr);
      const got = JSON.parse(r.stdout) as { metadata: Record<string, string>; tensors: Record<string, { dtype: string; shape: number[]; values: string[] }> };
      assert.deepEqual(got.metadata, { who: "labelwise", ü: "✓" });
      const tt = got.tensors;
      assert.deepEqual(tt.f32?.values, ["1.5", "-2.0", "nan", "-0.0", "3.3999999521443642e+38", "1.401298464324817e-45"]);
      assert.deepEqual(tt.f64?.values, ["3.141592653589793", "-inf", "5e-324"]);
      assert.deepEqual(tt.f16?.values, ["15360", "64511"]);
      assert.deepEqual(tt.i64?.values, [String(2n ** 62n + 1n), String(-(2n ** 63n))]);
      assert.deepEqual(tt.i32?.values, ["-2147483648"]);
      assert.deepEqual(tt.i16?.values, ["-32768", "32767"]);
      assert.deepEqual(tt.i8?.values, ["-128", "0", "127"]);
      assert.deepEqual(tt.u8, { dtype: "U8", shape: [], values: ["255"] });
      assert.deepEqual(tt.mask, { dtype: "BOOL", shape: [2, 2], values: ["True", "False", "False", "True"] });
      assert.deepEqual(tt.empty, { dtype: "F32", shape: [0, 4], values: [] });
    } finally {
      rmSync(dir, { recursive: true, force: true });
    }
  });
});
