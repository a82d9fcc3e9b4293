import assert from "node:assert/strict";
import { describe, it } from "node:test";
import { assertJsonObject } from "./json.js";

describe("assertJsonObject", () => {
  it("accepts nested plain JSON, including null-prototype objects", () => {
    assertJsonObject({ a: [1, "x", null, true, { b: [] }], c: -0.5 }, "meta");
    assertJsonObject(Object.assign(Object.create(null) as object, { a: 1 }), "meta");
  });

  it("names the first value JSON would change", () => {
    const cases: [unknown, RegExp][] = [
      [null, /meta must be a plain JSON object. Received: null/],
      [new Map(), /Received: a Map/],
      [{ x: { y: [0, Number.NEGATIVE_INFINITY] } }, /meta\.x\.y\[1\] is -Infinity/],
      [{ f: () => 1 }, /meta\.f is function/],
      [{ s: Symbol("s") }, /meta\.s is symbol/],
      [{ u: new Uint8Array(2) }, /meta\.u is a Uint8Array/],
      // eslint-disable-next-line no-sparse-arrays
      [{ holes: [1, , 3] }, /meta\.holes\[1\] is undefined/],
    ];
    for (const [v, re] of cases) assert.throws(() => assertJsonObject(v, "meta"), (e: unknown) => e instanceof TypeError && re.test(e.message));
  });

  it("allows shared (non-cyclic) references but not cycles", () => {
    const shared = { k: 1 };
    assertJsonObject({ a: shared, b: shared }, "meta");
    const cyc: { a: unknown[] } = { a: [] };
    cyc.a.push(cyc);
    assert.throws(() => assertJsonObject(cyc, "meta"), /meta\.a\[0\] refers back to itself/);
  });
});
