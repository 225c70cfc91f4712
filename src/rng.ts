/**
 * Seeded random numbers, identical on every platform: splitmix64 seeding a xoshiro128**
 * generator (32-bit arithmetic only, so results are bit-identical in Node and browsers).
 * Normals use the Box–Muller transform. No global state: pass an Rng around, `split` it
 * for independent streams (per layer, per seed).
 */
export class Rng {
  protected s0: number;
  protected s1: number;
  protected s2: number;
  protected s3: number;
  private spare: number | undefined;

  constructor(seed: number) {
    // splitmix32 expands the seed into the four state words (never all zero).
    let x = seed >>> 0 || 0x9e3779b9;
    const next = () => {
      x = (x + 0x9e3779b9) >>> 0;
      let z = x;
      z = Math.imul(z ^ (z >>> 16), 0x85ebca6b) >>> 0;
      z = Math.imul(z ^ (z >>> 13), 0xc2b2ae35) >>> 0;
      return (z ^ (z >>> 16)) >>> 0;
    };
    this.s0 = next();
    this.s1 = next();
    this.s2 = next();
    this.s3 = next() | 1;
  }

  /** Uniform 32-bit unsigned integer (xoshiro128**). */
  nextU32(): number {
    const result = Math.imul(rotl(Math.imul(this.s1, 5), 7), 9) >>> 0;
    const t = this.s1 << 9;
    this.s2 ^= this.s0;
    this.s3 ^= this.s1;
    this.s1 ^= this.s2;
    this.s0 ^= this.s3;
    this.s2 ^= t;
    this.s3 = rotl(this.s3, 11);
    return result;
  }

  /** Uniform in [0, 1) with 53 random bits. */
  uniform(): number {
    const hi = this.nextU32() >>> 5;
    const lo = this.nextU32() >>> 6;
    return (hi * 67108864 + lo) / 9007199254740992;
  }

  /** Standard normal (Box–Muller, both values used). */
  normal(): number {
    if (this.spare !== undefined) {
      const v = this.spare;
      this.spare = undefined;
      return v;
    }
    let u = 0;
    while (u === 0) u = this.uniform();
    const r = Math.sqrt(-2 * Math.log(u));
    const theta = 2 * Math.PI * this.uniform();
    this.spare = r * Math.sin(theta);
    return r * Math.cos(theta);
  }

  /** n normals with standard deviation `std`, as float64. */
  normals(n: number, std = 1): Float64Array {
    const out = new Float64Array(n);
    for (let i = 0; i < n; i++) out[i] = std * this.normal();
    return out;
  }

  /** An independent generator derived from this one's next outputs. */
  split(): Rng {
    return new Rng(this.nextU32() ^ Math.imul(this.nextU32(), 0x27d4eb2d));
  }
}

function rotl(x: number, k: number): number {
  return ((x << k) | (x >>> (32 - k))) >>> 0;
}

// ---------------------------------------------------------------------------------------------
// Ziggurat normals (Marsaglia & Tsang 2000, "The Ziggurat Method for Generating Random
// Variables", J. Stat. Softw. 5(8), 128 boxes). About 99 % of draws cost one 32-bit integer, one
// table lookup and one multiply, against two logs/trig calls per pair for Box–Muller: ~10× faster
// for the millions of weights of a network. Following Doornik (2005), the box index (low 7 bits)
// and the value (high 25 bits, signed) come from disjoint bits of the word.

