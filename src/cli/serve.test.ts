import assert from "node:assert/strict";
import { spawn, spawnSync } from "node:child_process";
import { fileURLToPath } from "node:url";
import { describe, test } from "node:test";
import { STRATEGIES, strategyKinds } from "../experiment/index.js";
import { makeTestDataset } from "../server/_testing/fixtures.js";

const bin = fileURLToPath(new URL("../../../bin/labelwise.js", import.meta.url));
const cli = (...args: string[]) => spawnSync(process.execPath, [bin, ...args], { encoding: "utf8", timeout: 30_000 });

describe("labelwise serve", () => {
  test("refuses a bad port, a bad host or a missing dataset before listening", () => {
    const port = cli("serve", "--dataset", "/nonexistent", "--port", "70000");
    assert.notEqual(port.status, 0);
    assert.match(port.stderr, /--port must be an integer/);
    const host = cli("serve", "--dataset", "/nonexistent", "--host", "a b");
    assert.notEqual(host.status, 0);
    assert.match(host.stderr, /--host must be/);
    const missing = cli("serve", "--dataset", "/nonexistent/dataset", "--port", "0");
    assert.equal(missing.status, 1);
    assert.match(missing.stderr, /dataset\.json/);
  });

  test("binds 127.0.0.1 by default, prints a URL with a token, answers only with it, and stops on SIGINT", async () => {
    const ds = await makeTestDataset();
    try {
      const child = spawn(process.execPath, [bin, "serve", "--dataset", ds.root, "--port", "0"], { stdio: ["ignore", "pipe", "pipe"] });
      let out = "";
      const url = await new Promise<string>((resolve, reject) => {
        const timer = setTimeout(() => reject(new Error(`no URL printed: ${out}`)), 20_000);
        child.stdout.on("data", (d: Buffer) => {
          out += d.toString();
          const m = /Open (http:\/\/\S+)/.exec(out);
          if (m) {
            clearTimeout(timer);
            resolve(m[1]!);
          }
        });
        child.on("exit", () => reject(new Error(`exited early: ${out}`)));
      });
      assert.match(url, /^http:\/\/127\.0\.0\.1:\d+\/\?token=[A-Za-z0-9_-]{43}$/);
      const base = url.replace(/\/\?token=.*$/, "");
      const token = url.replace(/^.*token=/, "");
      assert.equal((await fetch(`${base}/api/cases`)).status, 401);
      const ok = await fetch(`${base}/api/cases`, { headers: { authorization: `Bearer ${token}` } });
      assert.equal(ok.status, 200);
      assert.equal(((await ok.json()) as { cases: unknown[] }).cases.length, 4);
      // The training form offers exactly the strategies the registry knows (none hard-coded in the page).
      const info = (await (await fetch(`${base}/api/dataset`, { headers: { authorization: `Bearer ${token}` } })).json()) as { strategies: string[]; strategySummaries: Record<string, string>; strategyLearnsFrom: Record<string, string[]> };
      assert.deepEqual(info.strategies, strategyKinds());
      assert.deepEqual(info.strategySummaries, Object.fromEntries(strategyKinds().map((k) => [k, STRATEGIES[k].summary])));
      assert.deepEqual(info.strategyLearnsFrom, Object.fromEntries(strategyKinds().map((k) => [k, STRATEGIES[k].learnsFrom])));
      assert.deepEqual(info.strategyLearnsFrom["mean-teacher"], ["labelled", "unlabelled"]);
      const exited = new Promise<number | null>((resolve) => child.on("exit", (code) => resolve(code)));
      child.kill("SIGINT");
      assert.equal(await exited, 0);
    } finally {
      await ds.cleanup();
    }
  });
});
