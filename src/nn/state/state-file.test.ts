import assert from "node:assert/strict";
import { createHash } from "node:crypto";
import { appendFile, copyFile, mkdir, mkdtemp, readdir, readFile, rm, truncate, writeFile } from "node:fs/promises";
import { tmpdir } from "node:os";
import path from "node:path";
import { after, before, describe, it } from "node:test";
import { type RawTensor, type Tensor, engineInfo, expectNoLeakAsync, fromRawTensor, memory, toRawTensor } from "../../tensor/index.js";
import { STATE_FORMAT, StateFileError, type StateFileReason, type TensorSpec, loadStateFile, saveStateFile, sidecarPath } from "./index.js";

let root: string;
let n = 0;
async function freshDir(): Promise<string> {
  const d = path.join(root, `t${n++}`);
  await mkdir(d);
  return d;
}

before(async () => {
  root = await mkdtemp(path.join(tmpdir(), "labelwise-state-"));
});
after(async () => {
  await rm(root, { recursive: true, force: true });
});

function rawOfEveryDType(): Map<string, RawTensor> {
  return new Map<string, RawTensor>([
    ["enc.conv.weight", { dtype: "float32", shape: [2, 1, 1, 1, 3], data: new Float32Array([1.5, -2, Number.NaN, -0, 3e38, 1e-45]) }],
    ["f64", { dtype: "float64", shape: [3], data: new Float64Array([Math.PI, Number.NEGATIVE_INFINITY, 5e-324]) }],
    ["f16", { dtype: "float16", shape: [2], data: new Uint16Array([0x3c00, 0xfbff]) }],
    ["num_batches_tracked", { dtype: "int64", shape: [], data: new BigInt64Array([2n ** 62n + 1n]) }],
    ["i32", { dtype: "int32", shape: [1, 2], data: new Int32Array([-(2 ** 31), 7]) }],
    ["i16", { dtype: "int16", shape: [2], data: new Int16Array([-32768, 32767]) }],
    ["i8", { dtype: "int8", shape: [3], data: new Int8Array([-128, 0, 127]) }],
    ["u8", { dtype: "uint8", shape: [1], data: new Uint8Array([255]) }],
    ["mask", { dtype: "bool", shape: [2, 2], data: new Uint8Array([1, 0, 0, 1]) }],
    ["empty", { dtype: "float32", shape: [0, 4], data: new Float32Array(0) }],
  ]);
}

function tensorsOf(raw: ReadonlyMap<string, RawTensor>): Map<string, Tensor> {
  return new Map([...raw].map(([k, r]) => [k, fromRawTensor(r)]));
}

function disposeAll(m: ReadonlyMap<string, Tensor>): void {
  for (const t of m.values()) t.dispose();
}

const bytesOf = (a: RawTensor["data"]) => new Uint8Array(a.buffer, a.byteOffset, a.byteLength);

/** Asserts that `p` rejects with a StateFileError of `reason` whose message matches every pattern. */
async function rejectsWith(p: Promise<unknown>, reason: StateFileReason, ...patterns: RegExp[]): Promise<StateFileError> {
  let caught: unknown;
  await p.then(
    () => assert.fail("expected a StateFileError"),
    (e: unknown) => {
      caught = e;
    },
  );
  assert.ok(caught instanceof StateFileError, String(caught));
  assert.equal(caught.reason, reason, caught.message);
  for (const re of patterns) assert.match(caught.message, re);
  return caught;
}

/** A small saved state file: a [2,3] and a [3] float32 and an int64 scalar. */
async function savedSmall(d: string, meta = {}): Promise<string> {
  const file = path.join(d, "model.safetensors");
  const t = tensorsOf(
    new Map<string, RawTensor>([
      ["a", { dtype: "float32", shape: [2, 3], data: new Float32Array(6) }],
      ["b", { dtype: "float32", shape: [3], data: new Float32Array([1, 2, 3]) }],
      ["c", { dtype: "int64", shape: [], data: new BigInt64Array([5n]) }],
    ]),
  );
  await saveStateFile(file, t, meta);
  disposeAll(t);
  return file;
}

