/**
 * Activation patterns D = diag(1[X g ≥ 0]) of one ReLU neuron over the data.
 *
 * - `samplePatterns`: directions g ~ N(0, I) (the sampled convex program of Pilanci & Ergen 2020).
 * - `enumeratePatterns`: every cell of the central hyperplane arrangement {u : x_k·u = 0} for
 *   d ≤ 3 columns, i.e. every pattern a neuron can realise, which makes the convex program exact.
 *   In R³ every cell touches a vertex ±(x_a × x_b) of the arrangement on the sphere; around a vertex
 *   the cells are the angular sectors cut by the incident great circles, so stepping from each
 *   vertex into each sector's bisector visits all cells. In R² the sectors around the origin are the
 *   cells themselves.
 * Each pattern carries a direction g strictly inside its cone, so (2D − I) X g > 0 wherever X g ≠ 0.
 */
import { InputError } from "../errors.js";
import type { Rng } from "../rng.js";
import { type Matrix, norm2 } from "./linalg.js";
import type { Patterns } from "./problem.js";

/** Collects distinct, not-all-zero patterns from candidate directions. */
class PatternSet {
  private readonly seen = new Set<string>();
  readonly masks: Uint8Array[] = [];
  readonly gates: Float64Array[] = [];
  constructor(private readonly X: Matrix) {}

  add(g: Float64Array): void {
    const { rows: n, cols: d, data } = this.X;
    const mask = new Uint8Array(n);
    let any = false;
    for (let k = 0; k < n; k++) {
      let s = 0;
      for (let j = 0; j < d; j++) s += data[k * d + j]! * g[j]!;
      mask[k] = s >= 0 ? 1 : 0;
      any ||= s > 0;
    }
    if (!any) return;
    const key = mask.join("");
    if (this.seen.has(key)) return;
    this.seen.add(key);
    this.masks.push(mask);
    this.gates.push(g);
  }

  build(): Patterns {
    const n = this.X.rows;
    const d = this.X.cols;
    const masks = new Uint8Array(this.masks.length * n);
    const gates = new Float64Array(this.masks.length * d);
    this.masks.forEach((m, i) => {
      masks.set(m, i * n);
    });
    this.gates.forEach((g, i) => {
      gates.set(g, i * d);
    });
    return { count: this.masks.length, masks, gates };
  }
}

/** Distinct patterns 1[X g ≥ 0] from `count` Gaussian directions g (duplicates dropped). */
export function samplePatterns(X: Matrix, count: number, rng: Rng): Patterns {
  const set = new PatternSet(X);
  for (let i = 0; i < count; i++) set.add(rng.normals(X.cols));
  return set.build();
}

/**
 * Unit directions bisecting the angular sectors into which the lines {q : a_k · q = 0} cut the
 * plane (the a_k are 2-vectors).
 */
function sectorBisectors(a: Array<[number, number]>): Array<[number, number]> {
  const angles: number[] = [];
  for (const [x, y] of a) {
    const phi = Math.atan2(y, x) + Math.PI / 2;
    angles.push(mod2pi(phi), mod2pi(phi + Math.PI));
  }
  angles.sort((s, t) => s - t);
  const out: Array<[number, number]> = [];
  for (let i = 0; i < angles.length; i++) {
    const lo = angles[i]!;
    const hi = i + 1 < angles.length ? angles[i + 1]! : angles[0]! + 2 * Math.PI;
    if (hi - lo < 1e-12) continue;
    const mid = (lo + hi) / 2;
    out.push([Math.cos(mid), Math.sin(mid)]);
  }
  return out;
}

const mod2pi = (t: number) => ((t % (2 * Math.PI)) + 2 * Math.PI) % (2 * Math.PI);

/** All patterns of the hyperplane arrangement of the rows of X; X must have 1 to 3 columns. */
export function enumeratePatterns(X: Matrix): Patterns {
  const { rows: n, cols: d, data } = X;
  if (d > 3)
    throw new InputError(
      "patterns",
      `exact enumeration needs at most 3 columns (with bias), got ${d}`,
    );
  const set = new PatternSet(X);
  const row = (k: number) => data.subarray(k * d, k * d + d);
  if (d === 1) {
    set.add(Float64Array.of(1));
    set.add(Float64Array.of(-1));
  } else if (d === 2) {
    const a = Array.from(
      { length: n },
      (_, k) => [data[2 * k]!, data[2 * k + 1]!] as [number, number],
    );
    for (const [c, s] of sectorBisectors(a.filter(([x, y]) => x !== 0 || y !== 0)))
      set.add(Float64Array.of(c, s));
  } else {
    for (let a = 0; a < n; a++) {
      for (let b = a + 1; b < n; b++) {
        const p = cross(row(a), row(b));
        const len = norm2(p);
        if (len < 1e-12 * (norm2(row(a)) * norm2(row(b)) || 1)) continue;
        for (const sign of [1, -1])
          addAroundVertex(
            set,
            X,
            p.map((v) => (sign * v) / len),
          );
      }
    }
  }
  return set.build();
}

/** Adds the patterns of every cell touching the unit vertex p (d = 3). */
function addAroundVertex(set: PatternSet, X: Matrix, p: Float64Array): void {
  const { rows: n, data } = X;
  const [e1, e2] = tangentBasis(p);
  const incident: Array<[number, number]> = [];
  let eps = 0.5;
  for (let k = 0; k < n; k++) {
    const xk = data.subarray(3 * k, 3 * k + 3);
    const nk = norm2(xk);
    if (nk === 0) continue;
    const along = xk[0]! * p[0]! + xk[1]! * p[1]! + xk[2]! * p[2]!;
    if (Math.abs(along) <= 1e-10 * nk) incident.push([dot3(xk, e1), dot3(xk, e2)]);
    else eps = Math.min(eps, (0.5 * Math.abs(along)) / nk);
  }
  for (const [c, s] of sectorBisectors(incident)) {
    const g = new Float64Array(3);
    for (let j = 0; j < 3; j++) g[j] = p[j]! + eps * (c * e1[j]! + s * e2[j]!);
    set.add(g);
  }
}

const dot3 = (a: Float64Array, b: Float64Array) => a[0]! * b[0]! + a[1]! * b[1]! + a[2]! * b[2]!;

function cross(a: Float64Array, b: Float64Array): Float64Array {
  return Float64Array.of(
    a[1]! * b[2]! - a[2]! * b[1]!,
    a[2]! * b[0]! - a[0]! * b[2]!,
    a[0]! * b[1]! - a[1]! * b[0]!,
  );
}

/** Two orthonormal vectors orthogonal to the unit vector p. */
function tangentBasis(p: Float64Array): [Float64Array, Float64Array] {
  const helper = Math.abs(p[0]!) < 0.9 ? Float64Array.of(1, 0, 0) : Float64Array.of(0, 1, 0);
  const e1 = cross(p, helper);
  const l = norm2(e1);
  for (let j = 0; j < 3; j++) e1[j] = e1[j]! / l;
  return [e1, cross(p, e1)];
}
