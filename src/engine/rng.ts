/**
 * One seeded random number generator for everything random in the workbench: initial
 * conditions, weight initialisation, training noise, shuffling.
 *
 * Algorithm: xoshiro128** (Blackman & Vigna) on 32-bit integers, seeded through splitmix32,
 * so the stream is identical on every platform and backend. Independent streams are derived
 * with {@link Rng.fork} from a label, so adding a random draw in one component does not shift
 * the numbers another component sees.
 *
 * ```ts
 * const rng = new Rng(42);
 * rng.uniform();           // 0.7323...
 * rng.fork('init').normal();
 * ```
 */
export class Rng {
  private s0: number;
  private s1: number;
  private s2: number;
  private s3: number;
  private spare: number | null = null;
  /** The seed this generator was made from (for provenance). */
  readonly seed: number;

  constructor(seed: number) {
    if (!Number.isInteger(seed)) {
      throw new TypeError(`Expected 'seed' to be an integer (got ${seed})`);
    }
    this.seed = seed;
    let x = seed >>> 0;
    const next = (): number => {
      // splitmix32
      x = (x + 0x9e3779b9) | 0;
      let z = x;
      z = Math.imul(z ^ (z >>> 16), 0x85ebca6b);
      z = Math.imul(z ^ (z >>> 13), 0xc2b2ae35);
      return (z ^ (z >>> 16)) >>> 0;
    };
    // Mix in the high bits of seeds beyond 32 bits.
    const hi = Math.floor(seed / 2 ** 32) >>> 0;
    this.s0 = next() ^ hi;
    this.s1 = next();
    this.s2 = next();
    this.s3 = next();
    if ((this.s0 | this.s1 | this.s2 | this.s3) === 0) this.s0 = 1;
  }

  /** Next raw 32-bit unsigned integer. */
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

  /** Uniform double in [0, 1) with 53 random bits. */
  uniform(): number {
    const a = this.nextU32() >>> 5; // 27 bits
    const b = this.nextU32() >>> 6; // 26 bits
    return (a * 67108864 + b) / 9007199254740992;
  }

  /** Uniform double in [lo, hi). */
  uniformIn(lo: number, hi: number): number {
    return lo + (hi - lo) * this.uniform();
  }

  /** Standard normal deviate (Marsaglia polar method). */
  normal(): number {
    if (this.spare !== null) {
      const s = this.spare;
      this.spare = null;
      return s;
    }
    let u: number, v: number, s: number;
    do {
      u = 2 * this.uniform() - 1;
      v = 2 * this.uniform() - 1;
      s = u * u + v * v;
    } while (s >= 1 || s === 0);
    const m = Math.sqrt((-2 * Math.log(s)) / s);
    this.spare = v * m;
    return u * m;
  }

  /** Uniform integer in [0, n). */
  int(n: number): number {
    if (!(n > 0) || !Number.isInteger(n)) throw new RangeError(`Expected 'n' to be a positive integer (got ${n})`);
    // Rejection sampling for exact uniformity.
    if (n <= 2 ** 32) {
      const limit = Math.floor(2 ** 32 / n) * n;
      let r: number;
      do r = this.nextU32(); while (r >= limit);
      return r % n;
    }
    return Math.floor(this.uniform() * n);
  }

  /** Fills `out` (or a new Float32Array of length n) with N(mean, std²) samples. */
  normalArray(n: number, std = 1, mean = 0, out?: Float32Array | Float64Array): Float32Array | Float64Array {
    const a = out ?? new Float32Array(n);
    for (let i = 0; i < n; i++) a[i] = mean + std * this.normal();
    return a;
  }

  /** Fills `out` (or a new Float32Array of length n) with U[lo, hi) samples. */
  uniformArray(n: number, lo = 0, hi = 1, out?: Float32Array | Float64Array): Float32Array | Float64Array {
    const a = out ?? new Float32Array(n);
    for (let i = 0; i < n; i++) a[i] = lo + (hi - lo) * this.uniform();
    return a;
  }

  /** In-place Fisher–Yates shuffle; returns `a`. */
  shuffle<T extends { length: number; [i: number]: unknown }>(a: T): T {
    for (let i = a.length - 1; i > 0; i--) {
      const j = this.int(i + 1);
      const t = a[i];
      a[i] = a[j];
      a[j] = t;
    }
    return a;
  }

  /** A random permutation of 0..n-1. */
  permutation(n: number): Int32Array {
    const p = new Int32Array(n);
    for (let i = 0; i < n; i++) p[i] = i;
    return this.shuffle(p);
  }

  /**
   * An independent generator derived from this generator's seed and a label. Forking does
   * not advance this generator, so the derived stream depends only on (seed, label).
   */
  fork(label: string | number): Rng {
    return new Rng(hashSeed(this.seed, String(label)));
  }
}

function rotl(x: number, k: number): number {
  return (x << k) | (x >>> (32 - k));
}

/** Deterministic 32-bit hash of (seed, label), FNV-1a followed by a murmur finaliser. */
export function hashSeed(seed: number, label: string): number {
  let h = 0x811c9dc5 ^ (seed >>> 0);
  const hi = Math.floor(seed / 2 ** 32) >>> 0;
  h = Math.imul(h ^ hi, 0x01000193);
  for (let i = 0; i < label.length; i++) {
    h ^= label.charCodeAt(i);
    h = Math.imul(h, 0x01000193);
  }
  h ^= h >>> 16;
  h = Math.imul(h, 0x85ebca6b);
  h ^= h >>> 13;
  h = Math.imul(h, 0xc2b2ae35);
  h ^= h >>> 16;
  return h >>> 0;
}