describe("state file round trip", () => {
  it("round-trips every dtype, meta and jsonState, writing exactly two files", async () => {
    const d = await freshDir();
    const file = path.join(d, "ckpt.safetensors");
    const raw = rawOfEveryDType();
    const src = tensorsOf(raw);
    const meta = { epoch: 12, config: { lr: 1e-3, patch: [96, 96, 64], name: "ünet ✓" }, best: null, done: false };
    const saved = await saveStateFile(file, src, meta, { kind: "custom", jsonState: { step: 7 } });
    // Saving only reads: the caller's tensors are still alive and unchanged.
    for (const [k, t] of src) assert.deepEqual(bytesOf(t.dataSync()), bytesOf((raw.get(k) as RawTensor).data));
    disposeAll(src);

    assert.deepEqual((await readdir(d)).sort(), ["ckpt.safetensors", "ckpt.safetensors.json"]);
    const loaded = await loadStateFile(file);
    try {
      assert.deepEqual(loaded.meta, meta);
      assert.deepEqual(loaded.jsonState, { step: 7 });
      assert.deepEqual(loaded.info, saved);
      assert.equal(loaded.info.kind, "custom");
      assert.equal(loaded.info.torchVersion, engineInfo().torchVersion);
      assert.equal(loaded.info.sha256, createHash("sha256").update(await readFile(file)).digest("hex"));
      assert.deepEqual([...loaded.tensors.keys()].sort(), [...raw.keys()].sort());
      for (const [k, r] of raw) {
        const t = loaded.tensors.get(k) as Tensor;
        assert.equal(t.dtype, r.dtype, k);
        assert.deepEqual([...t.shape], r.shape, k);
        assert.equal(t.device, "cpu");
        assert.deepEqual(bytesOf(toRawTensor(t).data), bytesOf(r.data), k);
      }
    } finally {
      disposeAll(loaded.tensors);
    }
  });

  it("writes a readable sidecar recording format, sizes, checksum and a tensor summary", async () => {
    const d = await freshDir();
    const file = await savedSmall(d, { epoch: 1 });
    const sidecar = JSON.parse(await readFile(sidecarPath(file), "utf8"));
    assert.equal(sidecar.format, STATE_FORMAT);
    assert.equal(sidecar.version, 1);
    assert.equal(sidecar.tensorFile.name, "model.safetensors");
    assert.equal(sidecar.tensorFile.bytes, (await readFile(file)).length);
    assert.match(sidecar.tensorFile.sha256, /^[0-9a-f]{64}$/);
    assert.deepEqual(sidecar.tensors, { a: { dtype: "float32", shape: [2, 3] }, b: { dtype: "float32", shape: [3] }, c: { dtype: "int64", shape: [] } });
    assert.deepEqual(sidecar.meta, { epoch: 1 });
  });

  it("replaces an earlier save at the same path", async () => {
    const d = await freshDir();
    const file = await savedSmall(d, { v: 1 });
    const t = tensorsOf(new Map([["z", { dtype: "uint8", shape: [1], data: new Uint8Array([9]) } as RawTensor]]));
    await saveStateFile(file, t, { v: 2 });
    disposeAll(t);
    const loaded = await loadStateFile(file);
    assert.deepEqual(loaded.meta, { v: 2 });
    assert.deepEqual([...loaded.tensors.keys()], ["z"]);
    disposeAll(loaded.tensors);
    assert.equal((await readdir(d)).length, 2, "no temp files left");
  });

  it("refuses metadata that JSON would change, before writing anything", async () => {
    const d = await freshDir();
    const file = path.join(d, "x.safetensors");
    const bad: [unknown, RegExp][] = [
      [{ loss: Number.NaN }, /meta\.loss is NaN/],
      [{ when: new Date() }, /meta\.when is a Date/],
      [{ a: [1, undefined] }, /meta\.a\[1\] is undefined/],
      [{ n: 1n }, /meta\.n is bigint/],
      [[1], /must be a plain JSON object/],
    ];
    for (const [meta, re] of bad) await assert.rejects(saveStateFile(file, new Map(), meta as never), (e: unknown) => e instanceof TypeError && re.test(e.message));
    const cyc: Record<string, unknown> = {};
    cyc.self = cyc;
    await assert.rejects(saveStateFile(file, new Map(), cyc as never), /cycle/);
    assert.deepEqual(await readdir(d), []);
  });

  it("refuses a disposed tensor", async () => {
    const d = await freshDir();
    const t = fromRawTensor({ dtype: "float32", shape: [1], data: new Float32Array(1) });
    t.dispose();
    await assert.rejects(saveStateFile(path.join(d, "x"), new Map([["w", t]])), /tensor 'w' is disposed/);
  });
});

