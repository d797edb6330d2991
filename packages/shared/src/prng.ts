/**
 * Seeded noise that every runtime (Node, browsers, edge, a Python test harness) can reproduce.
 *
 * Algorithm, all integer arithmetic modulo 2^32 on unsigned 32-bit values:
 *
 * 1. Seeding (splitmix32, i.e. a Weyl sequence finished with the MurmurHash3 fmix32 mixer):
 *      x ← seed                                   (integer 0 ≤ seed < 2^32)
 *      next():  x ← x + 0x9E3779B9
 *               z ← x
 *               z ← (z ⊕ (z >>> 16)) · 0x85EBCA6B
 *               z ← (z ⊕ (z >>> 13)) · 0xC2B2AE35
 *               return z ⊕ (z >>> 16)
 *    The xoshiro state is s0, s1, s2, s3 = the first four outputs, in that order.
 *
 * 2. Generator (xoshiro128**, Blackman & Vigna):
 *      result ← rotl(s1 · 5, 7) · 9
 *      t ← s1 << 9
 *      s2 ← s2 ⊕ s0;  s3 ← s3 ⊕ s1;  s1 ← s1 ⊕ s2;  s0 ← s0 ⊕ s3;  s2 ← s2 ⊕ t;  s3 ← rotl(s3, 11)
 *      return result
 *
 * 3. Uniforms, float64: u = (r + 0.5) / 2^32 for each output r, so 0 < u < 1.
 *
 * 4. Normals, Box–Muller in float64, from consecutive uniforms u1 then u2:
 *      R = sqrt(−2·ln(u1)),  θ = (2·π)·u2      (2·π = 6.283185307179586, the float64 product)
 *      the stream yields R·cos(θ), then R·sin(θ).
 *    The normal stream is the infinite sequence n_0, n_1, … produced this way; every value is rounded
 *    to float32 (round to nearest even) when stored.
 *
 * `normalNoise(seed, shape)` fills a row-major tensor with n_0 … n_{numel−1}. A `NormalStream` keeps
 * going where the previous draw stopped (including an unused sin half), so drawing shape A then
 * shape B from one stream gives the values n_0 … of one long sequence.
 *
 * Test vectors: seed 0 → xoshiro state 0x92ca2f0e 0x3cd6e3f3 0x1b147dcc 0x4c081dbf; normalNoise(0, [6]) =
 * −0.04292575642466545, 0.48816728591918945, −1.3734577894210815, −2.6232943534851074,
 * −2.608858108520508, −0.21337103843688965 (float32 values printed exactly); normalNoise(42, [4]) =
 * 0.6362302303314209, 0.651442289352417, 0.8308019042015076, −1.9218767881393433.
 *
 * Caveat: ln, cos and sin are not required to be correctly rounded by ECMAScript or C; engines using
 * different libm code may differ in the last float64 bit, which flips a float32 result with a
 * probability of roughly 2^−29 per value.
 */
import { numel, type Tensor } from './tensor.ts';

const TWO_POW_32 = 4294967296;
const TWO_PI = 2 * Math.PI;

export function assertSeed(seed: number): void {
  if (!Number.isInteger(seed) || seed < 0 || seed > 0xffffffff) {
    throw new RangeError(`Seed must be an integer in 0..4294967295 (32-bit unsigned), got ${seed}`);
  }
}

/** splitmix32 outputs starting from `seed`: returns a function yielding the next uint32. */
export function splitmix32(seed: number): () => number {
  assertSeed(seed);
  let x = seed >>> 0;
  return () => {
    x = (x + 0x9e3779b9) >>> 0;
    let z = x;
    z = Math.imul(z ^ (z >>> 16), 0x85ebca6b);
    z = Math.imul(z ^ (z >>> 13), 0xc2b2ae35);
    return (z ^ (z >>> 16)) >>> 0;
  };
}

function rotl(x: number, k: number): number {
  return (x << k) | (x >>> (32 - k));
}

/** xoshiro128** over an explicit state of four uint32 (not all zero). */
export class Xoshiro128StarStar {
  private s0: number;
  private s1: number;
  private s2: number;
  private s3: number;

  constructor(state: readonly [number, number, number, number]) {
    [this.s0, this.s1, this.s2, this.s3] = state.map((v) => v >>> 0);
    if ((this.s0 | this.s1 | this.s2 | this.s3) === 0)
      throw new RangeError('xoshiro128** state must not be all zero');
  }

  static fromSeed(seed: number): Xoshiro128StarStar {
    const next = splitmix32(seed);
    return new Xoshiro128StarStar([next(), next(), next(), next()]);
  }

  /** Next output, an integer in 0..2^32−1. */
  nextUint32(): number {
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

  /** Next uniform in the open interval (0, 1), float64: (r + 0.5) / 2^32. */
  nextUniform(): number {
    return (this.nextUint32() + 0.5) / TWO_POW_32;
  }
}

/** The normal stream n_0, n_1, … of a seed (float64 values before the float32 rounding). */
export class NormalStream {
  private readonly rng: Xoshiro128StarStar;
  private spare: number | null = null;

  constructor(seed: number) {
    this.rng = Xoshiro128StarStar.fromSeed(seed);
  }

  next(): number {
    if (this.spare !== null) {
      const v = this.spare;
      this.spare = null;
      return v;
    }
    const u1 = this.rng.nextUniform();
    const u2 = this.rng.nextUniform();
    const r = Math.sqrt(-2 * Math.log(u1));
    const theta = TWO_PI * u2;
    this.spare = r * Math.sin(theta);
    return r * Math.cos(theta);
  }

  /** The next numel(shape) values as a float32 tensor. */
  tensor(shape: readonly number[]): Tensor {
    const data = new Float32Array(numel(shape));
    for (let i = 0; i < data.length; i++) data[i] = this.next();
    return { data, shape: [...shape] };
  }
}

/** Standard normal noise of `shape` from `seed` (the first values of the seed's normal stream). */
export function normalNoise(seed: number, shape: readonly number[]): Tensor {
  return new NormalStream(seed).tensor(shape);
}
