import assert from "node:assert/strict";
import { readFile, access } from "node:fs/promises";
import http from "node:http";
import path from "node:path";
import { after, before, describe, test } from "node:test";
import { createServer, parseJobLine, type JobRecord, type LabelwiseServer } from "./index.js";
import { fakeCommands, makeTestDataset, type TestDataset } from "./_testing/fixtures.js";

interface SseEvent {
  readonly event: string;
  readonly data: unknown;
}

/** Reads an event stream until `until` says so, the stream ends, or the timeout. */
function readEvents(url: string, token: string, until: (events: SseEvent[]) => boolean, timeoutMs = 15_000): Promise<{ events: SseEvent[]; status: number; type: string }> {
  return new Promise((resolve, reject) => {
    const events: SseEvent[] = [];
    const req = http.get(url, { headers: { authorization: `Bearer ${token}` } }, (res) => {
      let buf = "";
      const done = () => {
        clearTimeout(timer);
        req.destroy();
        resolve({ events, status: res.statusCode ?? 0, type: String(res.headers["content-type"]) });
      };
      res.setEncoding("utf8");
      res.on("data", (chunk: string) => {
        buf += chunk;
        let sep: number;
        while ((sep = buf.indexOf("\n\n")) >= 0) {
          const block = buf.slice(0, sep);
          buf = buf.slice(sep + 2);
          const ev = /^event: (.*)$/m.exec(block)?.[1];
          const data = /^data: (.*)$/m.exec(block)?.[1];
          if (ev !== undefined && data !== undefined) events.push({ event: ev, data: JSON.parse(data) });
        }
        if (until(events)) done();
      });
      res.on("end", done);
    });
    const timer = setTimeout(() => {
      req.destroy();
      reject(new Error(`event stream timed out; got ${events.map((e) => e.event).join(",")}`));
    }, timeoutMs);
    req.on("error", (e) => {
      clearTimeout(timer);
      reject(e);
    });
  });
}

const STRATEGIES = ["supervised", "mean-teacher", "cps", "box"];
const exists = (p: string) => access(p).then(() => true, () => false);

describe("parseJobLine()", () => {
  test("follows labelwise train's events: totals from the start event, loss per iteration, run folder", () => {
    const ctx = {};
    const start = parseJobLine('{"event":"start","runDir":"/r/x/fold_0","iteration":0,"totalIterations":20,"iterationsPerEpoch":10,"epochs":2,"resumed":false,"seed":1}', ctx);
    assert.equal(start.loss, null);
    const it = parseJobLine('{"event":"iteration","iteration":4,"epoch":0,"loss":0.8,"lr":0.01,"logs":{},"seconds":0.1,"dataWaitSeconds":0}', ctx);
    assert.equal(it.progress, 0.25);
    assert.equal(it.loss, 0.8);
    assert.equal(it.x, 4);
    const v = parseJobLine('{"event":"validation","epoch":0,"iteration":9,"cases":2,"dice":{"a":0.5},"meanDice":0.5,"best":true,"seconds":1}', ctx);
    assert.match(v.message, /mean Dice 0\.500/);
    assert.equal(parseJobLine('{"event":"end","iteration":19,"seconds":3,"best":null}', ctx).progress, 1);
  });

  test("reads progress and loss from training and prediction events", () => {
    const t = parseJobLine('{"type":"epoch","epoch":3,"epochs":10,"loss":0.25}');
    assert.equal(t.progress, 0.3);
    assert.equal(t.loss, 0.25);
    assert.equal(t.x, 3);
    assert.match(t.message, /epoch 3\/10/);
    const p = parseJobLine('{"type":"done","id":"case_1","index":1,"total":4}');
    assert.equal(p.progress, 0.5);
    const s = parseJobLine("not json {");
    assert.equal(s.json, false);
    assert.equal(s.progress, null);
  });
});

