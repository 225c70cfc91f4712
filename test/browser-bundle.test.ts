/**
 * The library core (src/index.ts: theory, layers, models, diagnostics) bundles for the browser
 * unchanged: esbuild with platform "browser" succeeds and no `node:` module enters the bundle.
 * The Node adapter (src/node/jax-shims.ts) is imported dynamically by src/nets/jax.ts only when
 * running on Node; a browser bundle leaves it out (it is the one module marked external here).
 * Node built-ins are imported only by the Node adapter (src/node/, exported as `critkit/node`
 * from src/node.ts) and the CLI (src/cli/): no other module of src/ names a `node:` module.
 */
import { readdirSync, readFileSync } from "node:fs";
import { join, relative } from "node:path";
import { build } from "esbuild";
import { expect, it } from "vitest";

it("src/index.ts bundles for the browser with no node: imports", async () => {
  const root = join(import.meta.dirname, "..");
  const nodeImports: string[] = [];
  const result = await build({
    entryPoints: [join(root, "src/index.ts")],
    bundle: true,
    platform: "browser",
    format: "esm",
    write: false,
    metafile: true,
    logLevel: "silent",
    plugins: [
      {
        name: "node-adapter",
        setup(b) {
          b.onResolve({ filter: /^node:|\/jax-shims\.js$/ }, (args) => {
            if (args.path.startsWith("node:")) nodeImports.push(`${args.importer}: ${args.path}`);
            return { path: args.path, external: true };
          });
        },
      },
    ],
  });
  expect(result.errors).toEqual([]);
  expect(nodeImports).toEqual([]);
  const external = Object.values(result.metafile.outputs).flatMap((o) =>
    o.imports.filter((i) => i.external).map((i) => i.path),
  );
  expect(external).toEqual(["../node/jax-shims.js"]);
});

it("only src/node/ and src/cli/ import Node built-ins", () => {
  const src = join(import.meta.dirname, "../src");
  const files = readdirSync(src, { recursive: true, encoding: "utf8" })
    .filter((f) => f.endsWith(".ts"))
    .map((f) => join(src, f));
  const nodeImport = /(?:from\s+|import\s*\(\s*|require\(\s*)["']node:/;
  const importers = files
    .filter((f) => nodeImport.test(readFileSync(f, "utf8")))
    .map((f) => relative(src, f).split("\\").join("/"));
  expect(importers.length).toBeGreaterThan(3); // the scan sees the adapter's own imports
  expect(importers.filter((f) => !/^(node\/|cli\/|node\.ts$)/.test(f))).toEqual([]);
});
