// The options of label-efficient runs on the job API (labelled subset, iterations per epoch,
// seed, a JSON config checked with the experiment config schema), "what to label next" jobs and
// their ranking route, and the command lines the real job factory builds from them.
import assert from "node:assert/strict";
import { mkdir, readFile, writeFile } from "node:fs/promises";
import path from "node:path";
import { after, before, describe, test } from "node:test";
import { createServer, type JobRecord, type LabelwiseServer } from "./index.js";
import { labelwiseCommands, SUGGESTIONS_FILE } from "./jobs/commands.js";
import type { JobContext } from "./jobs/runner.js";
import { DatasetService } from "./dataset-service.js";
import { fakeCommands, makeTestDataset, type TestDataset } from "./_testing/fixtures.js";

let ds: TestDataset;
let server: LabelwiseServer;
let auth: Record<string, string>;

before(async () => {
  ds = await makeTestDataset();
  server = await createServer({ dataset: ds.root, commandFor: fakeCommands({ interval: 20, epochs: 2 }), strategies: ["supervised", "box", "mean-teacher"], jobPollMs: 30 });
  auth = { authorization: `Bearer ${server.token}` };
});

after(async () => {
  await server.close({ killJobs: true });
  await ds.cleanup();
});

const inject = (o: { method?: "GET" | "POST"; url: string; headers?: Record<string, string>; payload?: unknown }) =>
  server.app.inject({ method: o.method ?? "GET", url: o.url, headers: o.headers ?? auth, ...(o.payload !== undefined ? { payload: o.payload as object } : {}) });

/** Starts a job through the API and waits until it has ended. */
async function runJob(spec: Record<string, unknown>): Promise<JobRecord> {
  const r = await inject({ method: "POST", url: "/api/jobs", payload: spec });
  assert.equal(r.statusCode, 200, r.body);
  const id = (r.json() as JobRecord).id;
  await server.jobs.waitFor(id);
  return server.jobs.get(id)!;
}

