/**
 * Plots without a browser: vega-lite spec → vega spec → vega View (renderer "none") → SVG string
 * (browser-safe; PNG rasterisation and files are in ../node/plot-files.ts).
 *
 * Non-finite values never reach the renderer (vega silently drops or mis-scales them):
 * - heatmap `z`: NaN cells are dropped (the grey plot background, NAN_GREY, shows through);
 *   ±Infinity cells are clamped to the largest/smallest finite z (or ±max|z| when `diverging`).
 *   Grid coordinates that are not finite drop their whole row/column. A subtitle says how many.
 * - heatmap overlay / line series: points with a non-finite x or y (or x ≤ 0 / y ≤ 0 on a log
 *   axis) are dropped and the line is broken there (no segment bridges the gap).
 * - error bars: a non-finite or negative `yErr` draws no bar; on a log y axis a lower end ≤ 0
 *   is clamped to the smallest positive value plotted.
 */
import * as vega from "vega";
import { compile, type TopLevelSpec } from "vega-lite";
import { InputError } from "../errors.js";

export type { TopLevelSpec } from "vega-lite";

export interface HeatmapOptions {
  /** Cell centres along x (length nx). */
  x: number[];
  /** Cell centres along y (length ny). */
  y: number[];
  /** Values, z[iy][ix] (ny rows of length nx). */
  z: number[][];
  xTitle: string;
  yTitle: string;
  zTitle: string;
  title: string;
  /** Diverging colour scale centred on 0 (blue < 0 < red), symmetric domain ±max|z|. */
  diverging?: boolean;
  /** Half-width of the diverging domain (default max|z|): fixes the colours across figures. */
  divergingRange?: number;
  /**
   * Curves drawn on top, e.g. the critical line, named in a legend by `label`; `dashed` draws
   * a curve dashed. Several curves may share a label (one legend entry, separate lines).
   */
  overlay?: Overlay | Overlay[];
  /**
   * Largest number of cells drawn (default 65 536 = 256×256). Bigger grids are subsampled by an
   * integer stride per axis (every k-th row/column, the last one always kept), so values shown
   * are exact grid values, never averages.
   */
  maxCells?: number;
  width?: number;
  height?: number;
}

export interface Overlay {
  x: number[];
  y: number[];
  label: string;
  dashed?: boolean;
}

export interface LineSeries {
  name: string;
  x: number[];
  y: number[];
  /** Symmetric error (e.g. standard error); drawn as a vertical bar y ± yErr. */
  yErr?: number[];
}

export interface LineOptions {
  series: LineSeries[];
  xTitle: string;
  yTitle: string;
  title: string;
  logX?: boolean;
  logY?: boolean;
  width?: number;
  height?: number;
}

const DEFAULT_MAX_CELLS = 256 * 256;
/** Plot-area colour of a heatmap: what a NaN (dropped) cell looks like. */
export const NAN_GREY = "#8c8c8c";

// ---------------------------------------------------------------------------------------------
// Heatmap

/** Cell edges for sorted centres: midpoints between neighbours, half a spacing beyond the ends. */
function edges(c: number[]): number[] {
  const n = c.length;
  if (n === 1) {
    const h = c[0] === 0 ? 0.5 : Math.abs(c[0]!) * 0.05;
    return [c[0]! - h, c[0]! + h];
  }
  const e = new Array<number>(n + 1);
  for (let i = 1; i < n; i++) e[i] = (c[i - 1]! + c[i]!) / 2;
  e[0] = c[0]! - (c[1]! - c[0]!) / 2;
  e[n] = c[n - 1]! + (c[n - 1]! - c[n - 2]!) / 2;
  return e;
}

/** Indices with finite coordinates, sorted by coordinate, subsampled with `stride`. */
function axisIndices(c: number[], stride: number): number[] {
  const idx = c.map((_, i) => i).filter((i) => Number.isFinite(c[i]));
  idx.sort((a, b) => c[a]! - c[b]!);
  if (stride <= 1 || idx.length <= 1) return idx;
  const out: number[] = [];
  for (let k = 0; k < idx.length; k += stride) out.push(idx[k]!);
  if (out[out.length - 1] !== idx[idx.length - 1]) out.push(idx[idx.length - 1]!);
  return out;
}

