// End-to-end: the built page in Debian's headless Chromium (playwright-core, no browser download)
// against a real server on 127.0.0.1 over a phantom dataset, with the fake job command standing in
// for training and prediction (e2e-training.test.ts runs the real ones). Screenshots of the main
// views land in test-artifacts/web/ and must not be blank.
import assert from "node:assert/strict";
import { readFile } from "node:fs/promises";
import path from "node:path";
import { after, before, describe, test } from "node:test";
import type { BrowserContext, Page } from "playwright-core";
import { readManifest } from "../data/index.js";
import { createServer, type LabelwiseServer } from "./index.js";
import { fakeCommands, makeTestDataset, type TestDataset } from "./_testing/fixtures.js";
import { browserSkipReason, openBrowser, type PageDriver } from "./_testing/page-driver.js";
import { decodePng, pixelDifference } from "./_testing/png.js";

/** The loss chart with at least two points. */
const LOSS_CURVE = '[data-testid=loss-chart][data-points]:not([data-points="0"]):not([data-points="1"])';

describe("web page end to end (headless Chromium)", { skip: browserSkipReason() }, () => {
  let ds: TestDataset;
  let server: LabelwiseServer;
  let url: string;
  let driver: PageDriver;
  let ctx: BrowserContext;
  let page: Page;
  let errors: string[] = [];

  before(async () => {
    ds = await makeTestDataset();
    server = await createServer({
      dataset: ds.root,
      commandFor: fakeCommands({ interval: 120, epochs: 6, datasetRoot: ds.root }),
      strategies: ["supervised", "box"],
      strategySummaries: { supervised: "Dice + cross-entropy on labelled patches", box: "weak supervision from one 3-D box per organ" },
      strategyLearnsFrom: { supervised: ["labelled"], box: ["labelled", "boxes"] },
      jobPollMs: 50,
    });
    url = await server.listen(0, "127.0.0.1");
    driver = await openBrowser();
    ({ ctx, page, errors } = driver);
  });

  after(async () => {
    await driver?.close();
    await server?.close({ killJobs: true });
    await ds?.cleanup();
  });

  const difference = (a: Buffer, b: Buffer) => pixelDifference(decodePng(a), decodePng(b));
  const shot = (name: string, selector?: string) => driver.shot(name, selector);
  const tile = (axCorSag: number) => driver.tile(axCorSag);
  const drag = (from: [number, number], to: [number, number]) => driver.drag(from, to);
  const openCase = (id: string) => driver.openCase(id);

  const boxFile = async (id: string) => JSON.parse(await readFile(path.join(ds.root, "boxes", `${id}.json`), "utf8"));

  test("the token URL opens the page, then leaves the address bar; the first case shows with its overlays and metrics", async () => {
    await page.goto(url);
    await page.waitForSelector("body[data-ready='1']", { timeout: 30_000 });
    assert.doesNotMatch(page.url(), /token=/);
    const cookies = await ctx.cookies();
    assert.ok(cookies.some((c) => c.name.startsWith("labelwise_") && c.httpOnly && c.sameSite === "Strict"));
    await page.waitForSelector(`body[data-loaded-case="${ds.ids[0]}"]`);
    assert.equal(await page.locator("[data-testid=case-row]").count(), 4);
    await page.waitForSelector("[data-testid=metrics-table]");
    assert.match(await page.locator("[data-testid=metrics-table]").innerText(), /1\.000/);
    const withOverlays = await shot("01-all-views-overlays.png");
    await page.locator("[data-testid=show-label]").uncheck();
    await page.locator("[data-testid=show-prediction]").uncheck();
    const without = await shot("02-all-views-no-overlay.png");
    const d = await difference(withOverlays, without);
    assert.ok(d > 0.005, `label/prediction overlays change the picture (${(d * 100).toFixed(2)}% of pixels)`);
    await page.locator("[data-testid=show-label]").check();
    await page.locator("[data-testid=show-prediction]").check();
    // The training form: every strategy the server offers, with its summary; box needs box-annotated cases.
    assert.deepEqual(await page.locator("[data-testid=strategy] option").allTextContents(), ["supervised", "box"]);
    await page.locator("[data-testid=strategy]").selectOption("box");
    assert.match(await page.locator("[data-testid=strategy-hint]").innerText(), /weak supervision from one 3-D box per organ\. No case is box-annotated yet/);
    await page.locator("[data-testid=strategy]").selectOption("supervised");
    assert.match(await page.locator("[data-testid=strategy-hint]").innerText(), /^Dice \+ cross-entropy on labelled patches$/);
  });

  test("each main view renders (axial, coronal, sagittal, 3D)", async () => {
    for (const [view, file] of [
      ["axial", "03-axial.png"],
      ["coronal", "03-coronal.png"],
      ["sagittal", "03-sagittal.png"],
      ["render", "03-3d.png"],
    ] as const) {
      await page.locator(`[data-testid=view-${view}]`).click();
      await shot(file);
    }
    await page.locator("[data-testid=view-multi]").click();
  });

  test("draw a box on the axial view, set its third extent on the coronal view, drag an edge, save: the box file is on disk", async () => {
    const id = ds.ids[2]!;
    await openCase(id);
    await page.locator("[data-testid=mode-box]").click();
    const organ = await page.locator("[data-testid=organ]").inputValue();
    const ax = await tile(0);
    await drag([ax.left + 0.3 * ax.width, ax.top + 0.3 * ax.height], [ax.left + 0.6 * ax.width, ax.top + 0.65 * ax.height]);
    const row = page.locator(`[data-testid=box-row][data-organ="${organ}"]`);
    assert.doesNotMatch(await row.innerText(), /no box/);
    const co = await tile(1);
    await drag([co.left + 0.12 * co.width, co.top + 0.15 * co.height], [co.left + 0.7 * co.width, co.top + 0.85 * co.height]);
    const beforeEdit = await row.innerText();
    // Drag the right edge of the box on the axial view further right.
    const rect = ((await page.evaluate((o) => (globalThis as unknown as { labelwise: { boxRects(l: string): unknown[] } }).labelwise.boxRects(o), organ)) as {
      axCorSag: number;
      left: number;
      top: number;
      right: number;
      bottom: number;
    }[]).find((r) => r.axCorSag === 0)!;
    assert.ok(rect, "the box crosses the axial slice");
    const canvas = (await page.locator("#gl").boundingBox())!;
    const [ex, ey] = [canvas.x + rect.right, canvas.y + (rect.top + rect.bottom) / 2];
    await drag([ex, ey], [ex + 0.12 * ax.width, ey]);
    assert.notEqual(await row.innerText(), beforeEdit, "dragging the edge changed the box");
    await shot("04-boxes-drawn.png");
    await page.locator("[data-testid=save-boxes]").click();
    await page.waitForSelector("[data-testid=box-status][data-saved]");
    const file = await boxFile(id);
    assert.equal(file.format, "labelwise-boxes");
    assert.equal(file.boxes.length, 1);
    const b = file.boxes[0];
    assert.equal(b.label, organ);
    assert.equal(b.value, 1);
    for (let a = 0; a < 3; a++) assert.ok(b.voxel.min[a] < b.voxel.max[a], `axis ${a}: ${JSON.stringify(b.voxel)}`);
    assert.ok(b.voxel.max[2] - b.voxel.min[2] > 1, `the coronal drag set the third (k) extent: ${JSON.stringify(b.voxel)}`);
    assert.ok(b.world && b.world.min.length === 3, "world corners were computed by the server");
    assert.equal((await readManifest(ds.root))?.cases[id]?.annotation, "boxes", "an unlabelled case with boxes is box-annotated");
    await page.waitForSelector(`[data-testid=case-row][data-case="${id}"] .b-boxes`);
    await page.locator("[data-testid=mode-navigate]").click();
  });

  test("start a short training: progress and a loss curve stream in; then predict this case and see the overlay and metrics", async () => {
    await page.locator("[data-testid=epochs]").fill("6");
    await page.locator("[data-testid=strategy]").selectOption("box");
    assert.doesNotMatch(await page.locator("[data-testid=strategy-hint]").innerText(), /No case is box-annotated/, "the case saved with boxes above counts");
    await page.locator("[data-testid=start-train]").click();
    await page.waitForSelector('[data-testid=job-progress][data-progress]:not([data-progress="0"])', { state: "attached", timeout: 20_000 });
    await page.waitForSelector(LOSS_CURVE, { timeout: 20_000 });
    await page.waitForSelector("[data-testid=job-row][data-status=succeeded]", { timeout: 20_000 });
    await shot("05-training-job.png", "aside.side");

    const id = ds.ids[1]!;
    await openCase(id);
    assert.equal(await page.locator(`[data-testid=case-row][data-case="${id}"] .b-predicted`).count(), 0);
    const before = await page.locator("#stage").screenshot();
    await page.locator("[data-testid=scope]").selectOption("case");
    await page.waitForSelector("[data-testid=model] option", { state: "attached" });
    await page.locator("[data-testid=start-predict]").click();
    await page.waitForSelector(`[data-testid=case-row][data-case="${id}"] .b-predicted`, { timeout: 20_000 });
    await page.waitForSelector("[data-testid=metrics-table]", { timeout: 20_000 });
    const after = await shot("06-predicted-overlay.png");
    await page.locator("[data-testid=show-label]").uncheck();
    const predictionOnly = await shot("07-prediction-only.png");
    await page.locator("[data-testid=show-prediction]").uncheck();
    const none = await page.locator("#stage").screenshot();
    assert.ok((difference(predictionOnly, none)) > 0.005, "the prediction overlay is visible");
    assert.ok((difference(before, after)) >= 0, "");
    await page.locator("[data-testid=show-label]").check();
    await page.locator("[data-testid=show-prediction]").check();
  });

  test("undo and redo box edits (buttons and keyboard); the boxes show as wireframes in the 3D view", async () => {
    const id = ds.ids[0]!;
    await openCase(id);
    await page.locator("[data-testid=mode-box]").click();
    const organ = await page.locator("[data-testid=organ]").inputValue();
    const row = page.locator(`[data-testid=box-row][data-organ="${organ}"]`);
    const undo = page.locator("[data-testid=undo-box]");
    const redo = page.locator("[data-testid=redo-box]");
    const save = page.locator("[data-testid=save-boxes]");
    assert.match(await row.innerText(), /no box/);
    assert.ok((await undo.isDisabled()) && (await redo.isDisabled()), "nothing to undo on a freshly opened case");

    const ax = await tile(0);
    await drag([ax.left + 0.3 * ax.width, ax.top + 0.3 * ax.height], [ax.left + 0.55 * ax.width, ax.top + 0.6 * ax.height]);
    const first = await row.innerText();
    assert.doesNotMatch(first, /no box/);
    // A second box drawn elsewhere replaces the first (one box per organ): a second undo step.
    await drag([ax.left + 0.6 * ax.width, ax.top + 0.62 * ax.height], [ax.left + 0.75 * ax.width, ax.top + 0.8 * ax.height]);
    const second = await row.innerText();
    assert.notEqual(second, first);
    assert.ok(await undo.isEnabled());

    await undo.click();
    assert.equal(await row.innerText(), first, "undo restores the first box");
    assert.ok(await redo.isEnabled());
    await page.keyboard.press("Control+z");
    assert.match(await row.innerText(), /no box/, "Ctrl+Z undoes the first box too");
    assert.ok(await undo.isDisabled());
    assert.ok(await save.isDisabled(), "back at the saved state: nothing to save");
    await redo.click();
    assert.equal(await row.innerText(), first);
    await page.keyboard.press("Control+Shift+z");
    assert.equal(await row.innerText(), second, "Ctrl+Shift+Z redoes");
    assert.ok((await redo.isDisabled()) && (await save.isEnabled()));
    await page.locator("[data-testid=delete-box]").click();
    assert.match(await row.innerText(), /no box/);
    await undo.click();
    assert.equal(await row.innerText(), second, "a deletion can be undone");

    // The 3D view: the box as a wireframe mesh, gone when the checkbox is off.
    await page.locator("[data-testid=mode-navigate]").click();
    await page.locator("[data-testid=view-render]").click();
    const meshes = () => page.evaluate(() => (globalThis as unknown as { labelwise: { boxMeshCount(): number } }).labelwise.boxMeshCount());
    assert.equal(await meshes(), 1);
    const withBoxes = await shot("08-3d-boxes.png");
    await page.locator("[data-testid=show-boxes-3d]").uncheck();
    assert.equal(await meshes(), 0);
    const without = await shot("09-3d-no-boxes.png");
    const d = difference(withBoxes, without);
    assert.ok(d > 0.002, `the box wireframe changes the 3D view (${(d * 100).toFixed(2)}% of pixels)`);
    await page.locator("[data-testid=show-boxes-3d]").check();
    await page.locator("[data-testid=view-multi]").click();

    // Undo everything: the case is back at its saved state (no unsaved-changes prompt later).
    while (await undo.isEnabled()) await undo.click();
    assert.match(await row.innerText(), /no box/);
    assert.ok(await save.isDisabled());
  });

  test("after a reload the jobs are still listed and the loss curve comes back", async () => {
    await page.reload();
    await page.waitForSelector("body[data-ready='1']");
    assert.ok((await page.locator("[data-testid=job-row]").count()) >= 2);
    await page.locator("[data-testid=job-row]").last().click();
    await page.waitForSelector(LOSS_CURVE, { timeout: 10_000 });
    assert.deepEqual(errors, [], "no page errors");
  });
});
