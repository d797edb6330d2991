/** Seeded randomness for FaceSynth64: every face is a pure function of its integer seed. */

export type Rng = () => number;

/** mulberry32: 32-bit state, period 2^32, returns floats in [0, 1) with 32 bits of resolution. */
export function mulberry32(seed: number): Rng {
  let state = seed >>> 0;
  return () => {
    state = (state + 0x6d2b79f5) >>> 0;
    let t = state;
    t = Math.imul(t ^ (t >>> 15), t | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  };
}

/**
 * splitmix32-style finaliser. Consecutive face seeds would start mulberry32 streams that are
 * shifted copies of each other; hashing the seed first decorrelates neighbouring faces.
 */
export function mixSeed(seed: number): number {
  let z = (seed + 0x9e3779b9) >>> 0;
  z = Math.imul(z ^ (z >>> 16), 0x85ebca6b) >>> 0;
  z = Math.imul(z ^ (z >>> 13), 0xc2b2ae35) >>> 0;
  return (z ^ (z >>> 16)) >>> 0;
}

/** One PRNG per face seed (a non-negative integer below 2^32). */
export function rngForSeed(seed: number): Rng {
  if (!Number.isInteger(seed) || seed < 0 || seed > 0xffffffff) {
    throw new RangeError(`face seed must be an integer in [0, 2^32), got ${seed}`);
  }
  return mulberry32(mixSeed(seed));
}

/**
 * Runs `fn` with `Math.random` replaced by `rng`, restoring the original afterwards even on error.
 * facesjs draws all of its randomness from `Math.random` (checked in its build: utils.js and
 * generate.js are the only callers; display/faceToSvgString use none), so this makes it deterministic.
 * Not re-entrant across async boundaries: `fn` must be synchronous.
 */
export function withMathRandom<T>(rng: Rng, fn: () => T): T {
  const original = Math.random;
  Math.random = rng;
  try {
    return fn();
  } finally {
    Math.random = original;
  }
}

export function pick<T>(rng: Rng, items: readonly T[]): T {
  if (items.length === 0) throw new RangeError('pick: empty list');
  return items[Math.floor(rng() * items.length)];
}