/** Splits a polyline at points that cannot be plotted; returns rows tagged with a segment id. */
function segmentRows(
  x: number[],
  y: number[],
  ok: (x: number, y: number) => boolean,
): { rows: { x: number; y: number; seg: number }[]; dropped: number } {
  const rows: { x: number; y: number; seg: number }[] = [];
  let seg = 0;
  let dropped = 0;
  let broken = false;
  const n = Math.min(x.length, y.length);
  for (let i = 0; i < n; i++) {
    const xi = x[i]!;
    const yi = y[i]!;
    if (Number.isFinite(xi) && Number.isFinite(yi) && ok(xi, yi)) {
      if (broken && rows.length > 0) seg++;
      broken = false;
      rows.push({ x: xi, y: yi, seg });
    } else {
      dropped++;
      broken = true;
    }
  }
  return { rows, dropped };
}

/** A vega-lite heatmap (rect marks with explicit quantitative edges; no binning, no ordinal axes). */
export function heatmapSpec(o: HeatmapOptions): TopLevelSpec {
  const ny = o.y.length;
  const nx = o.x.length;
  if (o.z.length !== ny)
    throw new InputError("z", `must have ${ny} rows (one per y), got ${o.z.length}`);
  for (let iy = 0; iy < ny; iy++) {
    if (o.z[iy]!.length !== nx) {
      throw new InputError(
        `z[${iy}]`,
        `must have ${nx} entries (one per x), got ${o.z[iy]!.length}`,
      );
    }
  }
  const maxCells = o.maxCells ?? DEFAULT_MAX_CELLS;
  if (!(maxCells >= 1)) throw new InputError("maxCells", `must be ≥ 1, got ${maxCells}`);
  const stride = Math.max(1, Math.ceil(Math.sqrt((nx * ny) / maxCells)));
  const ix = axisIndices(o.x, stride);
  const iy = axisIndices(o.y, stride);
  const xs = ix.map((i) => o.x[i]!);
  const ys = iy.map((i) => o.y[i]!);

  let zMin = Infinity;
  let zMax = -Infinity;
  for (const r of iy) {
    for (const c of ix) {
      const v = o.z[r]![c]!;
      if (Number.isFinite(v)) {
        if (v < zMin) zMin = v;
        if (v > zMax) zMax = v;
      }
    }
  }
  const anyFinite = zMin <= zMax;
  const zAbs = o.divergingRange ?? (anyFinite ? Math.max(Math.abs(zMin), Math.abs(zMax)) || 1 : 1);
  const hi = o.diverging ? zAbs : zMax;
  const lo = o.diverging ? -zAbs : zMin;

  const cells: { x0: number; x1: number; y0: number; y1: number; z: number }[] = [];
  let nanCells = 0;
  let infCells = 0;
  if (xs.length > 0 && ys.length > 0) {
    const ex = edges(xs);
    const ey = edges(ys);
    for (let b = 0; b < iy.length; b++) {
      const row = o.z[iy[b]!]!;
      for (let a = 0; a < ix.length; a++) {
        let v = row[ix[a]!]!;
        if (Number.isNaN(v) || typeof v !== "number") {
          nanCells++;
          continue;
        }
        if (!Number.isFinite(v)) {
          infCells++;
          if (!anyFinite) continue;
          v = v > 0 ? hi : lo;
        }
        cells.push({ x0: ex[a]!, x1: ex[a + 1]!, y0: ey[b]!, y1: ey[b + 1]!, z: v });
      }
    }
  }
  const xDomain = xs.length ? [edges(xs)[0]!, edges(xs)[xs.length]!] : [0, 1];
  const yDomain = ys.length ? [edges(ys)[0]!, edges(ys)[ys.length]!] : [0, 1];

  const notes: string[] = [];
  if (stride > 1)
    notes.push(`every ${stride}th grid point shown (${xs.length}×${ys.length} of ${nx}×${ny})`);
  if (nanCells) notes.push(`${nanCells} NaN cells shown grey`);
  if (infCells) {
    notes.push(
      anyFinite
        ? `${infCells} infinite cells clamped to the colour range`
        : `${infCells} infinite cells dropped (no finite value to clamp to)`,
    );
  }
  const droppedAxis =
    nx - o.x.filter(Number.isFinite).length + ny - o.y.filter(Number.isFinite).length;
  if (droppedAxis) notes.push(`${droppedAxis} non-finite grid coordinates dropped`);

  const xScale = { domain: xDomain, nice: false, zero: false };
  const yScale = { domain: yDomain, nice: false, zero: false };
  const colorScale = o.diverging
    ? { scheme: "redblue", reverse: true, domain: [-zAbs, zAbs], clamp: true }
    : { scheme: "viridis", ...(anyFinite && zMin < zMax ? { domain: [zMin, zMax] } : {}) };

  const heat = {
    data: { values: cells },
    mark: { type: "rect" as const, aria: false },
    encoding: {
      x: { field: "x0", type: "quantitative" as const, title: o.xTitle, scale: xScale },
      x2: { field: "x1" },
      y: { field: "y0", type: "quantitative" as const, title: o.yTitle, scale: yScale },
      y2: { field: "y1" },
      color: { field: "z", type: "quantitative" as const, title: o.zTitle, scale: colorScale },
    },
  };

  const layer: unknown[] = [heat];
  const overlays = o.overlay === undefined ? [] : [o.overlay].flat();
  if (overlays.length) {
    const values: { x: number; y: number; seg: number; label: string }[] = [];
    let segBase = 0;
    let dropped = 0;
    for (const ov of overlays) {
      const { rows, dropped: d } = segmentRows(ov.x, ov.y, () => true);
      dropped += d;
      for (const r of rows) values.push({ x: r.x, y: r.y, seg: segBase + r.seg, label: ov.label });
      segBase += (rows[rows.length - 1]?.seg ?? 0) + 1;
    }
    if (dropped) notes.push(`${dropped} non-finite overlay points dropped`);
    const labels = [...new Set(overlays.map((ov) => ov.label))];
    const dashed = (label: string) => overlays.some((ov) => ov.label === label && ov.dashed);
    const legend = { title: null, symbolType: "stroke" };
    layer.push({
      data: { values },
      mark: { type: "line", strokeWidth: 2, clip: true, interpolate: "linear" },
      encoding: {
        x: { field: "x", type: "quantitative", scale: xScale },
        y: { field: "y", type: "quantitative", scale: yScale },
        detail: { field: "seg", type: "nominal" },
        stroke: {
          field: "label",
          type: "nominal",
          scale: { domain: labels, range: labels.map(() => "black") },
          legend,
        },
        strokeDash: {
          field: "label",
          type: "nominal",
          scale: { domain: labels, range: labels.map((l) => (dashed(l) ? [6, 4] : [1, 0])) },
          legend,
        },
      },
    });
  }

  return {
    $schema: "https://vega.github.io/schema/vega-lite/v6.json",
    title: notes.length ? { text: o.title, subtitle: notes.join("; ") } : { text: o.title },
    width: o.width ?? 400,
    height: o.height ?? 360,
    background: "white",
    layer,
    // The plot area is grey so that dropped (NaN) cells are visible, not mistaken for a colour.
    config: { view: { stroke: null, fill: NAN_GREY }, axis: { grid: false } },
  } as TopLevelSpec;
}

