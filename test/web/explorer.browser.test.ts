/**
 * The explorer page (web/) in a real browser: Debian's Chromium driven by playwright-core.
 * Builds web/ with Vite, serves web/dist on localhost, moves controls and checks that the numbers
 * and the figures show critkit's theory for the new settings (expected values computed here with
 * src/theory, not by the page's code), that a theory update takes < 100 ms, that the finite
 * network measured in the browser's jax-js worker gives the same APJN as the same measurement
 * in Node, and that the page keeps working offline. Saves test-artifacts/explorer.png.
 */
import { mkdirSync } from "node:fs";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import {
  buildExplorer,
  CHROMIUM,
  chromiumAvailable,
  type ExplorerBrowser,
  openExplorer,
  serveExplorer,
  waitForResults,
} from "../../scripts/explorer-browser.js";
import { activation, measureApjn, mlpArchitecture, mlpBlock } from "../../src/index.js";
import { gaussianKernel } from "../../src/theory/kernel.js";
import { PHASES, phaseOf } from "../../src/theory/phase.js";
import { propagate } from "../../src/theory/recurrence.js";

type LN = "none" | "pre" | "post";

/** Theory of an L-block MLP from q⁰ = 1, straight from src/theory + the block definition. */
function expected(
  a: string,
  sigmaW2: number,
  sigmaB2: number,
  layernorm: LN,
  mu: number,
  L: number,
) {
  const block = mlpBlock({ activation: activation(a), sigmaW2, sigmaB2, layernorm, mu });
  const t = propagate(block, gaussianKernel(1), L);
  const chi = t.chi[L - 1]!;
  return {
    chi,
    log10J: t.logJ[L]! / Math.LN10,
    q: t.q[L]!,
    phase: PHASES[phaseOf(Math.log(chi), L)],
  };
}

describe("explorer page in Chromium", () => {
  let server: Awaited<ReturnType<typeof serveExplorer>>;
  let browser: ExplorerBrowser;

  beforeAll(async () => {
    // npm test installs it first (pretest); a missing browser fails this test, never skips it
    if (!chromiumAvailable())
      throw new Error(
        `${CHROMIUM} is missing: scripts/setup-system.sh (npm test's pretest) installs it with apt as root or with password-less sudo`,
      );
    await buildExplorer();
    server = await serveExplorer();
    browser = await openExplorer(server.url);
  });

  afterAll(async () => {
    await browser?.close();
    await server?.close();
  });

  const value = (id: string) =>
    browser.page.$eval(`#${id}`, (el) => (el as HTMLElement).dataset.value ?? "");
  const num = async (id: string) => Number(await value(id));

  /** The page shows `e` (after the frame that applies the last input); `timed`: within 100 ms. */
  async function expectTheory(e: ReturnType<typeof expected>, timed = true) {
    await browser.page.evaluate(
      () => new Promise((resolve) => requestAnimationFrame(() => setTimeout(resolve))),
    );
    expect(await num("chi-last")).toBeCloseTo(e.chi, 10);
    expect(await num("log-j")).toBeCloseTo(e.log10J, 10);
    expect((await num("q-last")) / e.q).toBeCloseTo(1, 12);
    expect(await value("phase")).toBe(e.phase);
    if (timed) expect(await num("theory-ms")).toBeLessThan(100);
  }

  it("moves a slider: numbers, marker and curve follow the theory within 100 ms", async () => {
    const { page } = browser;
    await waitForResults(page);
    await expectTheory(expected("tanh", 1.5, 0.05, "none", 0, 20), false);
    const curveBefore = await page.getAttribute("#theory-line", "points");
    const markerBefore = Number(await page.getAttribute("#phase-marker", "cx"));

    // Timed in the page: from the slider's input event to the next painted frame, five moves.
    const times: number[] = [];
    for (const v of ["2", "2.1", "2.2", "2.3", "2.4"]) {
      times.push(
        await page.evaluate(
          (v) =>
            new Promise<number>((resolve) => {
              const slider = document.getElementById("sigma-w2") as HTMLInputElement;
              const start = performance.now();
              slider.value = v;
              slider.dispatchEvent(new Event("input", { bubbles: true }));
              requestAnimationFrame(() => setTimeout(() => resolve(performance.now() - start)));
            }),
          v,
        ),
      );
    }
    times.sort((a, b) => a - b);
    console.log(`theory update to painted frame: ${times.map((t) => t.toFixed(1)).join(", ")} ms`);
    expect(times[2]).toBeLessThan(100);
    await page.locator("#sigma-w2").fill("2.4");
    const e = expected("tanh", 2.4, 0.05, "none", 0, 20);
    await expectTheory(e);
    expect(e.phase).toBe("chaotic");
    // marker: σ_w² axis maps [0.1, 4] onto pixels [52, 386]
    const marker = Number(await page.getAttribute("#phase-marker", "cx"));
    expect(marker).toBeGreaterThan(markerBefore);
    expect(marker).toBeCloseTo(52 + ((2.4 - 0.1) / 3.9) * 334, 0);
    const curve = (await page.getAttribute("#theory-line", "points"))!.split(" ");
    expect(curve).toHaveLength(21);
    expect(curve.join(" ")).not.toBe(curveBefore);

    await page.locator("#layernorm").selectOption("pre");
    await page.locator("#mu").fill("0.5");
    await expectTheory(expected("tanh", 2.4, 0.05, "pre", 0.5, 20));
  });

  it("measures the finite network in the browser exactly as critkit does in Node", async () => {
    const { page } = browser;
    await waitForResults(page);
    const arch = mlpArchitecture({
      activations: [activation("tanh")],
      sigmaW2: 2.4,
      sigmaB2: 0.05,
      width: 128,
      depth: 20,
      layernorm: "pre",
      mu: 0.5,
    });
    const node = await measureApjn(arch, { seeds: [1, 2, 3], inputs: 4, probes: 8 });
    const inBrowser = await num("log-j-measured");
    expect(inBrowser).toBeCloseTo(node.logJ[19]! / Math.LN10, 4);
    expect(await value("device")).toMatch(/wasm|webgpu/);
    const points = await page.locator("#measured-points circle").count();
    expect(points).toBe(20);
  });

  it("reloads and keeps working offline, and saves a screenshot", async () => {
    const { page, context } = browser;
    await page.waitForFunction(() => document.body.dataset.offlineReady === "true");
    await context.setOffline(true);
    await page.reload();
    await waitForResults(page);
    await page.locator("#activation").selectOption("relu");
    await page.locator("#sigma-w2").fill("2");
    await page.locator("#sigma-b2").fill("0");
    await page.locator("#layernorm").selectOption("none");
    await page.locator("#mu").fill("0");
    await expectTheory(expected("relu", 2, 0, "none", 0, 20));
    await waitForResults(page);
    expect(await value("phase")).toBe("critical");
    mkdirSync("test-artifacts", { recursive: true });
    await page.screenshot({ path: "test-artifacts/explorer.png", fullPage: true });
    expect(browser.errors).toEqual([]);
    // The Node-only modules of src/nets/jax.ts are never loaded in the browser.
    expect(browser.requests.some((u) => u.includes("empirical.worker"))).toBe(true);
    expect(browser.requests.filter((u) => u.includes("node-only"))).toEqual([]);
  });
});
