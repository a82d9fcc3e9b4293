import assert from "node:assert/strict";
import { readFile, mkdtemp, mkdir, writeFile, rm, access } from "node:fs/promises";
import { tmpdir } from "node:os";
import path from "node:path";
import { after, before, describe, test } from "node:test";
import { readManifest, readNiftiGeometry, voxelToWorldBox } from "../data/index.js";
import { createServer, tokenMatches, type LabelwiseServer } from "./index.js";
import { FIXTURE_SHAPE, fakeCommands, makeTestDataset, type TestDataset } from "./_testing/fixtures.js";

let ds: TestDataset;
let server: LabelwiseServer;
let webRoot: string;
let auth: Record<string, string>;

before(async () => {
  ds = await makeTestDataset();
  webRoot = await mkdtemp(path.join(tmpdir(), "labelwise-web-"));
  await mkdir(path.join(webRoot, "assets"));
  await writeFile(path.join(webRoot, "index.html"), "<!doctype html><title>labelwise test page</title>");
  await writeFile(path.join(webRoot, "assets", "app-1234.js"), "console.log('page');");
  server = await createServer({ dataset: ds.root, webRoot, commandFor: fakeCommands() });
  auth = { authorization: `Bearer ${server.token}` };
});

after(async () => {
  await server.close({ killJobs: true });
  await ds.cleanup();
  await rm(webRoot, { recursive: true, force: true });
});

const inject = (o: { method?: "GET" | "PUT" | "POST"; url: string; headers?: Record<string, string>; payload?: unknown }) =>
  server.app.inject({ method: o.method ?? "GET", url: o.url, headers: o.headers ?? auth, ...(o.payload !== undefined ? { payload: o.payload as object } : {}) });

describe("auth", () => {
  test("tokenMatches() compares in constant time and refuses empty or oversized tokens", () => {
    assert.equal(tokenMatches("abc", "abc"), true);
    assert.equal(tokenMatches("abc", "abd"), false);
    assert.equal(tokenMatches("abc", "abcd"), false);
    assert.equal(tokenMatches("abc", ""), false);
    assert.equal(tokenMatches("abc", undefined), false);
    assert.equal(tokenMatches("abc", "x".repeat(10_000)), false);
  });

  test("the token is random, long and new on every start", async () => {
    const other = await createServer({ dataset: ds.root, webRoot });
    try {
      assert.notEqual(other.token, server.token);
      assert.match(server.token, /^[A-Za-z0-9_-]{43}$/);
    } finally {
      await other.close();
    }
  });

  for (const url of ["/api/dataset", "/api/cases", `/api/cases/${"x"}/image/0`, "/api/jobs", "/", "/assets/app-1234.js", "/no/such/route"]) {
    test(`GET ${url} without a token is refused with 401`, async () => {
      const r = await inject({ url, headers: {} });
      assert.equal(r.statusCode, 401);
      assert.doesNotMatch(r.body, /console\.log|labelwise test page/);
    });
  }

  test("a wrong token is refused in every form (bearer, header, cookie, query)", async () => {
    const cookieName = /^(labelwise_[0-9a-f]+)=/.exec((await inject({ url: `/?token=${server.token}`, headers: {} })).headers["set-cookie"] as string)![1]!;
    const wrong = `${server.token.slice(0, -1)}${server.token.endsWith("A") ? "B" : "A"}`;
    const forms: Record<string, string>[] = [
      { authorization: `Bearer ${wrong}` },
      { "x-labelwise-token": wrong },
      { cookie: `${cookieName}=${wrong}` },
      { cookie: `labelwise_other=${server.token}` },
      { authorization: `Basic ${server.token}` },
    ];
    for (const headers of forms) {
      const r = await inject({ url: "/api/cases", headers });
      assert.equal(r.statusCode, 401, JSON.stringify(headers));
    }
    assert.equal((await inject({ url: `/api/cases?token=${server.token}`, headers: {} })).statusCode, 401);
    assert.equal((await inject({ url: `/?token=${wrong}`, headers: {} })).statusCode, 401);
  });

  test("the URL's token is traded for an HttpOnly SameSite=Strict cookie that then opens the page and the API", async () => {
    const r = await inject({ url: `/?token=${server.token}`, headers: {} });
    assert.equal(r.statusCode, 303);
    assert.equal(r.headers.location, "/");
    const setCookie = String(r.headers["set-cookie"]);
    assert.match(setCookie, /HttpOnly/);
    assert.match(setCookie, /SameSite=Strict/);
    const cookie = setCookie.split(";")[0]!;
    const page = await inject({ url: "/", headers: { cookie } });
    assert.equal(page.statusCode, 200);
    assert.match(page.body, /labelwise test page/);
    assert.match(String(page.headers["content-security-policy"]), /default-src 'self'/);
    assert.equal((await inject({ url: "/assets/app-1234.js", headers: { cookie } })).statusCode, 200);
    assert.equal((await inject({ url: "/api/cases", headers: { cookie } })).statusCode, 200);
    assert.equal((await inject({ url: "/api/cases", headers: { "x-labelwise-token": server.token } })).statusCode, 200);
  });
});

