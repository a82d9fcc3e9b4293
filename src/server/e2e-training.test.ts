// The user story of `labelwise serve`, end to end in headless Chromium with the real jobs (no fake
// command): open the page, draw boxes on two unlabelled cases with the mouse and save them, start a
// box training from the form with a tiny network and few iterations (a bad JSON config first: the
// page lists the schema's issues), follow its progress, predict a case and see the overlay with
// its Dice / HD95, then ask "what to label next" and see the ranking in the case list.
// Screenshots of every stage go to test-artifacts/web/ and must not be blank.
import assert from "node:assert/strict";
import { readFile } from "node:fs/promises";
import path from "node:path";
import { after, before, describe, test } from "node:test";
import type { Page } from "playwright-core";
import { readManifest } from "../data/index.js";
import { createServer, type LabelwiseServer } from "./index.js";
import { makeTestDataset, type TestDataset } from "./_testing/fixtures.js";
import { browserSkipReason, openBrowser, type PageDriver } from "./_testing/page-driver.js";
import { decodePng, pixelDifference } from "./_testing/png.js";

/** A tiny, quick run: 4 base filters, one fold of every case, no worker threads, 3 × 10 steps. */
const TINY_CONFIG = {
  split: { folds: 1 },
  network: { baseFilters: 4, maxFilters: 16 },
  data: { workers: 0 },
  training: { threads: 1 },
  optimizer: { kind: "adam", lr: 0.003 },
};
const JOB_TIMEOUT = 120_000;
/** The jobs section of the side panel (form, errors, job list, progress, loss curve). */
const JOBS_PANEL = "details:has([data-testid=start-train])";

