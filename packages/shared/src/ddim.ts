/**
 * DDIM (η = 0) update rules with the float32 arithmetic of the official PyTorch code (facts §3, §4, §13):
 * coefficients are float64 values rounded to float32, square roots of the float32 ā are taken in
 * float32, and every elementwise operation rounds to float32 (Math.fround), so the sampler arithmetic
 * matches PyTorch CPU float32 bit for bit.
 */
import type { RespacedSchedule } from './schedule.ts';

const f32 = Math.fround;

/** Float32 coefficients of one respaced step j. */
export interface StepCoeff {
  /** ORIGINAL timestep τ_j passed to the network. */
  readonly t: number;
  /** f32(sqrt(1/ā_j)). */
  readonly A: number;
  /** f32(sqrt(1/ā_j − 1)). */
  readonly B: number;
  /** f32(ā_prev_j), the generation target. */
  readonly P: number;
  /** f32(ā_next_j), the inversion target. */
  readonly N: number;
  readonly sqrtP: number;
  readonly sqrt1mP: number;
  readonly sqrtN: number;
  readonly sqrt1mN: number;
}

export function ddimCoefficients(r: RespacedSchedule): StepCoeff[] {
  return r.timesteps.map((t, j) => {
    const ab = r.alphaBar[j];
    const P = f32(r.alphaBarPrev[j]);
    const N = f32(r.alphaBarNext[j]);
    return {
      t,
      A: f32(Math.sqrt(1 / ab)),
      B: f32(Math.sqrt(1 / ab - 1)),
      P,
      N,
      sqrtP: f32(Math.sqrt(P)),
      sqrt1mP: f32(Math.sqrt(f32(1 - P))),
      sqrtN: f32(Math.sqrt(N)),
      sqrt1mN: f32(Math.sqrt(f32(1 - N))),
    };
  });
}

/**
 * x0 = A·x − B·ε (clamped to [−1, 1] when `clip`), ε' = (A·x − x0)/B, x' = x0·sqrtTarget + sqrt1mTarget·ε'.
 */
function ddimUpdate(
  x: Float32Array,
  eps: Float32Array,
  A: number,
  B: number,
  sqrtTarget: number,
  sqrt1mTarget: number,
  clip: boolean,
): Float32Array {
  if (x.length !== eps.length) {
    throw new RangeError(`DDIM step: x has ${x.length} values but eps has ${eps.length}`);
  }
  const out = new Float32Array(x.length);
  for (let i = 0; i < x.length; i++) {
    const ax = f32(A * x[i]);
    let x0 = f32(ax - f32(B * eps[i]));
    if (clip) x0 = Math.max(-1, Math.min(1, x0));
    const epsRe = f32(f32(ax - x0) / B);
    out[i] = f32(x0 * sqrtTarget) + f32(sqrt1mTarget * epsRe);
  }
  return out;
}

/** One generation step j → j−1 (towards the image), target ā_prev. */
export function ddimStep(x: Float32Array, eps: Float32Array, c: StepCoeff, clip: boolean): Float32Array {
  return ddimUpdate(x, eps, c.A, c.B, c.sqrtP, c.sqrt1mP, clip);
}

/** One inversion step j → j+1 (towards x_T), target ā_next. */
export function reverseDdimStep(
  x: Float32Array,
  eps: Float32Array,
  c: StepCoeff,
  clip: boolean,
): Float32Array {
  return ddimUpdate(x, eps, c.A, c.B, c.sqrtN, c.sqrt1mN, clip);
}
