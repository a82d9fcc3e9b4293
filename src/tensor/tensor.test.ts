// The Tensor core: data round trips for every dtype, raw/safetensors conversions, chainable
// methods, and the errors callers see for bad shapes and bad arguments.
import assert from "node:assert/strict";
import { describe, test } from "node:test";
import {
  type AnyTypedArray,
  type DType,
  type Tensor,
  Generator,
  NativeError,
  SafetensorsError,
  ShapeError,
  add,
  avgPool3d,
  callOp,
  conv3d,
  convTranspose3d,
  decodeSafetensors,
  encodeSafetensors,
  fromRawTensor,
  interpolate,
  maxPool3d,
  maxWithIndices,
  memory,
  mul,
  neighbours,
  ones,
  rand,
  relu,
  reshape,
  softmax,
  sum,
  tensor,
  tidy,
  toDType,
  toRawTensor,
  zeros,
} from "./index.js";

function dataOf(t: Tensor): unknown[] {
  return Array.from(t.dataSync() as ArrayLike<unknown>);
}

const SAMPLES: readonly [DType, AnyTypedArray][] = [
  ["float32", new Float32Array([1.5, -2, 3.25, 0, 1e-30, -3.4e38])],
  ["float64", new Float64Array([Math.PI, -1e300, 5e-324, 0, 1 / 3, -0.5])],
  ["int64", new BigInt64Array([2n ** 62n + 1n, -(2n ** 63n), 0n, 7n, -1n, 2n ** 63n - 1n])],
  ["int32", new Int32Array([2 ** 31 - 1, -(2 ** 31), 0, 5, -1, 42])],
  ["int16", new Int16Array([32767, -32768, 0, 1, -1, 300])],
  ["int8", new Int8Array([127, -128, 0, -1, 1, 64])],
  ["uint8", new Uint8Array([255, 0, 128, 1, 2, 3])],
  ["bool", new Uint8Array([1, 0, 1, 1, 0, 0])],
  // float16 travels as raw bits: 1, -2, 65504 (max), 2^-24 (smallest subnormal), +inf, -0.
  ["float16", new Uint16Array([0x3c00, 0xc000, 0x7bff, 0x0001, 0x7c00, 0x8000])],
];

