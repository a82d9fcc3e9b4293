// Every row of every accuracy suite, both profiles, has a config this build accepts (strategy kinds
// registered, no misspelt key): a typo would otherwise surface only when that row's turn comes,
// possibly hours into a run.
import assert from "node:assert/strict";
import { describe, it } from "node:test";
import { hippocampusRows } from "../hippocampus/suite.js";
import { semiRows } from "../semi/suite.js";
import { weakRows } from "../weak/suite.js";
import { partName, resolveRowConfig } from "./run-row.js";

describe("accuracy suite configs", () => {
  for (const [suite, rows] of [["hippocampus", hippocampusRows], ["semi", semiRows], ["weak", weakRows]] as const) {
    for (const profile of ["full", "quick"] as const) {
      it(`${suite} (${profile}): every row's config validates and names are unique`, () => {
        const list = rows(profile, "/repo");
        assert.ok(list.length > 0);
        assert.equal(new Set(list.map((r) => partName(r.name, profile))).size, list.length);
        for (const r of list) {
          const cfg = resolveRowConfig(r, undefined);
          assert.equal(cfg.training.threads, 2, `${r.name}: 2 threads`);
          assert.equal(cfg.split.fold, 0, `${r.name}: fold 0`);
        }
      });
    }
  }

  it("rows of one dataset share the validation split options (folds, seed)", () => {
    for (const rows of [semiRows("full", "/repo"), weakRows("full", "/repo")]) {
      const byData = new Map<string, string>();
      for (const r of rows) {
        const cfg = resolveRowConfig(r, undefined);
        const key = String(r.meta.dataset);
        const split = `${cfg.split.folds}/${cfg.split.seed}`;
        assert.equal(byData.get(key) ?? split, split, `${r.name}: same folds and seed as the other ${key} rows`);
        byData.set(key, split);
      }
    }
  });
});
