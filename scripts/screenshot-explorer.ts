/**
 * Produces docs/figures/explorer.png (the README's picture of the explorer): builds web/, serves
 * it on localhost and screenshots it in Debian's Chromium once the phase diagram and the live
 * measurement are shown. Usage: npm run screenshot [-- out.png]
 */
import {
  buildExplorer,
  CHROMIUM,
  chromiumAvailable,
  openExplorer,
  serveExplorer,
  waitForResults,
} from "./explorer-browser.js";

const out = process.argv[2] ?? "docs/figures/explorer.png";
/** A tanh network near its critical line, measured on Wasm (same picture on every machine). */
const QUERY = "?activation=tanh&sigmaW2=1.9&sigmaB2=0.05&depth=30&width=256&device=wasm";

if (!chromiumAvailable()) {
  process.stderr.write(
    `critkit: ${CHROMIUM} is missing: install it with scripts/setup-system.sh\n`,
  );
  process.exit(2);
}
await buildExplorer();
const server = await serveExplorer();
const browser = await openExplorer(`${server.url}${QUERY}`, { width: 1160, height: 700 });
try {
  await waitForResults(browser.page);
  // One step of the σ_w² slider and back: the timing shown is then a slider update's, not the
  // first one's (which also sets up the activation's quadrature).
  await browser.page.focus("#sigma-w2");
  await browser.page.keyboard.press("ArrowRight");
  await browser.page.keyboard.press("ArrowLeft");
  await browser.page.locator("#sigma-w2").blur();
  await waitForResults(browser.page);
  await browser.page.screenshot({ path: out });
  if (browser.errors.length) throw new Error(`page errors: ${browser.errors.join("; ")}`);
  process.stdout.write(`wrote ${out}\n`);
} finally {
  await browser.close();
  await server.close();
}