describe("tensor() and dataSync()", () => {
  for (const [dtype, data] of SAMPLES) {
    test(`tensor() and dataSync() round-trip ${dtype} data bit for bit`, () => {
      tidy(() => {
        const t = tensor(data, [2, 3], { dtype });
        assert.equal(t.dtype, dtype);
        assert.deepEqual([...t.shape], [2, 3]);
        assert.equal(t.rank, 2);
        assert.equal(t.size, 6);
        const back = t.dataSync();
        assert.equal(back.constructor, data.constructor, "typed array class");
        assert.deepEqual(Array.from(back as ArrayLike<unknown>), Array.from(data as ArrayLike<unknown>));
        // The copy is independent of the source array.
        assert.notEqual(back.buffer, data.buffer);
      });
    });
  }

  test("tensor() infers float32 from numbers, bool from booleans and the dtype of typed arrays", () => {
    tidy(() => {
      assert.equal(tensor([1, 2]).dtype, "float32");
      assert.equal(tensor([true, false]).dtype, "bool");
      assert.equal(tensor(new Int32Array(2)).dtype, "int32");
      assert.equal(tensor(new BigInt64Array(2)).dtype, "int64");
      assert.equal(tensor(new Uint16Array(2)).dtype, "float16");
      assert.equal(tensor(new Uint8Array(2)).dtype, "uint8");
    });
  });

  test("tensor() converts plain numbers to integer dtypes (int64 as BigInt64Array)", () => {
    tidy(() => {
      const i = tensor([3, -4, 2 ** 40], [3], { dtype: "int64" });
      assert.deepEqual(dataOf(i), [3n, -4n, 2n ** 40n]);
      assert.deepEqual(i.toArray(), [3, -4, 2 ** 40]);
      assert.deepEqual(dataOf(tensor([1.9, -1.9], [2], { dtype: "int32" })), [1, -1], "truncates toward zero like a C cast");
      assert.deepEqual(dataOf(tensor(new Float64Array([2.5, 3]), [2], { dtype: "float32" })), [2.5, 3]);
    });
  });

  test("tensor() stores bools as bytes 0 and 1 whatever non-zero value it is given", () => {
    tidy(() => {
      const fromNumbers = tensor([2, 0, -1, 0.5, Number.NaN], undefined, { dtype: "bool" });
      assert.deepEqual(dataOf(fromNumbers), [1, 0, 1, 1, 1]);
      const fromBytes = tensor(new Uint8Array([0, 7, 255, 1]), undefined, { dtype: "bool" });
      assert.deepEqual(dataOf(fromBytes), [0, 1, 1, 1]);
      const fromFloats = tensor(new Float32Array([0.25, 0, -3]), undefined, { dtype: "bool" });
      assert.deepEqual(dataOf(fromFloats), [1, 0, 1]);
      // Bytes other than 0/1 would make `mask == true` false in libtorch.
      assert.deepEqual(dataOf(callOp("aten::eq.Scalar", [fromBytes, true]) as Tensor), [0, 1, 1, 1]);
    });
  });

  test("float16 tensors hold IEEE half bits and convert to float32 values", () => {
    tidy(() => {
      const h = tensor(new Uint16Array([0x3c00, 0xc000, 0x7bff, 0x0001, 0x3555]), undefined, { dtype: "float16" });
      const f = toDType(h, "float32").toArray();
      assert.deepEqual(f.slice(0, 4), [1, -2, 65504, 2 ** -24]);
      assert.ok(Math.abs((f[4] as number) - 1 / 3) < 1e-3);
      const bits = toDType(tensor([1, -2, 0.5]), "float16").dataSync();
      assert.ok(bits instanceof Uint16Array);
      assert.deepEqual(Array.from(bits), [0x3c00, 0xc000, 0x3800]);
      assert.throws(() => tensor([1, 2], undefined, { dtype: "float16" }), /float16/);
    });
  });

  test("tensor() makes 0-d tensors from numbers and empty tensors from empty arrays", () => {
    tidy(() => {
      const s = tensor(3.5);
      assert.deepEqual([...s.shape], []);
      assert.equal(s.rank, 0);
      assert.equal(s.item(), 3.5);
      const e = tensor([]);
      assert.deepEqual([...e.shape], [0]);
      assert.equal(e.dataSync().length, 0);
      assert.deepEqual([...zeros([2, 0, 3]).shape], [2, 0, 3]);
    });
  });

  test("tensor() rejects data that does not fill the shape and invalid shapes", () => {
    assert.throws(() => tensor([1, 2, 3], [2, 2]), (e: unknown) => e instanceof RangeError && /needs 4 elements. Received: 3/.test(e.message));
    assert.throws(() => tensor([1, 2], [-1, -2]), /non-negative integers/);
    assert.throws(() => zeros([2.5]), /non-negative integers/);
  });

  test("item() needs a one-element tensor", () => {
    tidy(() => {
      assert.equal(tensor([7], [1, 1]).item(), 7);
      assert.equal(tensor(new BigInt64Array([9n])).item(), 9);
      assert.throws(() => tensor([1, 2]).item(), /one-element tensor. Received: shape=\[2\]/);
    });
  });

  test("toString() describes shape, dtype and device", () => {
    tidy(() => assert.equal(String(zeros([2, 3], { dtype: "int32" })), "Tensor(shape=[2, 3], dtype=int32, device=cpu)"));
  });
});