// ---------------------------------------------------------------------------------------------
// Lines

/** A vega-lite line chart: one coloured line (+points) per series, optional error bars. */
export function lineSpec(o: LineOptions): TopLevelSpec {
  const okX = (x: number) => !o.logX || x > 0;
  const okY = (y: number) => !o.logY || y > 0;
  const points: { series: string; x: number; y: number; seg: number }[] = [];
  let segBase = 0;
  const bars: { series: string; x: number; lo: number; hi: number }[] = [];
  let dropped = 0;
  let minPosY = Infinity;
  for (const s of o.series) {
    const { rows, dropped: d } = segmentRows(s.x, s.y, (x, y) => okX(x) && okY(y));
    dropped += d;
    for (const r of rows) {
      points.push({ series: s.name, x: r.x, y: r.y, seg: segBase + r.seg });
      if (r.y > 0 && r.y < minPosY) minPosY = r.y;
    }
    segBase += (rows[rows.length - 1]?.seg ?? 0) + 1;
  }
  for (const s of o.series) {
    if (!s.yErr) continue;
    const n = Math.min(s.x.length, s.y.length, s.yErr.length);
    for (let i = 0; i < n; i++) {
      const x = s.x[i]!;
      const y = s.y[i]!;
      const e = s.yErr[i]!;
      if (!Number.isFinite(x) || !Number.isFinite(y) || !okX(x) || !okY(y)) continue;
      if (!Number.isFinite(e) || e < 0) continue;
      let lo = y - e;
      const hi = y + e;
      if (o.logY && lo <= 0) lo = minPosY;
      bars.push({ series: s.name, x, lo, hi });
    }
  }
  // padding (px) keeps the end points and their error bars off the frame, where clip would cut them.
  const xScale = o.logX ? { type: "log" as const, padding: 10 } : { zero: false, padding: 10 };
  const yScale = o.logY ? { type: "log" as const } : { zero: false };
  const color = {
    field: "series",
    type: "nominal" as const,
    title: null,
    sort: o.series.map((s) => s.name),
  };
  const layer: unknown[] = [
    {
      data: { values: points },
      mark: { type: "line", point: { filled: true, size: 30 }, clip: true },
      encoding: {
        x: { field: "x", type: "quantitative", title: o.xTitle, scale: xScale },
        y: { field: "y", type: "quantitative", title: o.yTitle, scale: yScale },
        color,
        detail: { field: "seg", type: "nominal" },
      },
    },
  ];
  if (bars.length) {
    layer.push({
      data: { values: bars },
      mark: { type: "rule", clip: true },
      encoding: {
        x: { field: "x", type: "quantitative", scale: xScale },
        y: { field: "lo", type: "quantitative", scale: yScale },
        y2: { field: "hi" },
        color,
      },
    });
  }
  return {
    $schema: "https://vega.github.io/schema/vega-lite/v6.json",
    title: dropped
      ? {
          text: o.title,
          subtitle: `${dropped} points not plottable (non-finite or ≤ 0 on a log axis) dropped`,
        }
      : { text: o.title },
    width: o.width ?? 480,
    height: o.height ?? 320,
    background: "white",
    layer,
  } as TopLevelSpec;
}

