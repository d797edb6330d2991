/**
 * DDIM (η = 0) update rules with the float32 arithmetic of the official PyTorch code (facts §3, §4, §13):
 * coefficients are float64 values rounded to float32, square roots of the float32 ā are taken in
 * float32, and every elementwise operation rounds to float32 (Math.fround), so the sampler arithmetic
 * matches PyTorch CPU float32 bit for bit.
 */
import { type DdimUpdate, instantiateWasmDdim } from './ddim-kernel/wasm.ts';
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
 * The reference update (see DdimUpdate): PyTorch's float32 arithmetic emulated with Math.fround on
 * every operation. The wasm kernel must match it bit for bit; it also runs wherever wasm cannot.
 */
const jsUpdate: DdimUpdate = (out, x, eps, A, B, sqrtTarget, sqrt1mTarget, clip) => {
  let finite = true;
  for (let i = 0; i < x.length; i++) {
    const e = eps[i];
    if (!Number.isFinite(e)) finite = false;
    const ax = f32(A * x[i]);
    let x0 = f32(ax - f32(B * e));
    if (clip) x0 = Math.max(-1, Math.min(1, x0));
    const epsRe = f32(f32(ax - x0) / B);
    out[i] = f32(x0 * sqrtTarget) + f32(sqrt1mTarget * epsRe);
  }
  return finite;
};

export type DdimKernelName = 'wasm-simd' | 'js';

interface Kernel {
  readonly name: DdimKernelName;
  readonly update: DdimUpdate;
}

const JS_KERNEL: Kernel = { name: 'js', update: jsUpdate };
/** The automatic choice, made once at first use. */
let best: Kernel | undefined;
let forced: Kernel | undefined;

function activeKernel(): Kernel {
  if (forced) return forced;
  if (best === undefined) {
    const wasm = instantiateWasmDdim();
    best = wasm ? { name: 'wasm-simd', update: wasm } : JS_KERNEL;
  }
  return best;
}

/** The implementation of the DDIM update in use: 'wasm-simd' where it compiles, else 'js'. */
export function ddimKernelName(): DdimKernelName {
  return activeKernel().name;
}

/** 'js' forces the reference loop (tests, benchmarks); 'auto' returns to the automatic choice. */
export function selectDdimKernel(choice: 'auto' | 'js'): void {
  forced = choice === 'js' ? JS_KERNEL : undefined;
}

export type DdimDirection = 'generate' | 'invert';

/**
 * One DDIM step of x given eps, written into `out` (which may be x itself): 'generate' goes j → j−1
 * towards ā_prev, 'invert' j → j+1 towards ā_next. Returns false when eps holds a NaN or ±Inf (out is
 * still written, with the NaNs that follow), so callers need no separate pass over eps.
 */
export function ddimStepInto(
  out: Float32Array,
  x: Float32Array,
  eps: Float32Array,
  c: StepCoeff,
  direction: DdimDirection,
  clip: boolean,
): boolean {
  if (x.length !== eps.length) {
    throw new RangeError(`DDIM step: x has ${x.length} values but eps has ${eps.length}`);
  }
  if (out.length !== x.length) {
    throw new RangeError(`DDIM step: out has ${out.length} values but x has ${x.length}`);
  }
  const generate = direction === 'generate';
  const s = generate ? c.sqrtP : c.sqrtN;
  const s1m = generate ? c.sqrt1mP : c.sqrt1mN;
  // The wasm kernel rounds coefficients to float32 on entry; any other value takes the exact JS loop.
  const allF32 = f32(c.A) === c.A && f32(c.B) === c.B && f32(s) === s && f32(s1m) === s1m;
  const update = allF32 ? activeKernel().update : jsUpdate;
  return update(out, x, eps, c.A, c.B, s, s1m, clip);
}

/** One generation step j → j−1 (towards the image), target ā_prev. */
export function ddimStep(x: Float32Array, eps: Float32Array, c: StepCoeff, clip: boolean): Float32Array {
  const out = new Float32Array(x.length);
  ddimStepInto(out, x, eps, c, 'generate', clip);
  return out;
}

/** One inversion step j → j+1 (towards x_T), target ā_next. */
export function reverseDdimStep(
  x: Float32Array,
  eps: Float32Array,
  c: StepCoeff,
  clip: boolean,
): Float32Array {
  const out = new Float32Array(x.length);
  ddimStepInto(out, x, eps, c, 'invert', clip);
  return out;
}