describe("raw tensors and safetensors", () => {
  test("toRawTensor() and fromRawTensor() round-trip every dtype through safetensors", () => {
    tidy(() => {
      const raws = new Map(SAMPLES.map(([dtype, data]) => [`t.${dtype}`, toRawTensor(tensor(data, [3, 2], { dtype }))]));
      const bytes = encodeSafetensors(raws, { purpose: "test" });
      const { tensors, metadata } = decodeSafetensors(bytes);
      assert.deepEqual(metadata, { purpose: "test" });
      for (const [dtype, data] of SAMPLES) {
        const r = tensors.get(`t.${dtype}`);
        assert.ok(r);
        assert.equal(r.dtype, dtype);
        assert.deepEqual(r.shape, [3, 2]);
        const t = fromRawTensor(r);
        assert.equal(t.dtype, dtype);
        assert.deepEqual(dataOf(t), Array.from(data as ArrayLike<unknown>));
      }
    });
  });

  test("decodeSafetensors() rejects truncated data with a SafetensorsError", () => {
    const raw = tidy(() => toRawTensor(ones([4])));
    const bytes = encodeSafetensors(new Map([["w", raw]]));
    assert.throws(() => decodeSafetensors(bytes.subarray(0, bytes.length - 4)), (e: unknown) => e instanceof SafetensorsError && /truncated/.test(e.message));
    assert.throws(() => decodeSafetensors(bytes.subarray(0, 5)), SafetensorsError);
  });
});

describe("errors", () => {
  test("conv3d() with a channel mismatch throws a NativeError naming aten::conv3d and the received shapes", () => {
    tidy(() => {
      const x = zeros([1, 3, 4, 4, 4]);
      const w = zeros([2, 2, 3, 3, 3]);
      assert.throws(
        () => conv3d(x, w),
        (e: unknown) => {
          assert.ok(e instanceof NativeError, "a NativeError");
          assert.equal(e.name, "NativeError");
          assert.equal(e.op, "aten::conv3d");
          assert.match(e.message, /aten::conv3d/);
          assert.match(e.message, /\[1,3,4,4,4\] float32/, "the received input shape");
          assert.match(e.message, /\[2,2,3,3,3\] float32/, "the received weight shape");
          assert.match(e.message, /expected input\[1, 3, 4, 4, 4\] to have 2 channels, but got 3 channels/);
          return true;
        },
      );
    });
  });

  test("conv3d() on a rank-4 input throws a ShapeError before reaching libtorch", () => {
    tidy(() => {
      const w = zeros([2, 3, 3, 3, 3]);
      assert.throws(
        () => conv3d(zeros([1, 3, 4, 4]), w),
        (e: unknown) => {
          assert.ok(e instanceof ShapeError);
          assert.ok(e instanceof RangeError, "ShapeError is a RangeError");
          assert.equal(e.name, "ShapeError");
          assert.equal(e.op, "conv3d");
          assert.deepEqual(e.received, [1, 3, 4, 4]);
          assert.equal(e.message, "Cannot run conv3d: input must be rank 5 (N, C, D, H, W). Received: shape=[1,3,4,4]");
          return true;
        },
      );
    });
  });

  test("the other 3-D ops reject rank-4 inputs with a ShapeError naming the op", () => {
    tidy(() => {
      const x = zeros([2, 4, 4, 4]);
      const cases: [string, () => unknown][] = [
        ["convTranspose3d", () => convTranspose3d(x, zeros([2, 2, 2, 2, 2]))],
        ["maxPool3d", () => maxPool3d(x, 2)],
        ["avgPool3d", () => avgPool3d(x, 2)],
        ["interpolate", () => interpolate(x, { scaleFactor: 2 })],
        ["neighbours", () => neighbours(x)],
      ];
      for (const [op, run] of cases) {
        assert.throws(run, (e: unknown) => e instanceof ShapeError && e.op === op && e.message.includes("shape=[2,4,4,4]"), op);
      }
    });
  });

  test("a fractional number for an int argument gives a clear error naming the argument", () => {
    tidy(() => {
      const x = zeros([2, 3]);
      assert.throws(
        () => reshape(x, [2.5, 3]),
        (e: unknown) => {
          assert.ok(e instanceof NativeError);
          assert.ok(e.cause instanceof TypeError, "the native cause is a TypeError");
          assert.match(e.message, /Cannot run aten::reshape: argument 'shape' expects an integer, received 2\.5/);
          assert.match(e.message, /Received: \(\[2,3\] float32; \[2\.5, 3\]\)/);
          return true;
        },
      );
      assert.throws(() => softmax(x, 0.5), /argument 'dim' expects an integer, received 0\.5/);
      assert.throws(() => callOp("aten::reshape", [x, [2n ** 70n]]), /argument 'shape' expects an integer in the int64 range/);
    });
  });

  test("wrong argument kinds give clear errors instead of crashes", () => {
    tidy(() => {
      const x = zeros([1, 1, 2, 2, 2]);
      assert.throws(() => maxPool3d(x, 2, { ceilMode: 1 as unknown as boolean }), /argument 'ceil_mode' expects a boolean, received 1/);
      assert.throws(() => add(x, "2" as unknown as number), /other: expected a tensor handle/);
      assert.throws(() => callOp("aten::gelu", [x, 3]), /argument 'approximate' expects a string, received 3/);
      // A tensor where a generator is expected and the reverse are told apart (type-tagged handles).
      assert.throws(() => rand([2], { generator: x as unknown as Generator }), /generator: expected a generator handle/);
      assert.throws(() => callOp("aten::neg", [new Generator(1)]), /self: expected a tensor handle/);
      assert.throws(() => callOp("aten::add.Tensor", [x]), /missing argument 'other'/);
      assert.throws(() => callOp("aten::neg", [x, x]), /too many arguments: 2 given, schema takes 1/);
      assert.throws(() => callOp("aten::no_such_op", []), (e: unknown) => e instanceof NativeError && /Cannot find operator aten::no_such_op/.test(e.message));
    });
  });

  test("a disposed tensor passed to an op is reported as disposed", () => {
    const t = ones([2]);
    t.dispose();
    assert.throws(() => relu(t), /Cannot use a disposed tensor/);
  });

  test("autograd failures are NativeErrors too", () => {
    tidy(() => {
      assert.throws(
        () => ones([1]).backward(),
        (e: unknown) => e instanceof NativeError && e.op === "backward" && /does not require grad/.test(e.message),
      );
    });
  });
});

