/**
 * Build, serve and open the explorer (web/) in Debian's Chromium through playwright-core: shared
 * by the browser test (test/web/explorer.browser.test.ts) and scripts/screenshot-explorer.ts.
 * Chromium comes from apt (scripts/setup-system.sh); playwright never downloads a browser here.
 */
import { existsSync, mkdtempSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { dirname, join } from "node:path";
import { fileURLToPath } from "node:url";
import { type BrowserContext, chromium, type Page } from "playwright-core";
import { build, preview } from "vite";

export const CHROMIUM = "/usr/bin/chromium";
const ROOT = join(dirname(fileURLToPath(import.meta.url)), "..");
const CONFIG = join(ROOT, "web", "vite.config.ts");

/** Flags for a root, offline, GPU-less headless Chromium (no calls home, no sandbox). */
export const CHROMIUM_FLAGS = [
  "--headless",
  "--no-sandbox",
  "--disable-gpu",
  "--disable-quic",
  "--no-first-run",
  "--disable-background-networking",
  "--disable-component-update",
  "--disable-sync",
];

export function chromiumAvailable(): boolean {
  return existsSync(CHROMIUM);
}

/** Builds web/ into web/dist (the same as `npm run build:web`). */
export async function buildExplorer(): Promise<void> {
  await build({ configFile: CONFIG, logLevel: "warn" });
}

/** Serves web/dist on a free localhost port. */
export async function serveExplorer(): Promise<{ url: string; close: () => Promise<void> }> {
  const server = await preview({
    configFile: CONFIG,
    logLevel: "warn",
    preview: { port: 0, strictPort: false, open: false },
  });
  const url = server.resolvedUrls?.local[0];
  if (!url) throw new Error("vite preview did not report a local URL");
  return { url, close: () => server.close() };
}

export interface ExplorerBrowser {
  context: BrowserContext;
  page: Page;
  /** console errors and uncaught page errors seen so far */
  errors: string[];
  /** every URL the page (and its workers) requested */
  requests: string[];
  close: () => Promise<void>;
}

/** Chromium with a fresh profile directory and one page at `url`. */
export async function openExplorer(
  url: string,
  viewport = { width: 1160, height: 760 },
): Promise<ExplorerBrowser> {
  const profile = mkdtempSync(join(tmpdir(), "critkit-chromium-"));
  const context = await chromium.launchPersistentContext(profile, {
    executablePath: CHROMIUM,
    headless: true,
    args: CHROMIUM_FLAGS,
    viewport,
  });
  const page = context.pages()[0] ?? (await context.newPage());
  const errors: string[] = [];
  const requests: string[] = [];
  context.on("request", (r) => requests.push(r.url()));
  page.on("pageerror", (e) => errors.push(e.message));
  page.on("console", (m) => {
    if (m.type() === "error") errors.push(m.text());
  });
  await page.goto(url);
  return {
    context,
    page,
    errors,
    requests,
    close: async () => {
      await context.close();
      rmSync(profile, { recursive: true, force: true });
    },
  };
}

/** Waits until the page shows the phase diagram and the measurement of its current settings. */
export async function waitForResults(page: Page, timeout = 60_000): Promise<void> {
  try {
    await page.waitForFunction(
      () =>
        document.body.dataset.phaseReady === "true" &&
        document.body.dataset.empiricalReady === "true",
      undefined,
      { timeout },
    );
  } catch (e) {
    const status = await page.$eval("#status", (el) => el.textContent?.replace(/\s+/g, " "));
    throw new Error(`explorer results not ready after ${timeout} ms (status: ${status})`, {
      cause: e,
    });
  }
}