/**
 * Charts stacked vertically (vega-lite vconcat), each keeping its own title, axes and colour
 * legend (colour scales resolved independently, so equal series names in two panels don't merge).
 */
export function stackSpecs(specs: TopLevelSpec[]): TopLevelSpec {
  const panels = specs.map((spec) => {
    const {
      $schema: _schema,
      background: _background,
      ...rest
    } = spec as unknown as Record<string, unknown>;
    return rest;
  });
  return {
    $schema: "https://vega.github.io/schema/vega-lite/v6.json",
    background: "white",
    vconcat: panels,
    resolve: { scale: { color: "independent" } },
  } as unknown as TopLevelSpec;
}

// ---------------------------------------------------------------------------------------------
// Rendering

/** Renders a vega-lite spec to an SVG document (headless: no canvas, no DOM). */
export async function renderSvg(spec: TopLevelSpec): Promise<string> {
  const vg = compile(spec).spec;
  const view = new vega.View(vega.parse(vg), { renderer: "none", logLevel: vega.Error });
  try {
    return compactSvg(await view.toSVG());
  } finally {
    view.finalize();
  }
}

const round2 = (m: string) => {
  const r = Math.round(Number(m) * 100) / 100;
  return Object.is(r, -0) ? "0" : String(r);
};
const hex2 = (v: string) => Number(v).toString(16).padStart(2, "0");

/**
 * Shrinks vega's SVG (a 256×256 heatmap is ~6 MB raw, ~3 MB after this): path coordinates are
 * rounded to 0.01 px, `fill="rgb(r, g, b)"` becomes `#rrggbb`. Rect marks get
 * `shape-rendering="crispEdges"` so that adjacent heatmap cells show no anti-aliasing seams.
 */
function compactSvg(svg: string): string {
  return svg
    .replace(
      / d="([^"]*)"/g,
      (_m, d: string) => ` d="${d.replace(/-?\d*\.\d+(?:e-?\d+)?/g, round2)}"`,
    )
    .replace(
      /fill="rgb\((\d+), ?(\d+), ?(\d+)\)"/g,
      (_m, r, g, b) => `fill="#${hex2(r)}${hex2(g)}${hex2(b)}"`,
    )
    .replace(
      /<g class="mark-rect role-mark /g,
      '<g shape-rendering="crispEdges" class="mark-rect role-mark ',
    );
}