describe("chainable methods", () => {
  test("Tensor methods delegate to the op functions of the same name", () => {
    const before = memory().liveTensors;
    tidy(() => {
      const x = tensor([-1, 2, -3, 4, 5, -6], [2, 3]);
      assert.deepEqual(x.add(1).relu().toArray(), relu(add(x, 1)).toArray());
      assert.deepEqual(x.mul(x).sum().toArray(), sum(mul(x, x)).toArray());
      assert.deepEqual(x.max(1).toArray(), maxWithIndices(x, 1)[0].toArray());
      assert.deepEqual(x.reshape([3, 2]).transpose(0, 1).contiguous().shape, [2, 3]);
      assert.deepEqual(x.abs().clamp(2, 4).toArray(), [2, 2, 3, 4, 4, 4]);
      assert.deepEqual(x.gt(0).to("float64").mean(1).toArray(), [1 / 3, 2 / 3]);
      assert.equal(x.softmax(1).sum(1).sub(1).abs().max().item() < 1e-6, true);
      assert.deepEqual(x.slice(1, 1, null, 1).unsqueeze(0).shape, [1, 2, 2]);
      assert.deepEqual(x.normalize(2, 1).square().sum(1).toArray().map((v) => Math.round(v * 1e5) / 1e5), [1, 1]);
    });
    assert.equal(memory().liveTensors, before);
  });
});
