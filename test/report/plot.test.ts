import { mkdtemp, readFile, rm } from "node:fs/promises";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { InputError } from "../../src/errors.js";
import { fontInfo, renderPng, renderRgba, writePlot } from "../../src/node/plot-files.js";
import { heatmapSpec, lineSpec, NAN_GREY, renderSvg } from "../../src/report/plot.js";

/** The <path> elements of the heatmap's cell group (the rect marks). */
function heatCells(svg: string): string[] {
  const g = svg.match(
    /<g shape-rendering="crispEdges" class="mark-rect role-mark[^>]*?(\/?)>(.*?)<\/g>/s,
  );
  if (!g || g[1] === "/") return [];
  return g[2]!.match(/<path [^>]*>/g) ?? [];
}
const fillOf = (path: string) => path.match(/fill="([^"]*)"/)?.[1];

/** The <path> elements of all line-mark groups (vega makes one group per line). */
function linePaths(svg: string): string[] {
  const out: string[] = [];
  for (const g of svg.matchAll(/<g class="mark-line role-mark[^>]*>(.*?)<\/g>/gs)) {
    out.push(...(g[1]!.match(/<path [^>]*>/g) ?? []));
  }
  return out;
}

/** True if a non-finite number leaked into the drawing (our own subtitle may say "NaN cells"). */
const leaked = (svg: string) => /NaN|Infinity/.test(svg.replace(/\d+ NaN cells/g, ""));

function svgSize(svg: string): { w: number; h: number } {
  const m = svg.match(/<svg [^>]*width="([\d.]+)" height="([\d.]+)"/);
  if (!m) throw new Error("no svg size");
  return { w: Number(m[1]), h: Number(m[2]) };
}

/** Width and height from a PNG's IHDR chunk (bytes 16..23, big-endian). */
function pngSize(png: Uint8Array): { w: number; h: number } {
  const dv = new DataView(png.buffer, png.byteOffset, png.byteLength);
  expect(String.fromCharCode(...png.subarray(12, 16))).toBe("IHDR");
  return { w: dv.getUint32(16), h: dv.getUint32(20) };
}
const PNG_SIGNATURE = [0x89, 0x50, 0x4e, 0x47, 0x0d, 0x0a, 0x1a, 0x0a];

const grid = (nx: number, ny: number) => ({
  x: Array.from({ length: nx }, (_, i) => 1 + i),
  y: Array.from({ length: ny }, (_, j) => 0.1 * j),
});
const base = { xTitle: "sigma_w^2", yTitle: "sigma_b^2", zTitle: "log J" };

describe("heatmapSpec + renderSvg", () => {
  it("draws one rect per cell and the titles", async () => {
    const { x, y } = grid(4, 3);
    const z = y.map((_, j) => x.map((_, i) => i + 10 * j));
    const svg = await renderSvg(heatmapSpec({ ...base, x, y, z, title: "Tiny phase diagram" }));
    expect(svg.startsWith("<svg")).toBe(true);
    expect(svg).toContain("Tiny phase diagram");
    expect(svg).toContain("sigma_w^2");
    expect(svg).toContain("log J");
    const cells = heatCells(svg);
    expect(cells).toHaveLength(12);
    // 12 distinct values on a continuous scale → 12 distinct colours, none of them the NaN grey.
    expect(new Set(cells.map(fillOf)).size).toBe(12);
    expect(cells.map(fillOf)).not.toContain(NAN_GREY);
    expect(leaked(svg)).toBe(false);
  });

  it("cells tile the plot area exactly (edges at midpoints, no gaps)", async () => {
    const { x, y } = grid(5, 2);
    const z = y.map(() => x.map((v) => v));
    const svg = await renderSvg(
      heatmapSpec({ ...base, x, y, z, title: "t", width: 500, height: 100 }),
    );
    const widths = heatCells(svg).map((p) => Number(p.match(/ d="M[^h]*h([\d.]+)/)![1]));
    expect(widths).toHaveLength(10);
    for (const w of widths) expect(w).toBeCloseTo(100, 1);
  });

  it("drops NaN cells, clamps ±Infinity, and says so", async () => {
    const { x, y } = grid(3, 3);
    const z = [
      [0, 1, 2],
      [3, Number.NaN, 5],
      [6, 7, Number.POSITIVE_INFINITY],
    ];
    z[0]![0] = Number.NEGATIVE_INFINITY;
    const spec = heatmapSpec({ ...base, x, y, z, title: "bad values" });
    const svg = await renderSvg(spec);
    const cells = heatCells(svg);
    expect(cells).toHaveLength(8);
    expect(leaked(svg)).toBe(false);
    expect(svg).toContain("1 NaN cells shown grey");
    expect(svg).toContain("2 infinite cells clamped");
    // +Inf is drawn in the colour of the largest finite value (7), -Inf in that of the smallest (1).
    const layer0 = (spec as { layer: { data: { values: { z: number }[] } }[] }).layer[0]!;
    expect(layer0.data.values.map((c) => c.z)).toEqual([1, 1, 2, 3, 5, 6, 7, 7]);
    const fills = cells.map(fillOf);
    const count = (f: string | undefined) => fills.filter((v) => v === f).length;
    // Order of cells follows the data: rows y0..y2, columns x0..x2, NaN skipped.
    expect(fills[0]).toBe(fills[1]); // -Inf clamped to min finite (1)
    expect(fills[7]).toBe(fills[6]); // +Inf clamped to max finite (7)
    expect(count(fills[0])).toBe(2);
    // The NaN cell is visible as the grey plot background.
    expect(svg).toContain(`fill="${NAN_GREY}"`);
  });

  it("survives an all-NaN grid and non-finite grid coordinates", async () => {
    const svg1 = await renderSvg(
      heatmapSpec({
        ...base,
        x: [1, 2],
        y: [1, 2],
        z: [
          [Number.NaN, Number.NaN],
          [Number.NaN, Number.NaN],
        ],
        title: "empty",
      }),
    );
    expect(svg1).toContain("empty");
    expect(heatCells(svg1)).toHaveLength(0);
    const svg2 = await renderSvg(
      heatmapSpec({
        ...base,
        x: [1, Number.NaN, 3],
        y: [1, 2],
        z: [
          [1, 2, 3],
          [4, 5, 6],
        ],
        title: "xnan",
      }),
    );
    expect(heatCells(svg2)).toHaveLength(4);
    expect(svg2).toContain("1 non-finite grid coordinates dropped");
  });

  it("subsamples by an integer stride above maxCells, keeping the last row/column", async () => {
    const { x, y } = grid(10, 10);
    const z = y.map((_, j) => x.map((_, i) => i * j));
    const spec = heatmapSpec({ ...base, x, y, z, title: "big", maxCells: 25 });
    const svg = await renderSvg(spec);
    expect(heatCells(svg)).toHaveLength(36); // indices 0,2,4,6,8,9 per axis
    expect(svg).toContain("every 2th grid point shown (6×6 of 10×10)");
  });

  it("diverging scale is symmetric around 0", () => {
    const spec = heatmapSpec({
      ...base,
      x: [1, 2],
      y: [1],
      z: [[-1, 3]],
      title: "d",
      diverging: true,
    });
    const json = JSON.stringify(spec);
    expect(json).toContain('"domain":[-3,3]');
  });

  it("draws the overlay line on top, broken at non-finite points, with its label", async () => {
    const { x, y } = grid(4, 4);
    const z = y.map((_, j) => x.map((_, i) => i - j));
    const svg = await renderSvg(
      heatmapSpec({
        ...base,
        x,
        y,
        z,
        title: "with overlay",
        overlay: { x: [1, 2, 3, 4], y: [0.05, Number.NaN, 0.2, 0.25], label: "critical line" },
      }),
    );
    expect(svg).toContain("critical line");
    const lines = linePaths(svg);
    expect(lines).toHaveLength(2); // split at the NaN: [1] and [3, 4]
    expect(svg.indexOf("mark-line role-mark")).toBeGreaterThan(svg.indexOf("mark-rect role-mark"));
    expect(leaked(svg)).toBe(false);
  });

  it("rejects a z of the wrong shape", () => {
    expect(() => heatmapSpec({ ...base, x: [1, 2], y: [1], z: [[1]], title: "t" })).toThrow(
      InputError,
    );
    expect(() => heatmapSpec({ ...base, x: [1, 2], y: [1, 2], z: [[1, 2]], title: "t" })).toThrow(
      InputError,
    );
  });
});

describe("lineSpec + renderSvg", () => {
  it("one line per series, error bars, non-finite and log-invalid points dropped", async () => {
    const spec = lineSpec({
      series: [
        { name: "theory", x: [1, 2, 3, 4], y: [1, 0.5, 0.25, 0.125] },
        {
          name: "empirical",
          x: [1, 2, 3, 4],
          y: [1.1, Number.NaN, 0.3, -1],
          yErr: [0.1, 0.1, 0.5, 0.1],
        },
      ],
      xTitle: "layer",
      yTitle: "APJN",
      title: "APJN by layer",
      logY: true,
    });
    const svg = await renderSvg(spec);
    expect(svg).toContain("APJN by layer");
    expect(svg).toContain("theory");
    expect(svg).toContain("empirical");
    expect(svg).toContain("2 points not plottable");
    expect(leaked(svg)).toBe(false);
    // theory: one path; empirical: the NaN breaks it into [1] and [3] → 3 paths.
    expect(linePaths(svg)).toHaveLength(3);
    // error bars at x=1 and x=3 (x=3's lower end 0.3-0.5 < 0 is clamped on the log axis).
    const rules = svg.match(/<g class="mark-rule role-mark[^>]*>(.*?)<\/g>/s);
    expect(rules).not.toBeNull();
    expect(rules![1]!.match(/<line /g)).toHaveLength(2);
  });
});

describe("renderPng", () => {
  let svg: string;
  beforeAll(async () => {
    const { x, y } = grid(8, 8);
    svg = await renderSvg(
      heatmapSpec({ ...base, x, y, z: y.map((_, j) => x.map((_, i) => i + j)), title: "png" }),
    );
  });

  it("writes a PNG of the SVG's size × scale", () => {
    const { w, h } = svgSize(svg);
    for (const scale of [1, 2]) {
      const png = renderPng(svg, scale);
      expect([...png.subarray(0, 8)]).toEqual(PNG_SIGNATURE);
      expect(pngSize(png)).toEqual({ w: Math.round(w * scale), h: Math.round(h * scale) });
    }
    expect(() => renderPng(svg, 0)).toThrow(InputError);
  });

  it("renders text with a real font (fails if no font was found)", () => {
    const info = fontInfo();
    expect(info.files.length + (info.systemScan ? 1 : 0)).toBeGreaterThan(0);
    const textOnly =
      '<svg xmlns="http://www.w3.org/2000/svg" width="120" height="30">' +
      '<text x="5" y="22" font-family="sans-serif" font-size="20" fill="#000">Hello</text></svg>';
    const { width, height, pixels } = renderRgba(textOnly, 1);
    expect([width, height]).toEqual([120, 30]);
    let dark = 0;
    for (let i = 0; i < pixels.length; i += 4) if (pixels[i]! < 128) dark++;
    expect(dark).toBeGreaterThan(50);
  });
});

describe("writePlot", () => {
  let dir: string;
  beforeAll(async () => {
    dir = await mkdtemp(join(tmpdir(), "critkit-plot-"));
  });
  afterAll(async () => {
    await rm(dir, { recursive: true, force: true });
  });

  it("writes .svg and .png by extension, creating folders", async () => {
    const spec = lineSpec({
      series: [{ name: "a", x: [0, 1, 2], y: [0, 1, 4], yErr: [0.1, 0.2, Number.NaN] }],
      xTitle: "x",
      yTitle: "y",
      title: "written",
    });
    await writePlot(join(dir, "sub", "p.svg"), spec);
    await writePlot(join(dir, "sub", "p.png"), spec, { scale: 1 });
    const svg = await readFile(join(dir, "sub", "p.svg"), "utf8");
    expect(svg).toContain("written");
    const png = new Uint8Array(await readFile(join(dir, "sub", "p.png")));
    expect([...png.subarray(0, 8)]).toEqual(PNG_SIGNATURE);
    expect(pngSize(png)).toEqual({ w: svgSize(svg).w, h: svgSize(svg).h });
    await expect(writePlot(join(dir, "p.pdf"), spec)).rejects.toThrow(InputError);
  });
});
