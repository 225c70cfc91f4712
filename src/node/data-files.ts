/**
 * The data files shipped in the package's data/ folder (Node only), found from this module's
 * URL: works from src/ under vitest/tsx and from dist/. A `.gz` file is gunzipped.
 */
import { readFileSync } from "node:fs";
import { fileURLToPath } from "node:url";
import { gunzipSync } from "node:zlib";

/** The text of data/`name`. */
export function shippedDataText(name: string): string {
  const bytes = readFileSync(fileURLToPath(new URL(`../../data/${name}`, import.meta.url)));
  return (name.endsWith(".gz") ? gunzipSync(bytes) : bytes).toString("utf8");
}