describe("jobs", () => {
  let ds: TestDataset;
  let server: LabelwiseServer;
  let base: string;

  before(async () => {
    ds = await makeTestDataset();
    server = await createServer({ dataset: ds.root, commandFor: fakeCommands({ interval: 40 }), jobPollMs: 50, heartbeatMs: 200, strategies: STRATEGIES });
    base = (await server.listen(0, "127.0.0.1")).replace(/\/\?token=.*$/, "");
  });

  after(async () => {
    await server.close({ killJobs: true });
    await ds.cleanup();
  });

  const api = async (method: string, p: string, body?: unknown) => {
    const r = await fetch(`${base}${p}`, {
      method,
      headers: { authorization: `Bearer ${server.token}`, ...(body !== undefined ? { "content-type": "application/json" } : {}) },
      ...(body !== undefined ? { body: JSON.stringify(body) } : {}),
    });
    return { status: r.status, body: (await r.json()) as Record<string, unknown> };
  };

  test("a training job runs as its own process and streams progress and loss over SSE", async () => {
    const start = await api("POST", "/api/jobs", { kind: "train", strategy: "supervised", epochs: 6 });
    assert.equal(start.status, 200, JSON.stringify(start.body));
    const job = start.body as unknown as JobRecord;
    assert.equal(job.status, "running");
    assert.ok(job.pid && job.pid !== process.pid);
    const { events, type } = await readEvents(`${base}/api/jobs/${job.id}/events`, server.token, (es) => es.some((e) => e.event === "end"));
    assert.match(type, /text\/event-stream/);
    assert.equal(events[0]!.event, "state");
    assert.equal(events[1]!.event, "history");
    const progress = events.filter((e) => e.event === "progress").map((e) => e.data as { loss: number | null; progress: number | null });
    const history = events[1]!.data as { loss: [number, number][] };
    const losses = [...history.loss.map((p) => p[1]), ...progress.map((p) => p.loss).filter((l): l is number => l !== null)];
    assert.equal(losses.length, 6, "one loss per epoch, from history + live events");
    assert.ok(losses[5]! < losses[0]!);
    const final = events.filter((e) => e.event === "state").at(-1)!.data as JobRecord;
    assert.equal(final.status, "succeeded");
    assert.equal(final.progress, 1);
    assert.ok(events.some((e) => e.event === "log" && /fake-job: starting|plain text line/.test(JSON.stringify(e.data))) || history.loss.length > 0);
    const stored = JSON.parse(await readFile(path.join(ds.root, ".labelwise", "jobs", job.id, "job.json"), "utf8"));
    assert.equal(stored.status, "succeeded");
    assert.equal(stored.exitCode, 0);
  });

  test("the server answers other requests while a job runs; a second job is refused with 409", async () => {
    const start = await api("POST", "/api/jobs", { kind: "train", strategy: "box", epochs: 40 });
    assert.equal(start.status, 200);
    const t0 = performance.now();
    const list = await api("GET", "/api/cases");
    assert.equal(list.status, 200);
    assert.ok(performance.now() - t0 < 1000);
    const second = await api("POST", "/api/jobs", { kind: "train", strategy: "box", epochs: 1 });
    assert.equal(second.status, 409);
    await api("POST", `/api/jobs/${(start.body as { id: string }).id}/cancel`, { force: true });
    await server.jobs.waitFor((start.body as { id: string }).id);
  });

  test("cancel sends SIGINT to the command; the job ends cancelled and its output is kept", async () => {
    const start = await api("POST", "/api/jobs", { kind: "train", strategy: "mean-teacher", epochs: 200 });
    const id = (start.body as { id: string }).id;
    await readEvents(`${base}/api/jobs/${id}/events`, server.token, (es) => es.filter((e) => e.event === "progress").length >= 2);
    // Cancel only once this stream is subscribed (its first event came): a loaded machine can take
    // longer to connect than the command takes to print "interrupted" and exit.
    let subscribed!: () => void;
    const connected = new Promise<void>((r) => (subscribed = r));
    const streamP = readEvents(`${base}/api/jobs/${id}/events`, server.token, (es) => {
      if (es.length > 0) subscribed();
      return es.some((e) => e.event === "end");
    });
    await Promise.race([connected, streamP]);
    const c = await api("POST", `/api/jobs/${id}/cancel`, {});
    assert.equal(c.status, 200);
    assert.equal(c.body.cancelRequested, true);
    const { events } = await streamP;
    const final = events.filter((e) => e.event === "state").at(-1)!.data as JobRecord;
    assert.equal(final.status, "cancelled");
    assert.equal(final.exitCode, 130, "the command handled SIGINT itself (a resumable stop), not killed");
    const sigint = await readFile(path.join(ds.root, ".labelwise", "jobs", id, "sigint.txt"), "utf8");
    assert.match(sigint, /^SIGINT at epoch \d+/);
    assert.ok(events.some((e) => e.event === "progress" && /interrupted/.test(JSON.stringify(e.data))));
  });

  test("job requests are validated: unknown strategy, bad epochs, unknown model, extra fields", async () => {
    // The real command factory (labelwise train/predict) decides about models; nothing is started.
    const real = await createServer({ dataset: ds.root });
    const post = async (body: unknown) => (await real.app.inject({ method: "POST", url: "/api/jobs", headers: { authorization: `Bearer ${real.token}` }, payload: body as object })).statusCode;
    try {
      assert.equal(await post({ kind: "predict", model: "20990101-000000-train-abcdef", scope: "train" }), 400);
      assert.equal(await post({ kind: "predict", model: "20990101-000000-train-abcdef", scope: "case", caseId: "../x" }), 400);
      assert.equal(await post({ kind: "train", strategy: "supervised", resume: "20990101-000000-train-abcdef" }), 400);
      assert.equal(real.jobs.list().filter((j) => j.status === "running").length, 0);
    } finally {
      await real.close({ killJobs: true });
    }
    for (const body of [
      { kind: "train", strategy: "nope" },
      { kind: "train", strategy: "supervised", epochs: 0 },
      { kind: "train", strategy: "supervised", epochs: "5" },
      { kind: "train", strategy: "supervised", script: "rm -rf /" },
      { kind: "predict", model: "../../x", scope: "train" },
      { kind: "predict", model: "20990101-000000-train-abcdef", scope: "everything" },
      { kind: "shell", command: "ls" },
    ]) {
      const r = await api("POST", "/api/jobs", body);
      assert.equal(r.status, 400, JSON.stringify(body));
    }
  });

  test("a failing command ends failed with its last error line", async () => {
    const s = await createServer({ dataset: ds.root, commandFor: fakeCommands({ interval: 20, failAt: 2 }), jobPollMs: 50, strategies: STRATEGIES });
    try {
      const job = await s.jobs.start({ kind: "train", strategy: "supervised", epochs: 5 });
      const end = await s.jobs.waitFor(job.id);
      assert.equal(end.status, "failed");
      assert.equal(end.exitCode, 3);
      assert.match(end.message, /simulated failure/);
    } finally {
      await s.close({ killJobs: true });
    }
  });

  test("jobs survive a server restart: history is reloaded and a running job is reconnected", async () => {
    const first = await createServer({ dataset: ds.root, commandFor: fakeCommands({ interval: 60 }), jobPollMs: 50 });
    const job = await first.jobs.start({ kind: "train", strategy: "cps", epochs: 12 });
    await new Promise((r) => setTimeout(r, 300));
    await first.close(); // the job goes on without a server
    const second = await createServer({ dataset: ds.root, commandFor: fakeCommands(), jobPollMs: 50 });
    try {
      const seen = second.jobs.get(job.id);
      assert.equal(seen?.status, "running", "reconnected to the running process");
      assert.ok(second.jobs.list().some((j) => j.status === "succeeded"), "finished jobs of earlier servers are listed");
      const end = await second.jobs.waitFor(job.id, 10_000);
      assert.equal(end.status, "succeeded");
      assert.equal(end.exitCode, 0, "exit status recorded by the job's wrapper");
      assert.equal(second.jobs.history(job.id)!.loss.length, 12, "the whole loss curve, before and after the restart");
      assert.equal(await exists(path.join(ds.root, ".labelwise", "jobs", job.id, "sigint.txt")), false);
    } finally {
      await second.close({ killJobs: true });
    }
  });
});
