/**
 * The explorer's two figures as hand-written SVG (no plotting library in the page): the phase
 * diagram (log χ_J heatmap, critical line, current point) and log₁₀ J^{0,l} against depth
 * (theory line, measured points with ±1 standard error bars).
 */

export interface Frame {
  width: number;
  height: number;
  left: number;
  right: number;
  top: number;
  bottom: number;
}

export const FRAME: Frame = { width: 400, height: 320, left: 52, right: 14, top: 14, bottom: 42 };

/** Linear map of [d0, d1] onto [r0, r1]. */
export function scaleLinear(d0: number, d1: number, r0: number, r1: number) {
  const k = d1 === d0 ? 0 : (r1 - r0) / (d1 - d0);
  return (v: number) => r0 + (v - d0) * k;
}

const f1 = (v: number) => v.toFixed(1);

/** About `n` round tick values covering [a, b]. */
export function ticks(a: number, b: number, n = 5): number[] {
  const span = b - a;
  if (!(span > 0)) return [a];
  const raw = span / n;
  const mag = 10 ** Math.floor(Math.log10(raw));
  const step = [1, 2, 2.5, 5, 10].map((m) => m * mag).find((s) => s >= raw) ?? 10 * mag;
  const out: number[] = [];
  for (let v = Math.ceil(a / step - 1e-9) * step; v <= b + 1e-9 * step; v += step) {
    out.push(Math.abs(v) < 1e-12 * step ? 0 : v);
  }
  return out;
}

const tickLabel = (v: number) => String(Number(v.toPrecision(6)));

function axes(
  f: Frame,
  x: (v: number) => number,
  y: (v: number) => number,
  xTicks: number[],
  yTicks: number[],
  xTitle: string,
  yTitle: string,
): string {
  const [x0, x1, y0, y1] = [f.left, f.width - f.right, f.height - f.bottom, f.top];
  const parts = [
    `<rect x="${x0}" y="${y1}" width="${x1 - x0}" height="${y0 - y1}" fill="none" stroke="#444"/>`,
  ];
  for (const v of xTicks) {
    const px = f1(x(v));
    parts.push(
      `<line x1="${px}" x2="${px}" y1="${y0}" y2="${y0 + 4}" stroke="#444"/>`,
      `<text x="${px}" y="${y0 + 16}" text-anchor="middle">${tickLabel(v)}</text>`,
    );
  }
  for (const v of yTicks) {
    const py = f1(y(v));
    parts.push(
      `<line x1="${x0 - 4}" x2="${x0}" y1="${py}" y2="${py}" stroke="#444"/>`,
      `<text x="${x0 - 7}" y="${py}" dy="0.32em" text-anchor="end">${tickLabel(v)}</text>`,
    );
  }
  parts.push(
    `<text x="${(x0 + x1) / 2}" y="${f.height - 6}" text-anchor="middle">${xTitle}</text>`,
    `<text transform="translate(13 ${(y0 + y1) / 2}) rotate(-90)" text-anchor="middle">${yTitle}</text>`,
  );
  return parts.join("");
}

/** Diverging colour of log χ_J: blue (ordered) – white (critical) – red (chaotic), saturating at ±`clamp`. */
export function chiColour(logChi: number, clamp = 0.5): string {
  if (!Number.isFinite(logChi)) return logChi > 0 ? "#67001f" : "#8c8c8c";
  const t = Math.max(-1, Math.min(1, logChi / clamp));
  const [r, g, b] = t < 0 ? [33, 102, 172] : [178, 24, 43];
  const a = Math.abs(t);
  const mix = (c: number) => Math.round(255 + (c - 255) * a);
  return `rgb(${mix(r)},${mix(g)},${mix(b)})`;
}

export interface PhaseFigure {
  sigmaW2: ArrayLike<number>;
  sigmaB2: ArrayLike<number>;
  /** row-major [iB][iW] */
  logChi: ArrayLike<number>;
  line: { sigmaW2: number; sigmaB2: number }[];
  depth: number;
}

export interface PhaseAxes {
  x: (sigmaW2: number) => number;
  y: (sigmaB2: number) => number;
  /** pixel → (σ_w², σ_b²) */
  invert: (px: number, py: number) => [number, number];
}

/** Axes of the phase diagram for the σ ranges (shared by the heatmap, the marker and clicks). */
export function phaseAxes(w: [number, number], b: [number, number], f: Frame = FRAME): PhaseAxes {
  const [x0, x1, y0, y1] = [f.left, f.width - f.right, f.height - f.bottom, f.top];
  return {
    x: scaleLinear(w[0], w[1], x0, x1),
    y: scaleLinear(b[0], b[1], y0, y1),
    invert: (px, py) => [scaleLinear(x0, x1, w[0], w[1])(px), scaleLinear(y0, y1, b[0], b[1])(py)],
  };
}