describe("damaged state files give a clear StateFileError", () => {
  it("a truncated tensor file: bytes present vs expected", async () => {
    const d = await freshDir();
    const file = await savedSmall(d);
    const size = (await readFile(file)).length;
    await truncate(file, size - 10);
    const e = await rejectsWith(loadStateFile(file), "truncated", new RegExp(`${size - 10} bytes present, ${size} expected \\(10 missing\\)`));
    assert.equal(e.path, file);
  });

  it("a crash between the two writes (new tensor file, old sidecar) is a checksum mismatch", async () => {
    const d = await freshDir();
    const file = await savedSmall(d, { v: 1 });
    const oldSidecar = path.join(d, "old.json");
    await copyFile(sidecarPath(file), oldSidecar);
    await savedSmall(d, { v: 2 }); // same tensor shapes, so the same size: only the checksum can tell
    await copyFile(oldSidecar, sidecarPath(file));
    await rejectsWith(loadStateFile(file), "checksum", /checksum mismatch/, /different saves/);
  });

  it("extra bytes after the recorded end", async () => {
    const d = await freshDir();
    const file = await savedSmall(d);
    await appendFile(file, "xx");
    await rejectsWith(loadStateFile(file), "checksum", /but its sidecar records/);
  });

  it("a flipped byte in the tensor data", async () => {
    const d = await freshDir();
    const file = await savedSmall(d);
    const buf = await readFile(file);
    buf.writeUInt8(buf.readUInt8(buf.length - 1) ^ 0xff, buf.length - 1);
    await writeFile(file, buf);
    await rejectsWith(loadStateFile(file), "checksum", /sha256/);
  });

  it("missing files", async () => {
    const d = await freshDir();
    await rejectsWith(loadStateFile(path.join(d, "none")), "missing", /neither .*none nor its sidecar/);
    const file = await savedSmall(d);
    await rm(sidecarPath(file));
    await rejectsWith(loadStateFile(file), "missing", /sidecar .* is missing: the save did not finish/);
    await savedSmall(d);
    await rm(file);
    await rejectsWith(loadStateFile(file), "missing", /the tensor file is missing/);
  });

  it("a tensor file that is not safetensors (with a sidecar that vouches for it)", async () => {
    const d = await freshDir();
    const file = await savedSmall(d);
    const junk = Buffer.from("PK\u0003\u0004 a zip-based torch.save checkpoint, not safetensors");
    await writeFile(file, junk);
    const sidecar = JSON.parse(await readFile(sidecarPath(file), "utf8"));
    sidecar.tensorFile = { ...sidecar.tensorFile, bytes: junk.length, sha256: createHash("sha256").update(junk).digest("hex") };
    await writeFile(sidecarPath(file), JSON.stringify(sidecar));
    await rejectsWith(loadStateFile(file), "corrupt", /not valid safetensors: header length \d+ is over/);
  });

  it("a sidecar that is not JSON, of another format, or of a newer version", async () => {
    const d = await freshDir();
    const file = await savedSmall(d);
    const good = await readFile(sidecarPath(file), "utf8");
    await writeFile(sidecarPath(file), good.slice(0, 40));
    await rejectsWith(loadStateFile(file), "corrupt", /sidecar .* is not valid JSON/);
    await writeFile(sidecarPath(file), JSON.stringify({ ...JSON.parse(good), format: "other" }));
    await rejectsWith(loadStateFile(file), "format", /not a labelwise-state file \(format "other"\)/);
    await writeFile(sidecarPath(file), JSON.stringify({ ...JSON.parse(good), version: 2 }));
    await rejectsWith(loadStateFile(file), "format", /newer labelwise \(state format version 2; this version reads up to 1\)/);
    await writeFile(sidecarPath(file), JSON.stringify({ ...JSON.parse(good), tensorFile: undefined }));
    await rejectsWith(loadStateFile(file), "corrupt", /lacks required fields/);
  });

  it("a hand-edited sidecar that disagrees with the tensor file", async () => {
    const d = await freshDir();
    const file = await savedSmall(d, { epoch: 3 });
    const sidecar = JSON.parse(await readFile(sidecarPath(file), "utf8"));
    sidecar.meta.epoch = 4;
    sidecar.tensors.b.shape = [4];
    await writeFile(sidecarPath(file), JSON.stringify(sidecar));
    const e = await rejectsWith(loadStateFile(file), "checksum", /'meta' differs/, /tensor list differs/);
    assert.equal(e.problems.length, 2);
  });

  it("a sidecar whose keys were merely reordered still loads", async () => {
    const d = await freshDir();
    const file = await savedSmall(d, { a: 1, b: { c: 2, d: 3 } });
    const sidecar = JSON.parse(await readFile(sidecarPath(file), "utf8"));
    sidecar.meta = { b: { d: 3, c: 2 }, a: 1 };
    await writeFile(sidecarPath(file), JSON.stringify(sidecar));
    const loaded = await loadStateFile(file);
    disposeAll(loaded.tensors);
  });
});

