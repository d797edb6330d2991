/**
 * Noise schedules (float64) and DDIM respacing to K steps, as the official DiffAE code computes them
 * (facts sheet §1, §2).
 */
export type ScheduleName = 'linear' | 'const0.008';

export const SCHEDULE_NAMES: readonly ScheduleName[] = ['linear', 'const0.008'];

export interface Schedule {
  readonly name: ScheduleName;
  readonly T: number;
  readonly betas: Float64Array;
  /** ᾱ(t) = Π_{s≤t} (1 − β_s), t = 0..T−1. */
  readonly alphasCumprod: Float64Array;
}

export interface RespacedSchedule {
  readonly K: number;
  readonly stride: number;
  /** Kept ORIGINAL timesteps τ_j = j·stride, ascending, j = 0..K−1 (what the networks are called with). */
  readonly timesteps: readonly number[];
  /** ā_j = cumprod(1 − β')_j. */
  readonly alphaBar: Float64Array;
  /** ā_{j−1}, with 1 at j = 0. */
  readonly alphaBarPrev: Float64Array;
  /** ā_{j+1}, with 0 at j = K−1. */
  readonly alphaBarNext: Float64Array;
}

/** numpy.linspace(start, stop, n) for float64: start + i·step, last element set exactly to stop. */
export function linspace(start: number, stop: number, n: number): Float64Array {
  if (!Number.isInteger(n) || n < 0) throw new RangeError(`linspace: n must be an integer >= 0, got ${n}`);
  const out = new Float64Array(n);
  if (n === 0) return out;
  const step = (stop - start) / Math.max(n - 1, 1);
  for (let i = 0; i < n; i++) out[i] = i * step + start;
  if (n > 1) out[n - 1] = stop;
  return out;
}

function assertT(T: number): void {
  if (!Number.isInteger(T) || T < 2) throw new RangeError(`T must be an integer >= 2, got ${T}`);
}

/** β_t for t = 0..T−1. For T ≠ 1000 the official code scales the linear endpoints and the constant by 1000/T. */
export function betas(name: ScheduleName, T = 1000): Float64Array {
  assertT(T);
  const scale = 1000 / T;
  switch (name) {
    case 'linear':
      return linspace(scale * 0.0001, scale * 0.02, T);
    case 'const0.008':
      return new Float64Array(T).fill(scale * 0.008);
    default:
      throw new RangeError(
        `Unknown noise schedule "${String(name)}"; expected one of: ${SCHEDULE_NAMES.join(', ')}`,
      );
  }
}

/** Sequential float64 cumulative product of 1 − β (like numpy.cumprod). */
export function alphasCumprod(beta: Float64Array): Float64Array {
  const out = new Float64Array(beta.length);
  let acc = 1;
  for (let i = 0; i < beta.length; i++) {
    acc *= 1 - beta[i];
    out[i] = acc;
  }
  return out;
}

export function makeSchedule(name: ScheduleName, T = 1000): Schedule {
  const b = betas(name, T);
  return { name, T, betas: b, alphasCumprod: alphasCumprod(b) };
}

/** Smallest stride s in 1..T−1 with ceil(T/s) = K (the length of range(0, T, s)), or null when there is none. */
export function strideForStepCount(K: number, T = 1000): number | null {
  assertT(T);
  if (!Number.isInteger(K)) return null;
  for (let s = 1; s < T; s++) {
    if (Math.ceil(T / s) === K) return s;
  }
  return null;
}

/** Every valid K for T, ascending. */
export function validStepCounts(T = 1000): number[] {
  assertT(T);
  const counts = new Set<number>();
  for (let s = 1; s < T; s++) counts.add(Math.ceil(T / s));
  return [...counts].sort((a, b) => a - b);
}

/** The 62 step counts that DDIM respacing of T = 1000 accepts. */
export const VALID_STEP_COUNTS: readonly number[] = Object.freeze(validStepCounts(1000));

export function isValidStepCount(K: number, T = 1000): boolean {
  return T === 1000 ? VALID_STEP_COUNTS.includes(K) : strideForStepCount(K, T) !== null;
}

/** The valid step counts closest to K: the two largest below and the two smallest above. */
export function nearbyValidStepCounts(K: number, T = 1000): number[] {
  const valid = T === 1000 ? VALID_STEP_COUNTS : validStepCounts(T);
  const below = valid.filter((v) => v < K).slice(-2);
  const above = valid.filter((v) => v > K).slice(0, 2);
  return [...below, ...above];
}

export class InvalidStepCountError extends RangeError {
  readonly requested: number;
  readonly nearby: readonly number[];

  constructor(requested: number, T = 1000) {
    const nearby = Number.isFinite(requested) ? nearbyValidStepCounts(requested, T) : [];
    const total = (T === 1000 ? VALID_STEP_COUNTS : validStepCounts(T)).length;
    super(
      `Invalid DDIM step count ${requested}: respacing T=${T} timesteps supports only ${total} values ` +
        `(no stride s gives ceil(${T}/s) = ${requested}). Nearby valid step counts: ${nearby.join(', ')}`,
    );
    this.name = 'InvalidStepCountError';
    this.requested = requested;
    this.nearby = nearby;
  }
}

/** Throws InvalidStepCountError unless K is valid for T. */
export function assertValidStepCount(K: number, T = 1000): void {
  if (!isValidStepCount(K, T)) throw new InvalidStepCountError(K, T);
}

/** Respaces a schedule to K DDIM steps (facts §2): β' walk over the kept ᾱ, then cumprod(1 − β') in float64. */
export function respace(schedule: Schedule, K: number): RespacedSchedule {
  const stride = strideForStepCount(K, schedule.T);
  if (stride === null) throw new InvalidStepCountError(K, schedule.T);
  const timesteps = Array.from({ length: K }, (_, j) => j * stride);
  const betaPrime = new Float64Array(K);
  let last = 1;
  for (let j = 0; j < K; j++) {
    const ab = schedule.alphasCumprod[timesteps[j]];
    betaPrime[j] = 1 - ab / last;
    last = ab;
  }
  const alphaBar = alphasCumprod(betaPrime);
  const alphaBarPrev = new Float64Array(K);
  const alphaBarNext = new Float64Array(K);
  for (let j = 0; j < K; j++) {
    alphaBarPrev[j] = j === 0 ? 1 : alphaBar[j - 1];
    alphaBarNext[j] = j === K - 1 ? 0 : alphaBar[j + 1];
  }
  return { K, stride, timesteps, alphaBar, alphaBarPrev, alphaBarNext };
}