describe("POST /api/jobs: training options", () => {
  test("labelled count or fraction, iterations per epoch, seed and a valid config are accepted", async () => {
    for (const labelled of [{ count: 1 }, { fraction: 0.5 }]) {
      const job = await runJob({ kind: "train", strategy: "mean-teacher", epochs: 2, labelled, iterationsPerEpoch: 3, seed: 9, config: { network: { baseFilters: 4 } } });
      assert.equal(job.status, "succeeded", job.message);
      assert.deepEqual(job.spec, { kind: "train", strategy: "mean-teacher", epochs: 2, labelled, iterationsPerEpoch: 3, seed: 9, config: { network: { baseFilters: 4 } } });
    }
  });

  test("a config the experiment schema refuses is a 400 listing every issue with its path, and no job starts", async () => {
    const before = server.jobs.list().length;
    const r = await inject({ method: "POST", url: "/api/jobs", payload: { kind: "train", strategy: "box", config: { training: { epohcs: 3 }, optimizer: { kind: "adam", lr: -1 } } } });
    assert.equal(r.statusCode, 400, r.body);
    const body = r.json() as { message: string; problems: string[] };
    assert.match(body.message, /training config is not valid/);
    assert.ok(body.problems.some((p) => /^training: .*epohcs/i.test(p)), JSON.stringify(body.problems));
    assert.ok(body.problems.some((p) => /^optimizer\.lr: /.test(p)), JSON.stringify(body.problems));
    assert.equal(server.jobs.list().length, before);
  });

  test("the form's fields and the config are checked as one config: a fraction above 1 is refused, the form's labelled wins over the config's", async () => {
    // The form's fields land in the config the schema checks: a fraction above 1 is the schema's 400 …
    const r = await inject({ method: "POST", url: "/api/jobs", payload: { kind: "train", strategy: "box", labelled: { fraction: 1.5 } } });
    assert.equal(r.statusCode, 400);
    // … and the config's own split.labelled is overridden by the form's.
    const ok = await inject({ method: "POST", url: "/api/jobs", payload: { kind: "train", strategy: "box", epochs: 1, labelled: { count: 1 }, config: { split: { labelled: { fraction: 7 } } } } });
    assert.equal(ok.statusCode, 200, ok.body);
    await server.jobs.waitFor((ok.json() as JobRecord).id);
  });

  test("a splits file in the config is refused: the page names no paths on the server", async () => {
    const r = await inject({ method: "POST", url: "/api/jobs", payload: { kind: "train", strategy: "box", config: { split: { file: "/etc/passwd" } } } });
    assert.equal(r.statusCode, 400);
    assert.match((r.json() as { message: string }).message, /split\.file cannot be set from the page/);
  });

  for (const [what, payload] of [
    ["labelled with both count and fraction", { kind: "train", strategy: "box", labelled: { count: 1, fraction: 0.5 } }],
    ["a negative labelled count", { kind: "train", strategy: "box", labelled: { count: -1 } }],
    ["a fractional iteration count", { kind: "train", strategy: "box", iterationsPerEpoch: 2.5 }],
    ["zero iterations per epoch", { kind: "train", strategy: "box", iterationsPerEpoch: 0 }],
    ["a seed as a string", { kind: "train", strategy: "box", seed: "7" }],
    ["a negative seed", { kind: "train", strategy: "box", seed: -1 }],
    ["a config that is not an object", { kind: "train", strategy: "box", config: [1, 2] }],
    ["a config as JSON text", { kind: "train", strategy: "box", config: '{"seed": 1}' }],
    ["an unknown property", { kind: "train", strategy: "box", labelledCount: 3 }],
    ["suggest without a model", { kind: "suggest" }],
    ["suggest with a path as the model", { kind: "suggest", model: "../../runs/x" }],
    ["suggest with an extra property", { kind: "suggest", model: "20260101-120000-train-abcdef", dataset: "/tmp" }],
  ] as const) {
    test(`${what} is refused by the schema (400)`, async () => {
      const r = await inject({ method: "POST", url: "/api/jobs", payload });
      assert.equal(r.statusCode, 400, r.body);
    });
  }

  test("without the token the new requests are refused (401)", async () => {
    const r = await inject({ method: "POST", url: "/api/jobs", headers: {}, payload: { kind: "suggest", model: "20260101-120000-train-abcdef" } });
    assert.equal(r.statusCode, 401);
    const g = await inject({ url: "/api/jobs/20260101-120000-suggest-abcdef/suggestions", headers: {} });
    assert.equal(g.statusCode, 401);
  });
});