describe("the page's user story with real training, prediction and ranking jobs (headless Chromium)", { skip: browserSkipReason() }, () => {
  let ds: TestDataset;
  let server: LabelwiseServer;
  let url: string;
  let driver: PageDriver;
  let page: Page;

  before(async () => {
    // Case 0 labelled, cases 1–3 unlabelled: boxes go on 1 and 2, case 3 stays for the ranking.
    ds = await makeTestDataset({ cases: 4, unlabelled: [1, 2, 3], predictFirst: false });
    server = await createServer({
      dataset: ds.root,
      strategies: ["supervised", "box", "mean-teacher"],
      strategySummaries: { box: "weak supervision from one 3-D box per organ" },
      strategyLearnsFrom: { supervised: ["labelled"], box: ["labelled", "boxes"], "mean-teacher": ["labelled", "unlabelled"] },
      jobPollMs: 100,
    });
    url = await server.listen(0, "127.0.0.1");
    driver = await openBrowser();
    page = driver.page;
  });

  after(async () => {
    await driver?.close();
    await server?.close({ killJobs: true });
    await ds?.cleanup();
  });

  const hint = () => page.locator("[data-testid=strategy-hint]").innerText();
  const jobRows = (status: string) => page.locator(`[data-testid=job-row][data-status=${status}]`);

  test("open the page: the case list and the first case", async () => {
    await page.goto(url);
    await page.waitForSelector("body[data-ready='1']", { timeout: 30_000 });
    assert.equal(await page.locator("[data-testid=case-row]").count(), 5, "4 training cases and 1 test scan");
    await page.waitForSelector(`body[data-loaded-case="${ds.ids[0]}"]`);
    await driver.shot("20-story-opened.png");
    await page.locator("[data-testid=strategy]").selectOption("box");
    assert.match(await hint(), /No case is box-annotated yet/);
  });

  test("draw one box on each of two unlabelled cases with the mouse and save them", async () => {
    for (const [n, id] of [ds.ids[1]!, ds.ids[2]!].entries()) {
      await driver.openCase(id);
      await page.locator("[data-testid=mode-box]").click();
      const organ = await page.locator("[data-testid=organ]").inputValue();
      const ax = await driver.tile(0);
      await driver.drag([ax.left + 0.25 * ax.width, ax.top + 0.25 * ax.height], [ax.left + 0.7 * ax.width, ax.top + 0.7 * ax.height]);
      const co = await driver.tile(1);
      await driver.drag([co.left + 0.2 * co.width, co.top + 0.2 * co.height], [co.left + 0.75 * co.width, co.top + 0.8 * co.height]);
      assert.doesNotMatch(await page.locator(`[data-testid=box-row][data-organ="${organ}"]`).innerText(), /no box/);
      await driver.shot(`21-story-box-${n + 1}.png`);
      await page.locator("[data-testid=save-boxes]").click();
      await page.waitForSelector("[data-testid=box-status][data-saved]");
      await page.waitForSelector(`[data-testid=case-row][data-case="${id}"] .b-boxes`);
      await page.locator("[data-testid=mode-navigate]").click();
      const file = JSON.parse(await readFile(path.join(ds.root, "boxes", `${id}.json`), "utf8"));
      assert.equal(file.boxes.length, 1);
      assert.equal(file.boxes[0].label, organ);
    }
    const manifest = await readManifest(ds.root);
    assert.deepEqual([1, 2, 3].map((i) => manifest?.cases[ds.ids[i]!]?.annotation), ["boxes", "boxes", "unlabelled"]);
  });

  test("the training form: semi-supervised warning, a bad config refused with its issues, then a box training runs", async () => {
    // A semi-supervised strategy is fine while a case is unlabelled …
    await page.locator("[data-testid=strategy]").selectOption("mean-teacher");
    assert.doesNotMatch(await hint(), /No case is unlabelled/);
    // … and warns when none is, unless the form makes a labelled subset.
    const last = ds.ids[3]!;
    await driver.openCase(last);
    await page.locator("[data-testid=annotation]").selectOption("labelled");
    await page.waitForSelector(`[data-testid=case-row][data-case="${last}"] .b-labelled`);
    assert.match(await hint(), /No case is unlabelled: this semi-supervised strategy would learn from labels only/);
    await page.locator(".train-options summary").click();
    await page.locator("[data-testid=labelled-kind]").selectOption("count");
    assert.doesNotMatch(await hint(), /No case is unlabelled/);
    await page.locator("[data-testid=labelled-kind]").selectOption("");
    await page.locator("[data-testid=annotation]").selectOption("unlabelled");
    await page.waitForSelector(`[data-testid=case-row][data-case="${last}"] .b-unlabelled`);
    assert.doesNotMatch(await hint(), /No case is unlabelled/);
    await page.locator("[data-testid=strategy]").selectOption("box");
    assert.doesNotMatch(await hint(), /No case is box-annotated/, "the two saved cases count");

    await page.locator("[data-testid=epochs]").fill("3");
    await page.locator("[data-testid=iterations]").fill("10");
    await page.locator("[data-testid=seed]").fill("7");
    await page.locator("[data-testid=train-config]").fill(JSON.stringify({ ...TINY_CONFIG, training: { threads: 1, epohcs: 3 } }));
    await page.locator("[data-testid=start-train]").click();
    await page.waitForSelector("[data-testid=job-problems] li");
    assert.match(await page.locator("[data-testid=job-problems]").innerText(), /training.*epohcs/i, "the misspelt key is named with its path");
    assert.equal(await page.locator("[data-testid=job-row]").count(), 0, "no job started");
    // The browser logs the refused request; that one is expected, any other error is not.
    assert.deepEqual(driver.errors.splice(0), ["console: Failed to load resource: the server responded with a status of 400 (Bad Request)"]);
    await driver.shot("22-story-config-refused.png", JOBS_PANEL);

    await page.locator("[data-testid=train-config]").fill(JSON.stringify(TINY_CONFIG));
    await page.locator("[data-testid=start-train]").click();
    await page.waitForSelector('[data-testid=job-progress][data-progress]:not([data-progress="0"])', { state: "attached", timeout: JOB_TIMEOUT });
    assert.equal(await page.locator("[data-testid=job-problems] li").count(), 0, "the issues are cleared");
    await jobRows("succeeded").first().waitFor({ timeout: JOB_TIMEOUT });
    await page.waitForSelector('[data-testid=loss-chart][data-points]:not([data-points="0"]):not([data-points="1"])');
    await driver.shot("23-story-training-done.png", JOBS_PANEL);

    // The form's settings reached the run: its resolved config.
    const train = server.jobs.list().find((j) => j.kind === "train")!;
    assert.ok(train.runDir, "the training reported its run folder");
    const cfg = JSON.parse(await readFile(path.join(train.runDir, "config.json"), "utf8")).config;
    assert.equal(cfg.strategy.kind, "box");
    assert.equal(cfg.seed, 7);
    assert.deepEqual([cfg.training.epochs, cfg.training.iterationsPerEpoch], [3, 10]);
    assert.equal(cfg.network.baseFilters, 4);
    assert.equal(cfg.optimizer.kind, "adam");
  });

  test("predict one case from the page: the overlay appears and Dice / HD95 are shown", async () => {
    const id = ds.ids[3]!;
    await driver.openCase(id);
    assert.match(await page.locator("[data-testid=metrics]").innerText(), /Needs both a label and a prediction/);
    await page.locator("[data-testid=scope]").selectOption("case");
    await page.locator("[data-testid=start-predict]").click();
    await page.waitForSelector(`[data-testid=case-row][data-case="${id}"] .b-predicted`, { timeout: JOB_TIMEOUT });
    await page.waitForSelector("[data-testid=metrics-table]", { timeout: 30_000 });
    const rows = await page.locator("[data-testid=metrics-table] tbody tr").allInnerTexts();
    assert.equal(rows.length, 2, `one row per organ: ${JSON.stringify(rows)}`);
    for (const r of rows) assert.match(r, /\t[01]\.\d{3}\t(\d+\.\d{2}|—)$/, `Dice in [0, 1] and HD95 in mm: ${JSON.stringify(r)}`);
    await page.locator("[data-testid=show-label]").uncheck();
    const predicted = await driver.shot("24-story-prediction.png");
    await page.locator("[data-testid=show-prediction]").uncheck();
    const plain = await page.locator("#stage").screenshot();
    const d = pixelDifference(decodePng(predicted), decodePng(plain));
    assert.ok(d > 0.001, `the predicted overlay is visible (${(d * 100).toFixed(2)}% of pixels differ)`);
    await page.locator("[data-testid=show-label]").check();
    await page.locator("[data-testid=show-prediction]").check();
    await driver.shot("25-story-metrics.png", "details:has([data-testid=metrics])");
  });

  test("what to label next: the ranking of the box and unlabelled cases orders the case list", async () => {
    await page.locator("[data-testid=start-suggest]").click();
    await page.waitForSelector("[data-testid=case-row] [data-testid=disagreement]", { timeout: JOB_TIMEOUT });
    assert.equal(await page.locator("[data-testid=case-sort]").inputValue(), "disagreement");
    const ranked = await page.locator("[data-testid=disagreement]").evaluateAll((els) => els.map((e) => Number(e.getAttribute("data-rank"))));
    assert.deepEqual(ranked, [1, 2, 3], "the three cases not fully labelled, most disputed first, at the top of the list");
    const ids = await page.locator("[data-testid=case-row]").evaluateAll((els) => els.map((e) => e.getAttribute("data-case")));
    assert.deepEqual(new Set(ids.slice(0, 3)), new Set([ds.ids[1], ds.ids[2], ds.ids[3]]));
    assert.match(await page.locator("[data-testid=suggest-note]").innerText(), /3 case\(s\) ranked by js disagreement/);
    await driver.shot("26-story-label-next.png", "aside.cases");
    // A second ranking replaces it; choosing the first job in the list brings the first one back.
    const note = () => page.locator("[data-testid=suggest-note]").innerText();
    const firstJob = /\(job ([^;]+);/.exec(await note())?.[1];
    assert.ok(firstJob, await note());
    await page.locator("[data-testid=start-suggest]").click();
    await page.locator("[data-testid=suggest-note]", { hasNotText: `job ${firstJob};` }).waitFor({ timeout: JOB_TIMEOUT });
    assert.match(await note(), /\(job [^;]+;/);
    await page.locator(`[data-testid=job-row][title^="${firstJob}"]`).click();
    await page.locator("[data-testid=suggest-note]", { hasText: `job ${firstJob};` }).waitFor({ timeout: 10_000 });
    await page.locator("[data-testid=case-sort]").selectOption("name");
    const byName = await page.locator("[data-testid=case-row]").evaluateAll((els) => els.map((e) => e.getAttribute("data-case")));
    assert.equal(byName[0], ds.ids[0]);
    assert.deepEqual(driver.errors, [], "no page errors");
  });
});