describe("path traversal", () => {
  const attempts = [
    "..",
    "../labelsTr",
    "..%2F..%2F..%2Fetc%2Fpasswd",
    "%2E%2E%2F%2E%2E%2Fetc%2Fpasswd",
    "%2Fetc%2Fpasswd",
    "%252E%252E%252Fetc%252Fpasswd",
    "..%5C..%5Cetc%5Cpasswd",
    ".labelwise",
    "phantom_000%00",
    "phantom_000%2F..%2F..%2Fdataset.json",
    "C:%5Cwindows",
  ];
  for (const id of attempts) {
    for (const suffix of ["", "/image/0", "/label", "/prediction", "/boxes", "/metrics"]) {
      test(`case id ${id}${suffix} is refused`, async () => {
        const r = await inject({ url: `/api/cases/${id}${suffix}` });
        assert.ok([400, 404].includes(r.statusCode), `${r.statusCode} ${r.body.slice(0, 200)}`);
        assert.doesNotMatch(r.body, /root:|"labels"|channel_names/);
      });
    }
  }

  test("a path as a literal absolute id never reaches the file system", async () => {
    const r = await inject({ url: "/api/cases//etc/passwd/label" });
    assert.ok([400, 404].includes(r.statusCode));
    assert.doesNotMatch(r.body, /root:/);
  });

  test("a channel that is not a number, or does not exist, is refused", async () => {
    assert.equal((await inject({ url: `/api/cases/${ds.ids[0]}/image/..%2F..` })).statusCode, 400);
    assert.equal((await inject({ url: `/api/cases/${ds.ids[0]}/image/7` })).statusCode, 404);
  });

  test("page files are looked up, not joined: traversal under /assets/ gets 400/404", async () => {
    for (const p of ["..%2F..%2Fpackage.json", "..%2Findex.html", "%2Fetc%2Fpasswd", ".hidden", "a%00.js"]) {
      const r = await inject({ url: `/assets/${p}` });
      assert.ok([400, 404].includes(r.statusCode), `${p}: ${r.statusCode}`);
    }
  });

  test("a job id that is not one is refused before any lookup", async () => {
    for (const id of ["..%2F..%2Fetc", "..", "20260101-000000-train-zzzzzz"]) {
      const r = await inject({ url: `/api/jobs/${id}` });
      assert.ok([400, 404].includes(r.statusCode), id);
      assert.doesNotMatch(r.body, /"job"/);
    }
    assert.equal((await inject({ url: "/api/jobs/20260101-000000-train-abcdef" })).statusCode, 404);
  });
});