describe("expectations on names, shapes and dtypes", () => {
  const spec = (shape: number[], dtype: TensorSpec["dtype"]): TensorSpec => ({ shape, dtype });

  it("lists every missing, unexpected, shape and dtype problem in one message", async () => {
    const d = await freshDir();
    const file = await savedSmall(d);
    const expect = new Map([
      ["a", spec([3, 2], "float32")],
      ["b", spec([3], "float64")],
      ["d", spec([1], "float32")],
      ["e", spec([], "int64")],
    ]);
    const e = await rejectsWith(loadStateFile(file, { expect }), "mismatch", /5 problems/);
    assert.deepEqual(e.problems, [
      "missing tensor 'd' (expected [1] float32)",
      "missing tensor 'e' (expected [] int64)",
      "unexpected tensor 'c' ([] int64) not among the 4 expected",
      "tensor 'a': shape mismatch, expected [3,2], file has [2,3]",
      "tensor 'b': dtype mismatch, expected float64, file has float32",
    ]);
    for (const p of e.problems) assert.ok(e.message.includes(p));
  });

  it("non-strict allows missing and unexpected names but not wrong shapes", async () => {
    const d = await freshDir();
    const file = await savedSmall(d);
    const e = await rejectsWith(loadStateFile(file, { strict: false, expect: new Map([["a", spec([6], "float32")], ["zz", spec([1], "uint8")]]) }), "mismatch");
    assert.deepEqual(e.problems, ["tensor 'a': shape mismatch, expected [6], file has [2,3]"]);
    const ok = await loadStateFile(file, { strict: false, expect: new Map([["b", spec([3], "float32")], ["zz", spec([1], "uint8")]]) });
    assert.equal(ok.tensors.size, 3);
    disposeAll(ok.tensors);
  });

  it("checks the kind of state", async () => {
    const d = await freshDir();
    const file = await savedSmall(d);
    await rejectsWith(loadStateFile(file, { kind: "module" }), "format", /holds tensors state, not module state/);
  });
});

describe("no native leaks when loading", () => {
  it("a successful load returns only the tensors the caller owns", async () => {
    const d = await freshDir();
    const file = await savedSmall(d);
    await expectNoLeakAsync(async () => {
      const before = memory().liveTensors;
      const loaded = await loadStateFile(file);
      assert.equal(memory().liveTensors - before, 3);
      disposeAll(loaded.tensors);
    });
  });

  it("failed loads allocate nothing", async () => {
    const d = await freshDir();
    const file = await savedSmall(d);
    await expectNoLeakAsync(async () => {
      await assert.rejects(loadStateFile(file, { expect: new Map() }), StateFileError);
      await assert.rejects(loadStateFile(file, { kind: "optimizer" }), StateFileError);
      await assert.rejects(loadStateFile(file, { device: "no-such-device" }));
    });
  });
});