describe("GET /api/jobs/:id/suggestions", () => {
  const ranking = (ids: readonly string[]) => ({
    format: "labelwise-suggestions",
    version: 1,
    models: [],
    committee: { kind: "tta", members: ["identity", "flip-x"] },
    measure: "js",
    region: "foreground",
    ranking: ids.map((id, i) => ({ rank: i + 1, id, score: 0.3 - i / 10, js: 0.3 - i / 10, kl: null, dice: 0.5, foregroundMl: 1.5, annotation: "unlabelled" })),
    failed: [{ id: "broken", error: "bad scan" }],
  });

  test("a finished suggest job's ranking, read from its own folder", async () => {
    const train = await runJob({ kind: "train", strategy: "box", epochs: 1 });
    const job = await runJob({ kind: "suggest", model: train.id });
    assert.equal(job.kind, "suggest");
    assert.match(job.id, /-suggest-[0-9a-f]{6}$/);
    const missing = await inject({ url: `/api/jobs/${job.id}/suggestions` });
    assert.equal(missing.statusCode, 404, "the fake job wrote no ranking");
    assert.match((missing.json() as { message: string }).message, new RegExp(SUGGESTIONS_FILE));
    await writeFile(path.join(ds.root, ".labelwise", "jobs", job.id, SUGGESTIONS_FILE), JSON.stringify(ranking([ds.ids[2]!, ds.ids[1]!])));
    const r = await inject({ url: `/api/jobs/${job.id}/suggestions` });
    assert.equal(r.statusCode, 200, r.body);
    const body = r.json() as { job: string; model: string; measure: string; committee: string; members: string[]; ranking: { rank: number; id: string; score: number; kl: number | null }[]; failed: unknown[] };
    assert.equal(body.job, job.id);
    assert.equal(body.model, train.id);
    assert.deepEqual([body.measure, body.committee, body.members], ["js", "tta", ["identity", "flip-x"]]);
    assert.deepEqual(body.ranking.map((x) => [x.rank, x.id]), [[1, ds.ids[2]], [2, ds.ids[1]]]);
    assert.equal(body.ranking[1]!.kl, null);
    assert.deepEqual(body.failed, [{ id: "broken", error: "bad scan" }]);

    // A damaged file is a 500 that names it, not a broken page.
    await writeFile(path.join(ds.root, ".labelwise", "jobs", job.id, SUGGESTIONS_FILE), JSON.stringify({ format: "something-else" }));
    const bad = await inject({ url: `/api/jobs/${job.id}/suggestions` });
    assert.equal(bad.statusCode, 500);
  });

  test("only suggest jobs have a ranking; unknown ids are 404, malformed ids and query strings 400", async () => {
    const train = server.jobs.list().find((j) => j.kind === "train")!;
    assert.equal((await inject({ url: `/api/jobs/${train.id}/suggestions` })).statusCode, 404);
    assert.equal((await inject({ url: "/api/jobs/20260101-120000-suggest-abcdef/suggestions" })).statusCode, 404);
    assert.equal((await inject({ url: "/api/jobs/..%2F..%2Fetc/suggestions" })).statusCode, 400);
    const s = server.jobs.list().find((j) => j.kind === "suggest")!;
    assert.equal((await inject({ url: `/api/jobs/${s.id}/suggestions?file=x` })).statusCode, 400);
  });

  test("a running suggest job has no ranking yet (409)", async () => {
    const train = server.jobs.list().find((j) => j.kind === "train")!;
    const slow = await createServer({ dataset: ds.root, commandFor: fakeCommands({ interval: 200, epochs: 50 }), jobPollMs: 30 });
    try {
      const r = await slow.app.inject({ method: "POST", url: "/api/jobs", headers: { authorization: `Bearer ${slow.token}` }, payload: { kind: "suggest", model: train.id } });
      assert.equal(r.statusCode, 200, r.body);
      const id = (r.json() as JobRecord).id;
      const g = await slow.app.inject({ url: `/api/jobs/${id}/suggestions`, headers: { authorization: `Bearer ${slow.token}` } });
      assert.equal(g.statusCode, 409);
      assert.match((g.json() as { message: string }).message, /is running/);
      await slow.jobs.cancel(id, true);
      await slow.jobs.waitFor(id);
    } finally {
      await slow.close({ killJobs: true });
    }
  });
});