const ZIG_BOXES = 128;
const ZIG_R = 3.442619855899;
const ZIG_V = 9.91256303526217e-3;
/** The value bits are a signed 25-bit integer: |hz| < 2^24. */
const ZIG_M = 2 ** 24;
const zigK = new Float64Array(ZIG_BOXES);
const zigW = new Float64Array(ZIG_BOXES);
const zigF = new Float64Array(ZIG_BOXES);
{
  let dn = ZIG_R;
  let tn = dn;
  const q = ZIG_V / Math.exp(-0.5 * dn * dn);
  zigK[0] = (dn / q) * ZIG_M;
  zigK[1] = 0;
  zigW[0] = q / ZIG_M;
  zigW[ZIG_BOXES - 1] = dn / ZIG_M;
  zigF[0] = 1;
  zigF[ZIG_BOXES - 1] = Math.exp(-0.5 * dn * dn);
  for (let i = ZIG_BOXES - 2; i >= 1; i--) {
    dn = Math.sqrt(-2 * Math.log(ZIG_V / dn + Math.exp(-0.5 * dn * dn)));
    zigK[i + 1] = (dn / tn) * ZIG_M;
    tn = dn;
    zigF[i] = Math.exp(-0.5 * dn * dn);
    zigW[i] = dn / ZIG_M;
  }
}

/**
 * An Rng whose normals come from the ziggurat instead of Box–Muller (a different stream for the
 * same seed; `split` stays a ZigguratRng). Use it where sampling millions of weights on the host
 * dominates the cost (empirical grids, init-search).
 */
export class ZigguratRng extends Rng {
  override normal(): number {
    return this.normals(1)[0]!;
  }

  override normals(n: number, std = 1): Float64Array {
    const out = new Float64Array(n);
    // xoshiro128** inlined on local copies of the state: this loop fills millions of weights.
    let s0 = this.s0 | 0;
    let s1 = this.s1 | 0;
    let s2 = this.s2 | 0;
    let s3 = this.s3 | 0;
    for (let i = 0; i < n; i++) {
      const m = Math.imul(s1, 5);
      const u = Math.imul((m << 7) | (m >>> 25), 9);
      const t = s1 << 9;
      s2 ^= s0;
      s3 ^= s1;
      s1 ^= s2;
      s0 ^= s3;
      s2 ^= t;
      s3 = (s3 << 11) | (s3 >>> 21);
      const iz = u & (ZIG_BOXES - 1);
      const hz = u >> 7;
      if (Math.abs(hz) < zigK[iz]!) out[i] = std * hz * zigW[iz]!;
      else {
        [this.s0, this.s1, this.s2, this.s3] = [s0 >>> 0, s1 >>> 0, s2 >>> 0, s3 >>> 0];
        out[i] = std * this.zigguratEdge(hz, iz);
        [s0, s1, s2, s3] = [this.s0 | 0, this.s1 | 0, this.s2 | 0, this.s3 | 0];
      }
    }
    [this.s0, this.s1, this.s2, this.s3] = [s0 >>> 0, s1 >>> 0, s2 >>> 0, s3 >>> 0];
    return out;
  }

  override split(): ZigguratRng {
    return new ZigguratRng(this.nextU32() ^ Math.imul(this.nextU32(), 0x27d4eb2d));
  }

  /** The rare slow path: the wedge of box iz, or the tail beyond R for box 0. */
  private zigguratEdge(hz: number, iz: number): number {
    for (;;) {
      const x = hz * zigW[iz]!;
      if (iz === 0) {
        let tx: number;
        let ty: number;
        do {
          tx = -Math.log(1 - this.uniform()) / ZIG_R;
          ty = -Math.log(1 - this.uniform());
        } while (ty + ty < tx * tx);
        return hz > 0 ? ZIG_R + tx : -ZIG_R - tx;
      }
      if (zigF[iz]! + this.uniform() * (zigF[iz - 1]! - zigF[iz]!) < Math.exp(-0.5 * x * x)) {
        return x;
      }
      const u = this.nextU32() | 0;
      iz = u & (ZIG_BOXES - 1);
      hz = u >> 7;
      if (Math.abs(hz) < zigK[iz]!) return hz * zigW[iz]!;
    }
  }
}

/** In-place Fisher–Yates shuffle driven by `rng`. */
export function shuffle<T>(a: T[], rng: Rng): T[] {
  for (let i = a.length - 1; i > 0; i--) {
    const j = Math.floor(rng.uniform() * (i + 1));
    [a[i], a[j]] = [a[j]!, a[i]!];
  }
  return a;
}
