/**
 * The explorer page (web/): `npm run explorer` serves it, `npm run build:web` builds it into
 * web/dist. The page imports critkit's own modules (../src), bundled for the browser.
 */
import { createHash } from "node:crypto";
import { defineConfig, type Plugin } from "vite";

/**
 * Node built-ins in the browser bundle. src/nets/jax.ts reaches node:* only through dynamic
 * imports behind a Node check, and the public entry also re-exports Node-only modules (data files,
 * checkpoints) the page never calls. Here each built-in becomes a side-effect-free module whose
 * every export throws when used, so tree-shaking drops whatever the page does not call and
 * anything that slips through fails loudly (the browser test checks none is ever requested).
 */
const NODE_ONLY = "\0node-only:";
const nodeOnly: Plugin = {
  name: "critkit-node-only",
  enforce: "pre",
  resolveId: (id) =>
    id.startsWith("node:") ? { id: `${NODE_ONLY}${id}`, moduleSideEffects: false } : null,
  async load(id) {
    if (!id.startsWith(NODE_ONLY)) return null;
    const name = id.slice(NODE_ONLY.length);
    // The built-in's own export names (this config runs in Node), each bound to a stand-in that
    // throws when called, constructed or read: importing is harmless, using is an error.
    const exports = Object.keys(await import(name)).filter((k) => /^[A-Za-z_$][\w$]*$/.test(k));
    return [
      `const fail = (what) => { throw new Error(\`${name}: \${what} is Node-only and must not be used in a browser\`); };`,
      'const stub = (what) => new Proxy(function () {}, { apply: () => fail(what), construct: () => fail(what), get: (_, k) => fail(what + "." + String(k)) });',
      ...exports.map((k) =>
        k === "default"
          ? `export default stub("default");`
          : `export const ${k} = stub(${JSON.stringify(k)});`,
      ),
    ].join("\n");
  },
};

/**
 * Offline once loaded: emits sw.js, a service worker that caches every file of the build at
 * install (a new cache per build) and answers from that cache first.
 */
const offline: Plugin = {
  name: "critkit-offline",
  apply: "build",
  // Only the built page registers it (the dev server has no sw.js); data-offline-ready tells tests.
  transformIndexHtml: () => [
    {
      tag: "script",
      injectTo: "body",
      children: `if ("serviceWorker" in navigator) {
  navigator.serviceWorker.register("./sw.js").then(async () => {
    await navigator.serviceWorker.ready;
    if (!navigator.serviceWorker.controller) {
      await new Promise((r) => navigator.serviceWorker.addEventListener("controllerchange", r, { once: true }));
    }
    document.body.dataset.offlineReady = "true";
  });
}`,
    },
  ],
  generateBundle(_options, bundle) {
    // code only: not the never-loaded Node-only stubs, nor data files of Node-only modules
    const built = Object.keys(bundle).filter(
      (f) => /\.(js|css|html)$/.test(f) && !f.includes("node-only"),
    );
    const files = [...new Set(["./", "./index.html", ...built.map((f) => `./${f}`)])];
    const version = createHash("sha256").update(files.join("\n")).digest("hex").slice(0, 12);
    this.emitFile({
      type: "asset",
      fileName: "sw.js",
      source: `const CACHE = "critkit-explorer-${version}";
const FILES = ${JSON.stringify(files)};
self.addEventListener("install", (e) => {
  e.waitUntil(caches.open(CACHE).then((c) => c.addAll(FILES)).then(() => self.skipWaiting()));
});
self.addEventListener("activate", (e) => {
  e.waitUntil(
    caches.keys()
      .then((keys) => Promise.all(keys.filter((k) => k !== CACHE).map((k) => caches.delete(k))))
      .then(() => self.clients.claim()),
  );
});
self.addEventListener("fetch", (e) => {
  if (e.request.method !== "GET") return;
  e.respondWith(caches.match(e.request, { ignoreSearch: true, ignoreVary: true }).then((hit) => hit || fetch(e.request)));
});
`,
    });
  },
};

export default defineConfig({
  root: import.meta.dirname,
  base: "./",
  plugins: [nodeOnly, offline],
  build: {
    outDir: "dist",
    emptyOutDir: true,
    target: "es2022",
    chunkSizeWarningLimit: 2000,
    reportCompressedSize: false,
  },
  worker: { format: "es", plugins: () => [nodeOnly] },
  esbuild: { target: "es2022" },
  optimizeDeps: { esbuildOptions: { target: "es2022" } },
  server: { host: "127.0.0.1" },
  preview: { host: "127.0.0.1" },
});
