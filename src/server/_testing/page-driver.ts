// What the browser tests of the page share: Debian's headless Chromium through playwright-core (no
// browser download), screenshots into test-artifacts/web/ checked for blankness, and the few
// mouse gestures the page needs (click a case, drag on a slice tile). The page exposes read-only
// geometry on `window.labelwise` (tiles, box rectangles) so the gestures land on real pixels.
import assert from "node:assert/strict";
import { existsSync } from "node:fs";
import { mkdir, mkdtemp, rm, writeFile } from "node:fs/promises";
import { tmpdir } from "node:os";
import path from "node:path";
import { fileURLToPath } from "node:url";
import type { BrowserContext, Page } from "playwright-core";
import { defaultWebRoot } from "../static-files.js";
import { decodePng, pixelStats } from "./png.js";

export const CHROMIUM = "/usr/bin/chromium";
const repoRoot = fileURLToPath(new URL("../../../../", import.meta.url));
/** Where screenshots go (git-ignored). */
export const artifactsDir = path.join(repoRoot, "test-artifacts", "web");

/** Why the browser tests cannot run here, or false when they can. */
export function browserSkipReason(): string | false {
  if (!existsSync(CHROMIUM)) return `Debian's Chromium is not installed (${CHROMIUM}); install it with: apt-get install -y chromium`;
  if (!existsSync(path.join(defaultWebRoot(), "index.html"))) return `the page is not built (${path.join(defaultWebRoot(), "index.html")} missing): run npm run build:web`;
  return false;
}

/** A screen rectangle in page pixels. */
export interface Rect {
  readonly left: number;
  readonly top: number;
  readonly width: number;
  readonly height: number;
}

/** A browser page on the labelwise page, with the gestures the tests use. */
export interface PageDriver {
  readonly ctx: BrowserContext;
  readonly page: Page;
  /** Page errors and console errors seen so far. */
  readonly errors: string[];
  /** Screenshot of `selector` saved as test-artifacts/web/<name>; fails when it looks blank. */
  shot(name: string, selector?: string): Promise<Buffer>;
  /** Where slice tile `axCorSag` (0 axial, 1 coronal, 2 sagittal) is on screen. */
  tile(axCorSag: number): Promise<Rect>;
  /** Mouse drag with the left button, in steps (as a hand would). */
  drag(from: readonly [number, number], to: readonly [number, number]): Promise<void>;
  /** Clicks a case in the list and waits until its volumes are shown. */
  openCase(id: string): Promise<void>;
  close(): Promise<void>;
}

/** Starts headless Chromium with a fresh profile and opens one page. */
export async function openBrowser(): Promise<PageDriver> {
  await mkdir(artifactsDir, { recursive: true });
  // The folder is test output: keep it out of git even where .gitignore does not list it.
  await writeFile(path.join(repoRoot, "test-artifacts", ".gitignore"), "*\n");
  const userDir = await mkdtemp(path.join(tmpdir(), "labelwise-chromium-"));
  const { chromium } = await import("playwright-core");
  const ctx = await chromium.launchPersistentContext(userDir, {
    executablePath: CHROMIUM,
    headless: true,
    viewport: { width: 1400, height: 900 },
    args: ["--headless", "--no-sandbox", "--disable-gpu", "--disable-quic", "--no-first-run", "--disable-background-networking", "--disable-component-update", "--disable-sync"],
  });
  const page = await ctx.newPage();
  const errors: string[] = [];
  page.on("pageerror", (e) => errors.push(`pageerror: ${e.message}`));
  page.on("console", (m) => {
    if (m.type() === "error") errors.push(`console: ${m.text()}`);
  });

  return {
    ctx,
    page,
    errors,
    async shot(name, selector = "#stage") {
      await page.waitForTimeout(300);
      const png = await page.locator(selector).screenshot({ path: path.join(artifactsDir, name) });
      const s = pixelStats(decodePng(png));
      assert.ok(s.std > 8 && s.colours > 20, `${name} looks blank: ${JSON.stringify(s)}`);
      return png;
    },
    async tile(axCorSag) {
      const tiles = (await page.evaluate(() => (globalThis as unknown as { labelwise: { tiles(): unknown[] } }).labelwise.tiles())) as (Rect & { axCorSag: number })[];
      const t = tiles.find((x) => x.axCorSag === axCorSag);
      assert.ok(t, `no tile ${axCorSag} on screen; tiles: ${JSON.stringify(tiles)}`);
      const canvas = (await page.locator("#gl").boundingBox())!;
      return { left: canvas.x + t.left, top: canvas.y + t.top, width: t.width, height: t.height };
    },
    async drag(from, to) {
      await page.mouse.move(from[0], from[1]);
      await page.mouse.down();
      await page.mouse.move(to[0], to[1], { steps: 8 });
      await page.mouse.up();
    },
    async openCase(id) {
      await page.locator(`[data-testid=case-row][data-case="${id}"]`).click();
      await page.waitForSelector(`body[data-loaded-case="${id}"]`);
    },
    async close() {
      await ctx.close();
      await rm(userDir, { recursive: true, force: true });
    },
  };
}
