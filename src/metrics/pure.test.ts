import assert from "node:assert/strict";
import { spawnSync } from "node:child_process";
import { test } from "node:test";

/** ESM resolve hook that fails on any Node built-in. */
const HOOKS = `
export async function resolve(spec, ctx, next) {
  if (spec.startsWith("node:") || /^(fs|path|os|child_process|zlib|stream|crypto|url|util|worker_threads|buffer|events)(\\/|$)/.test(spec)) {
    throw new Error("Node built-in " + spec + " imported by " + ctx.parentURL);
  }
  return next(spec, ctx);
}`;

test("the metrics layer loads and runs without any Node built-in (browser-safe)", () => {
  const entry = new URL("./index.js", import.meta.url).href;
  const script = `
import { register } from "node:module";
register("data:text/javascript," + encodeURIComponent(${JSON.stringify(HOOKS)}));
const m = await import(${JSON.stringify(entry)});
const d = new Uint8Array(27); d[13] = 1;
const [r] = m.evaluateSegmentation({ data: d, shape: [3, 3, 3] }, { data: d, shape: [3, 3, 3] });
m.largestComponent({ data: d, shape: [3, 3, 3] });
console.log(r.dice);`;
  const r = spawnSync(process.execPath, ["--input-type=module", "-e", script], { encoding: "utf8" });
  assert.equal(r.status, 0, r.stderr);
  assert.equal(r.stdout.trim(), "1");
});
