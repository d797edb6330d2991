/** Interpolation of codes (facts §9): lerp for z, slerp for x_T, α as a float32 linspace. */

const f32 = Math.fround;

/** numpy.linspace(0, 1, n, dtype=float32): i/(n−1) in float64, last exactly 1, rounded to float32. */
export function interpolationAlphas(frames: number): Float32Array {
  if (!Number.isInteger(frames) || frames < 1) {
    throw new RangeError(`Interpolation needs an integer number of frames >= 1, got ${frames}`);
  }
  const out = new Float32Array(frames);
  const step = 1 / Math.max(frames - 1, 1);
  for (let i = 0; i < frames; i++) out[i] = i * step;
  if (frames > 1) out[frames - 1] = 1;
  return out;
}

/** (1 − α)·a + α·b elementwise, float32 arithmetic like torch: a·(1−α) + b·α. */
export function lerp(a: Float32Array, b: Float32Array, alpha: number): Float32Array {
  if (a.length !== b.length) throw new RangeError(`lerp: lengths ${a.length} and ${b.length} differ`);
  const al = f32(alpha);
  const one = f32(1 - al);
  const out = new Float32Array(a.length);
  for (let i = 0; i < a.length; i++) out[i] = f32(a[i] * one) + f32(b[i] * al);
  return out;
}

/** Angle between two vectors, arccos of the normalised dot product (float64, clamped to [−1, 1]). */
export function angleBetween(a: Float32Array, b: Float32Array): number {
  if (a.length !== b.length) throw new RangeError(`angleBetween: lengths ${a.length} and ${b.length} differ`);
  let dot = 0;
  let na = 0;
  let nb = 0;
  for (let i = 0; i < a.length; i++) {
    dot += a[i] * b[i];
    na += a[i] * a[i];
    nb += b[i] * b[i];
  }
  if (na === 0 || nb === 0) throw new RangeError('angleBetween: a zero vector has no direction');
  return Math.acos(Math.min(1, Math.max(-1, dot / (Math.sqrt(na) * Math.sqrt(nb)))));
}

/**
 * (sin((1−α)θ)·a + sin(αθ)·b) / sin θ on the raw vectors, θ = angleBetween(a, b); float64 arithmetic
 * rounded to float32 once per element. Falls back to lerp when sin θ < 1e-6 (parallel or opposite
 * vectors, where the formula is undefined).
 */
export function slerp(
  a: Float32Array,
  b: Float32Array,
  alpha: number,
  theta = angleBetween(a, b),
): Float32Array {
  const sinTheta = Math.sin(theta);
  if (sinTheta < 1e-6) return lerp(a, b, alpha);
  const al = f32(alpha);
  const wa = Math.sin((1 - al) * theta);
  const wb = Math.sin(al * theta);
  const out = new Float32Array(a.length);
  for (let i = 0; i < a.length; i++) out[i] = (wa * a[i] + wb * b[i]) / sinTheta;
  return out;
}