/** The heatmap, the critical line and the axes (the marker is a separate element). */
export function phaseSvg(p: PhaseFigure, ax: PhaseAxes, f: Frame = FRAME): string {
  const nw = p.sigmaW2.length;
  const nb = p.sigmaB2.length;
  const edge = (c: ArrayLike<number>, i: number) =>
    i === 0
      ? c[0]! - (c[1]! - c[0]!) / 2
      : i === c.length
        ? c[i - 1]! + (c[i - 1]! - c[i - 2]!) / 2
        : (c[i - 1]! + c[i]!) / 2;
  const clipX = (v: number) => Math.max(f.left, Math.min(f.width - f.right, v));
  const clipY = (v: number) => Math.max(f.top, Math.min(f.height - f.bottom, v));
  const cells: string[] = [];
  for (let ib = 0; ib < nb; ib++) {
    const ya = clipY(ax.y(edge(p.sigmaB2, ib + 1)));
    const yb = clipY(ax.y(edge(p.sigmaB2, ib)));
    for (let iw = 0; iw < nw; iw++) {
      const xa = clipX(ax.x(edge(p.sigmaW2, iw)));
      const xb = clipX(ax.x(edge(p.sigmaW2, iw + 1)));
      cells.push(
        `<rect x="${f1(xa)}" y="${f1(ya)}" width="${f1(xb - xa + 0.4)}" height="${f1(yb - ya + 0.4)}" fill="${chiColour(p.logChi[ib * nw + iw]!)}"/>`,
      );
    }
  }
  const line = p.line.length
    ? `<polyline id="critical-line" fill="none" stroke="#111" stroke-width="2" points="${p.line
        .map((q) => `${f1(ax.x(q.sigmaW2))},${f1(ax.y(q.sigmaB2))}`)
        .join(" ")}"/>`
    : "";
  const [w0, w1] = [p.sigmaW2[0]!, p.sigmaW2[nw - 1]!];
  const [b0, b1] = [p.sigmaB2[0]!, p.sigmaB2[nb - 1]!];
  return `<g class="cells">${cells.join("")}</g>${line}${axes(f, ax.x, ax.y, ticks(w0, w1, 7), ticks(b0, b1, 5), "σ_w²", "σ_b²")}`;
}

export interface DepthFigure {
  /** log J^{0,l}, l = 0..L (natural log) */
  theory: ArrayLike<number>;
  /** measured log J^{0,l} for l = 1..L and relative standard errors, when there is a measurement */
  measured?: { logJ: ArrayLike<number>; relStderr: ArrayLike<number> };
}

/** log₁₀ J^{0,l} against l: theory line, measured points with ±1 s.e. bars. */
export function depthSvg(d: DepthFigure, f: Frame = FRAME): string {
  const L = d.theory.length - 1;
  const LN10 = Math.log(10);
  const th = Array.from(d.theory, (v) => v / LN10);
  const meas = d.measured
    ? Array.from(d.measured.logJ, (v, i) => ({
        l: i + 1,
        y: v / LN10,
        e: d.measured!.relStderr[i]! / LN10,
      }))
    : [];
  const ys = [
    ...th,
    ...meas.flatMap((m) => (Number.isFinite(m.e) ? [m.y - m.e, m.y + m.e] : [m.y])),
  ].filter(Number.isFinite);
  let lo = Math.min(0, ...ys);
  let hi = Math.max(0, ...ys);
  if (hi - lo < 0.5) [lo, hi] = [(lo + hi) / 2 - 0.25, (lo + hi) / 2 + 0.25];
  const pad = 0.05 * (hi - lo);
  const x = scaleLinear(0, L, f.left, f.width - f.right);
  const y = scaleLinear(lo - pad, hi + pad, f.height - f.bottom, f.top);
  const path = th
    .map((v, l) => (Number.isFinite(v) ? `${f1(x(l))},${f1(y(v))}` : null))
    .filter((p) => p !== null)
    .join(" ");
  const points = meas
    .filter((m) => Number.isFinite(m.y))
    .map((m) => {
      const bar = Number.isFinite(m.e)
        ? `<line x1="${f1(x(m.l))}" x2="${f1(x(m.l))}" y1="${f1(y(m.y - m.e))}" y2="${f1(y(m.y + m.e))}" stroke="#d95f02"/>`
        : "";
      return `${bar}<circle cx="${f1(x(m.l))}" cy="${f1(y(m.y))}" r="3" fill="#d95f02"/>`;
    })
    .join("");
  const legend = `<g transform="translate(${f.left + 10} ${f.top + 12})"><line x1="0" x2="18" y1="0" y2="0" stroke="#1b6ca8" stroke-width="2"/><text x="24" y="0" dy="0.32em">theory (infinite width)</text>${
    meas.length
      ? `<circle cx="9" cy="16" r="3" fill="#d95f02"/><text x="24" y="16" dy="0.32em">measured ± s.e.</text>`
      : ""
  }</g>`;
  return `${axes(f, x, y, ticks(0, L, 6), ticks(lo - pad, hi + pad, 5), "layer l", "log₁₀ J<tspan baseline-shift='super' font-size='9'>0,l</tspan>")}<polyline id="theory-line" fill="none" stroke="#1b6ca8" stroke-width="2" points="${path}"/><g id="measured-points">${points}</g>${legend}`;
}
