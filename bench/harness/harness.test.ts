import assert from "node:assert/strict";
import { mkdtempSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import path from "node:path";
import { describe, it } from "node:test";
import { PartStore, backgroundShare, blasFlavour, formatRatio, markdownTable, median } from "./index.js";

describe("bench harness", () => {
  it("median() handles odd, even and empty lists", () => {
    assert.equal(median([3, 1, 2]), 2);
    assert.equal(median([4, 1, 3, 2]), 2.5);
    assert.ok(Number.isNaN(median([])));
  });

  it("markdownTable() writes a header, a rule and one line per row", () => {
    assert.equal(markdownTable(["a", "b"], [["1", "2"]]), "| a | b |\n| --- | --- |\n| 1 | 2 |");
  });

  it("formatRatio() prints n/a for a missing ratio", () => {
    assert.equal(formatRatio(1.23456), "1.235");
    assert.equal(formatRatio(Number.NaN), "n/a");
  });

  it("blasFlavour() names the OpenBLAS flavour from library paths", () => {
    const dir = "/usr/lib/x86_64-linux-gnu";
    assert.equal(blasFlavour([`${dir}/openblas-openmp/libblas.so.3`, `${dir}/openblas-openmp/libopenblasp-r0.3.21.so`]), "openblas-openmp");
    assert.equal(blasFlavour([`${dir}/openblas-openmp/libblas.so.3`, `${dir}/openblas-pthread/libopenblasp-r0.3.21.so`]), "openblas-openmp+openblas-pthread");
    assert.equal(blasFlavour([]), "none");
  });

  it("backgroundShare() subtracts the measured process's own CPU time", () => {
    // 2 CPUs for 1 s = 200 ticks; 150 busy ticks, of which our process used 1 s.
    assert.equal(backgroundShare({ busy: 0, total: 0 }, { busy: 150, total: 200 }, 1), 0.25);
    assert.equal(backgroundShare({ busy: 0, total: 0 }, { busy: 50, total: 200 }, 1), 0);
    assert.ok(Number.isNaN(backgroundShare(null, { busy: 1, total: 1 }, 0)));
  });

  it("PartStore saves, loads, lists and removes parts", () => {
    const dir = mkdtempSync(path.join(tmpdir(), "lw-parts-"));
    try {
      const store = new PartStore<{ n: number }>(path.join(dir, "parts"));
      assert.equal(store.load("a"), undefined);
      store.save("train-64", { n: 1 });
      store.save("infer-64.quick", { n: 2 });
      assert.deepEqual(store.load("train-64"), { n: 1 });
      assert.deepEqual(store.names(), ["infer-64.quick", "train-64"]);
      store.remove("train-64");
      assert.deepEqual(store.names(), ["infer-64.quick"]);
      assert.throws(() => store.save("../x", { n: 0 }), RangeError);
    } finally {
      rmSync(dir, { recursive: true, force: true });
    }
  });
});