describe("request limits and schemas", () => {
  test("an oversize body is refused with 413 and nothing is written", async () => {
    const big = { boxes: [{ label: "x".repeat(200), voxel: { min: [0, 0, 0], max: [1, 1, 1] } }], pad: "y".repeat(400 * 1024) };
    const r = await inject({ method: "PUT", url: `/api/cases/${ds.ids[1]}/boxes`, payload: big, headers: { ...auth, "content-type": "application/json" } });
    assert.equal(r.statusCode, 413);
    await assert.rejects(access(path.join(ds.root, "boxes", `${ds.ids[1]}.json`)));
  });

  test("bodies other than JSON are refused (the API takes no uploads)", async () => {
    const r = await server.app.inject({ method: "PUT", url: `/api/cases/${ds.ids[1]}/boxes`, headers: { ...auth, "content-type": "application/octet-stream" }, payload: Buffer.alloc(10) });
    assert.equal(r.statusCode, 415);
  });

  test("unknown properties are refused, not stripped", async () => {
    const r = await inject({ method: "PUT", url: `/api/cases/${ds.ids[1]}/boxes`, payload: { boxes: [], extra: 1 } });
    assert.equal(r.statusCode, 400);
    const q = await inject({ url: "/api/cases?debug=1" });
    assert.equal(q.statusCode, 400);
  });
});