describe("labelwiseCommands(): the real command lines", () => {
  const finished = (over: Partial<JobRecord>): JobRecord =>
    ({ format: "labelwise-job", version: 1, id: "x", kind: "train", spec: { kind: "train", strategy: "box" }, status: "succeeded", createdAt: "", endedAt: "", pid: null, argv: [], outputDir: "/o", runDir: null, exitCode: 0, signal: null, cancelRequested: false, progress: 1, lastLoss: null, message: "", ...over }) as JobRecord;

  test("a training writes the validated config into the job folder and passes it with --config", async () => {
    const service = await DatasetService.open(ds.root);
    const jobDir = path.join(ds.root, ".labelwise", "jobs", "20260101-120000-train-000001");
    const ctx: JobContext = { id: "20260101-120000-train-000001", jobDir, job: () => undefined };
    const cmd = await labelwiseCommands({ service, bin: "/bin/labelwise.js" })(
      { kind: "train", strategy: "box", epochs: 2, iterationsPerEpoch: 5, seed: 3, labelled: { fraction: 0.25 }, config: { network: { baseFilters: 4 }, strategy: { kind: "supervised" } } },
      ctx,
    );
    const i = cmd.args.indexOf("--config");
    assert.ok(i > 0, cmd.args.join(" "));
    assert.equal(cmd.args[i + 1], path.join(jobDir, "config.json"));
    const written = JSON.parse(await readFile(path.join(jobDir, "config.json"), "utf8"));
    assert.deepEqual(written, {
      network: { baseFilters: 4 },
      strategy: { kind: "box" },
      seed: 3,
      training: { epochs: 2, iterationsPerEpoch: 5 },
      split: { labelled: { fraction: 0.25 } },
    });
  });

  test("resuming reuses the earlier job's settings (only the length may change)", async () => {
    const service = await DatasetService.open(ds.root);
    const jobDir = path.join(ds.root, ".labelwise", "jobs", "20260101-120000-train-000002");
    const prev = finished({ id: "20260101-110000-train-000001", spec: { kind: "train", strategy: "box", seed: 5, labelled: { count: 1 } }, outputDir: "/runs/prev", runDir: "/runs/prev/run" });
    const cmd = await labelwiseCommands({ service, bin: "/bin/labelwise.js" })({ kind: "train", strategy: "box", epochs: 9, resume: prev.id }, { id: "20260101-120000-train-000002", jobDir, job: (id) => (id === prev.id ? prev : undefined) });
    assert.ok(cmd.args.includes("--resume"));
    assert.equal(cmd.args[cmd.args.indexOf("--out") + 1], "/runs/prev");
    const written = JSON.parse(await readFile(path.join(jobDir, "config.json"), "utf8"));
    assert.equal(written.seed, 5);
    assert.deepEqual(written.split, { labelled: { count: 1 } });
    assert.equal(written.training.epochs, 9);
  });

  test("a suggest job ranks the dataset with the model's run folder into its own folder; it needs a finished training", async () => {
    const service = await DatasetService.open(ds.root);
    const runDir = path.join(ds.root, ".labelwise", "runs", "r1");
    await mkdir(runDir, { recursive: true });
    const model = finished({ id: "20260101-110000-train-000003", runDir });
    const jobDir = "/jobs/20260101-120000-suggest-000001";
    const make = labelwiseCommands({ service, bin: "/bin/labelwise.js" });
    const cmd = await make({ kind: "suggest", model: model.id }, { id: "20260101-120000-suggest-000001", jobDir, job: (id) => (id === model.id ? model : undefined) });
    assert.deepEqual(cmd.args, ["/bin/labelwise.js", "suggest", "-m", runDir, "-d", service.root, "-o", path.join(jobDir, SUGGESTIONS_FILE)]);
    await assert.rejects(async () => make({ kind: "suggest", model: "20260101-000000-train-ffffff" }, { id: "s", jobDir, job: () => undefined }), /no training job 20260101-000000-train-ffffff/);
    const running = finished({ id: model.id, status: "running", runDir });
    await assert.rejects(async () => make({ kind: "suggest", model: model.id }, { id: "s", jobDir, job: () => running }), /still running/);
    const noRun = finished({ id: model.id, runDir: null });
    await assert.rejects(async () => make({ kind: "suggest", model: model.id }, { id: "s", jobDir, job: () => noRun }), /left no run folder/);
  });
});

describe("progress on stderr", () => {
  test("JSON progress lines on stderr (labelwise suggest's) move the job's progress; plain text stays a log line", async () => {
    const script = [
      "console.error('plain text 3/4');",
      "console.error(JSON.stringify({ type: 'start', id: 'a', index: 0, total: 4 }));",
      "console.error(JSON.stringify({ type: 'done', id: 'a', index: 0, total: 4, seconds: 0.1 }));",
      "setTimeout(() => {}, 1500);",
    ].join("\n");
    const s = await createServer({ dataset: ds.root, commandFor: () => ({ command: process.execPath, args: ["-e", script], outputDir: null }), jobPollMs: 30 });
    try {
      const job = await s.jobs.start({ kind: "suggest", model: "20260101-120000-train-abcdef" });
      // While it runs (a finished job is at 100%).
      const t0 = Date.now();
      while (s.jobs.get(job.id)!.progress === null && Date.now() - t0 < 10_000) await new Promise((r) => setTimeout(r, 20));
      const running = s.jobs.get(job.id)!;
      assert.equal(running.status, "running");
      assert.equal(running.progress, 0.25, "one of four cases scored");
      assert.match(running.message, /done · a/);
      await s.jobs.waitFor(job.id);
      assert.equal(s.jobs.get(job.id)!.status, "succeeded");
      assert.ok(s.jobs.history(job.id)!.logs.some((l) => l.stream === "stderr" && l.text === "plain text 3/4"));
    } finally {
      await s.close({ killJobs: true });
    }
  });
});
