import assert from "node:assert/strict";
import { test } from "node:test";
import { Worker } from "node:worker_threads";
import { NativeError, nativeBinding } from "./binding.js";

test("opLookup() returns one id per operator and fails clearly for unknown ones", () => {
  const b = nativeBinding();
  const a = b.opLookup("aten::add", "Tensor");
  assert.equal(b.opLookup("aten::add", "Tensor"), a);
  assert.match(b.opSchema(a), /^aten::add\.Tensor\(Tensor self, Tensor other/);
  assert.throws(() => b.opLookup("aten::no_such_op", ""), /no operator named aten::no_such_op/);
});

test("call() converts arguments by schema and reports the failing op", () => {
  const b = nativeBinding();
  const sum = b.opLookup("aten::sum", "dim_IntList");
  const x = b.fromBuffer(new Float32Array([1, 2, 3, 4, 5, 6]), [2, 3], 6, "cpu");
  const s = b.call(sum, [x, [1], true]) as Parameters<typeof b.meta>[0];
  assert.deepEqual(b.meta(s)[0], [2, 1]);
  assert.deepEqual([...new Float32Array(b.toBuffer(s))], [6, 15]);
  assert.throws(
    () => b.call(sum, [x, [1.5]]),
    (e: Error & { op?: string }) => /argument 'dim' expects an integer, received 1.5/.test(e.message),
  );
  const view = b.opLookup("aten::view", "");
  assert.throws(
    () => b.call(view, [x, [4]]),
    (e: Error & { op?: string }) => e.op === "aten::view" && /shape '\[4\]' is invalid for input of size 6/.test(e.message),
  );
  b.dispose(x);
  b.dispose(s);
  assert.equal(b.isDisposed(x), true);
  assert.throws(() => b.meta(x), /already disposed/);
});

test("NativeError carries the op name", () => {
  const e = new NativeError("aten::conv3d", "boom");
  assert.equal(e.name, "NativeError");
  assert.equal(e.op, "aten::conv3d");
  assert.ok(e instanceof Error);
});

test("the addon works inside a worker thread with its own grad mode", async () => {
  // Grad mode is thread-local in libtorch: turning it off on the main thread must not affect a worker.
  const b = nativeBinding();
  b.setGradEnabled(false);
  const tensorIndex = new URL("../tensor/index.js", import.meta.url).href;
  const code = `
    const { parentPort } = require("node:worker_threads");
    import(${JSON.stringify(tensorIndex)}).then((T) => {
      const w = T.tensor([1, 2, 3]).setRequiresGrad();
      const loss = w.mul(w).sum();
      loss.backward();
      parentPort.postMessage({ grad: w.grad.toArray(), enabled: T.isGradEnabled() });
    }).catch((e) => parentPort.postMessage({ error: String(e && e.stack || e) }));`;
  try {
    const result = await new Promise<{ grad?: number[]; enabled?: boolean; error?: string }>((resolve, reject) => {
      const worker = new Worker(code, { eval: true });
      worker.once("message", resolve);
      worker.once("error", reject);
    });
    assert.equal(result.error, undefined);
    assert.deepEqual(result.grad, [2, 4, 6]);
    assert.equal(result.enabled, true);
    assert.equal(b.gradEnabled(), false);
  } finally {
    b.setGradEnabled(true);
  }
});