describe("dataset and cases", () => {
  test("GET /api/dataset names the organs with colours", async () => {
    const r = await inject({ url: "/api/dataset" });
    assert.equal(r.statusCode, 200);
    const body = r.json();
    assert.deepEqual(body.labels.map((l: { value: number }) => l.value), [1, 2]);
    for (const l of body.labels) assert.match(l.color, /^#[0-9a-f]{6}$/);
    assert.ok(body.strategies.length > 0);
  });

  test("the training form's strategies are the ones the server was given (the registry's), and only those start jobs", async () => {
    const summaries = { supervised: "labels only", box: "one box per organ", bcp: "not offered here" };
    const learnsFrom = { supervised: ["labelled"], box: ["labelled", "boxes"], bcp: ["labelled", "unlabelled"] };
    const other = await createServer({ dataset: ds.root, webRoot, commandFor: fakeCommands(), strategies: ["supervised", "box"], strategySummaries: summaries, strategyLearnsFrom: learnsFrom });
    try {
      const h = { authorization: `Bearer ${other.token}` };
      const info = await other.app.inject({ url: "/api/dataset", headers: h });
      assert.deepEqual(info.json().strategies, ["supervised", "box"]);
      assert.deepEqual(info.json().strategySummaries, { supervised: "labels only", box: "one box per organ" }, "summaries of the offered strategies only");
      assert.deepEqual(info.json().strategyLearnsFrom, { supervised: ["labelled"], box: ["labelled", "boxes"] }, "training data of the offered strategies only");
      const refused = await other.app.inject({ method: "POST", url: "/api/jobs", headers: h, payload: { kind: "train", strategy: "mean-teacher" } });
      assert.equal(refused.statusCode, 400);
      assert.match(refused.body, /strategy/);
    } finally {
      await other.close({ killJobs: true });
    }
  });

  test("GET /api/cases lists training and test cases with their status", async () => {
    const { cases } = (await inject({ url: "/api/cases" })).json();
    assert.deepEqual(cases.map((c: { id: string }) => c.id), [...ds.ids, ...ds.testIds]);
    const [c0, c1, c2, t0] = cases;
    assert.equal(c0.hasPrediction, true);
    assert.equal(c0.annotation, "labelled");
    assert.equal(c1.hasPrediction, false);
    assert.equal(c2.annotation, "unlabelled");
    assert.equal(t0.split, "test");
  });

  test("GET /api/cases/:id gives the grid", async () => {
    const r = (await inject({ url: `/api/cases/${ds.ids[0]}` })).json();
    assert.deepEqual(r.shape, [...FIXTURE_SHAPE]);
    assert.deepEqual(r.spacing, [1, 1, 2]);
    assert.equal(r.affine.length, 4);
  });

  test("volumes stream the files' bytes; a missing prediction is 404", async () => {
    const img = await inject({ url: `/api/cases/${ds.ids[0]}/image/0` });
    assert.equal(img.statusCode, 200);
    assert.deepEqual(img.rawPayload, await readFile(path.join(ds.root, "imagesTr", `${ds.ids[0]}_0000.nii.gz`)));
    assert.equal(img.headers["x-labelwise-file"], "image.nii.gz");
    const lab = await inject({ url: `/api/cases/${ds.ids[0]}/label` });
    assert.deepEqual(lab.rawPayload, await readFile(path.join(ds.root, "labelsTr", `${ds.ids[0]}.nii.gz`)));
    assert.equal((await inject({ url: `/api/cases/${ds.ids[0]}/prediction` })).statusCode, 200);
    assert.equal((await inject({ url: `/api/cases/${ds.ids[1]}/prediction` })).statusCode, 404);
    assert.equal((await inject({ url: `/api/cases/${ds.testIds[0]}/label` })).statusCode, 404);
  });

  test("metrics: Dice 1 and HD95 0 for a prediction equal to the label; 404 without a prediction", async () => {
    const r = await inject({ url: `/api/cases/${ds.ids[0]}/metrics` });
    assert.equal(r.statusCode, 200, r.body);
    const body = r.json();
    assert.equal(body.unit, "mm");
    for (const l of body.labels) {
      if (l.refVoxels > 0) {
        assert.equal(l.dice, 1);
        assert.equal(l.hd95, 0);
      }
    }
    assert.equal((await inject({ url: `/api/cases/${ds.ids[1]}/metrics` })).statusCode, 404);
  });
});

describe("boxes", () => {
  const url = (k: number) => `/api/cases/${ds.ids[k]}/boxes`;
  const put = (k: number, boxes: unknown) => inject({ method: "PUT", url: url(k), payload: { boxes } });
  const organ = async (k: number) => ((await inject({ url: "/api/dataset" })).json().labels as { name: string }[])[k]!.name;

  test("invalid boxes are refused with the problem and nothing is written", async () => {
    const liver = await organ(0);
    const cases: [string, unknown, RegExp][] = [
      ["outside the volume", [{ label: liver, voxel: { min: [0, 0, 0], max: [FIXTURE_SHAPE[0] + 1, 5, 5] } }], /outside the volume/],
      ["negative corner", [{ label: liver, voxel: { min: [-1, 0, 0], max: [5, 5, 5] } }], /outside the volume/],
      ["min = max", [{ label: liver, voxel: { min: [3, 3, 3], max: [3, 8, 8] } }], /min ≥ max/],
      ["min > max", [{ label: liver, voxel: { min: [9, 3, 3], max: [4, 8, 8] } }], /min ≥ max/],
      ["unknown organ", [{ label: "appendix", voxel: { min: [0, 0, 0], max: [2, 2, 2] } }], /not an organ/],
      ["background", [{ label: "background", voxel: { min: [0, 0, 0], max: [2, 2, 2] } }], /not an organ/],
      ["two boxes for one organ", [{ label: liver, voxel: { min: [0, 0, 0], max: [2, 2, 2] } }, { label: liver, voxel: { min: [0, 0, 0], max: [3, 3, 3] } }], /one box per organ/],
    ];
    for (const [what, boxes, re] of cases) {
      const r = await put(1, boxes);
      assert.equal(r.statusCode, 400, what);
      assert.match(JSON.stringify(r.json()), re, what);
    }
    for (const bad of [
      [{ label: liver, voxel: { min: [0.5, 0, 0], max: [2, 2, 2] } }],
      [{ label: liver, voxel: { min: [0, 0], max: [2, 2, 2] } }],
      [{ label: liver, voxel: { min: ["0", 0, 0], max: [2, 2, 2] } }],
      [{ label: liver, voxel: { min: [0, 0, 0], max: [2, 2, 2] }, world: { min: [0, 0, 0], max: [1, 1, 1] } }],
      [{ label: liver }],
    ]) {
      assert.equal((await put(1, bad)).statusCode, 400, JSON.stringify(bad));
    }
    await assert.rejects(access(path.join(ds.root, "boxes", `${ds.ids[1]}.json`)));
  });

  test("boxes round-trip: voxel boxes in, world corners from the header, atomic file in the box format", async () => {
    const [a, b] = [await organ(0), await organ(1)];
    const boxes = [
      { label: a, voxel: { min: [2, 3, 1], max: [10, 12, 6] } },
      { label: b, voxel: { min: [12, 4, 8], max: [20, 16, 15] } },
    ];
    const r = await put(1, boxes);
    assert.equal(r.statusCode, 200, r.body);
    const file = JSON.parse(await readFile(path.join(ds.root, "boxes", `${ds.ids[1]}.json`), "utf8"));
    assert.equal(file.format, "labelwise-boxes");
    assert.equal(file.case, ds.ids[1]);
    const g = await readNiftiGeometry(path.join(ds.root, "imagesTr", `${ds.ids[1]}_0000.nii.gz`));
    assert.deepEqual(file.boxes.map((x: { value: number }) => x.value), [1, 2]);
    file.boxes.forEach((x: { voxel: { min: number[]; max: number[] }; world: { min: number[]; max: number[] } }, i: number) => {
      assert.deepEqual(x.voxel, boxes[i]!.voxel);
      const w = voxelToWorldBox({ min: boxes[i]!.voxel.min as [number, number, number], max: boxes[i]!.voxel.max as [number, number, number] }, g.affine);
      assert.deepEqual(x.world, { min: [...w.min], max: [...w.max] });
    });
    const got = (await inject({ url: url(1) })).json();
    assert.equal(got.exists, true);
    assert.deepEqual(got.problems, []);
    assert.deepEqual(got.boxes.map((x: { voxel: unknown }) => x.voxel), boxes.map((x) => x.voxel));
    const list = (await inject({ url: "/api/cases" })).json().cases;
    assert.equal(list[1].hasBoxes, true);
    assert.equal(list[1].annotation, "labelled", "a labelled case keeps its annotation");
  });

  test("saving boxes on an unlabelled case marks it box-annotated in labelwise.json", async () => {
    const r = await put(2, [{ label: await organ(0), voxel: { min: [1, 1, 1], max: [4, 4, 4] } }]);
    assert.equal(r.statusCode, 200, r.body);
    assert.equal(r.json().annotation, "boxes");
    const m = await readManifest(ds.root);
    assert.equal(m?.cases[ds.ids[2]!]?.annotation, "boxes");
  });

  test("an empty list clears a case's boxes; test cases take no boxes", async () => {
    const r = await put(1, []);
    assert.equal(r.statusCode, 200);
    assert.deepEqual(JSON.parse(await readFile(path.join(ds.root, "boxes", `${ds.ids[1]}.json`), "utf8")).boxes, []);
    assert.equal((await inject({ method: "PUT", url: `/api/cases/${ds.testIds[0]}/boxes`, payload: { boxes: [] } })).statusCode, 400);
  });

  test("annotation: boxes needs a box file, labelled needs a label file", async () => {
    const set = (k: number, annotation: string) => inject({ method: "PUT", url: `/api/cases/${ds.ids[k]}/annotation`, payload: { annotation } });
    assert.equal((await set(0, "boxes")).statusCode, 400);
    assert.equal((await set(1, "boxes")).statusCode, 200);
    assert.equal((await readManifest(ds.root))?.cases[ds.ids[1]!]?.annotation, "boxes");
    assert.equal((await set(1, "labelled")).statusCode, 200);
    assert.equal((await set(1, "weird")).statusCode, 400);
  });
});

describe("page", () => {
  test("without a built page the server says how to build it", async () => {
    const empty = await mkdtemp(path.join(tmpdir(), "labelwise-noweb-"));
    const s = await createServer({ dataset: ds.root, webRoot: empty });
    try {
      const r = await s.app.inject({ url: "/", headers: { authorization: `Bearer ${s.token}` } });
      assert.equal(r.statusCode, 200);
      assert.match(r.body, /npm run build:web/);
    } finally {
      await s.close();
      await rm(empty, { recursive: true, force: true });
    }
  });
});
