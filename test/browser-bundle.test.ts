/**
 * The library core (src/index.ts: theory, layers, models, diagnostics) bundles for the browser
 * unchanged: esbuild with platform "browser" succeeds and no `node:` module enters the bundle.
 * The Node adapter (src/nets/node-shims.ts) is imported dynamically by src/nets/jax.ts only when
 * running on Node; a browser bundle leaves it out (it is the one module marked external here).
 */
import { join } from "node:path";
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
          b.onResolve({ filter: /^node:|\/node-shims\.js$/ }, (args) => {
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
  expect(external).toEqual(["./node-shims.js"]);
});
