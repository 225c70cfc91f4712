/**
 * Produces the README's example report: `critkit report` on examples/mlp-tanh.yaml writes
 * docs/figures/report-mlp-tanh.html, and Debian's Chromium opens that self-contained file
 * (file://, no server) and screenshots its top as docs/figures/report.png.
 * Usage: npm run screenshot (after the explorer's picture), or tsx scripts/screenshot-report.ts
 */
import { pathToFileURL } from "node:url";
import { main } from "../src/cli/main.js";
import { CHROMIUM, chromiumAvailable, openExplorer } from "./explorer-browser.js";

const html = "docs/figures/report-mlp-tanh.html";
const png = "docs/figures/report.png";

if (!chromiumAvailable()) {
  process.stderr.write(
    `critkit: ${CHROMIUM} is missing: install it with scripts/setup-system.sh\n`,
  );
  process.exit(2);
}
const code = await main([
  "node",
  "critkit",
  "report",
  "--config",
  "examples/mlp-tanh.yaml",
  "--out",
  html,
]);
if (code !== 0) process.exit(code);
const browser = await openExplorer(pathToFileURL(html).href, { width: 1000, height: 1100 });
try {
  await browser.page.screenshot({ path: png });
  if (browser.errors.length) throw new Error(`page errors: ${browser.errors.join("; ")}`);
  process.stdout.write(`wrote ${png}\n`);
} finally {
  await browser.close();
}
