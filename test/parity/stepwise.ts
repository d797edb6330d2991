/**
 * Per-step agreement: the reference's x after step i−1 goes into ONE TypeScript DDIM step (network call +
 * update rule), whose result is compared with the reference's x after step i. Errors cannot compound
 * across steps here, so this isolates float rounding of one step from the chaotic amplification of a
 * whole loop, and can be held to a tight tolerance.
 */
import { ddimStep, reverseDdimStep, type StepCoeff } from '../../packages/shared/src/ddim.ts';
import type { Tensor } from '../../packages/shared/src/tensor.ts';
import { maxAbsDiff, maxMagnitude } from './report.ts';

/** Entry i of a stacked [K, ...rest] array as a [...rest] tensor. */
export function entry(stacked: Tensor, i: number): Tensor {
  const row = stacked.data.length / stacked.shape[0];
  return { data: stacked.data.subarray(i * row, (i + 1) * row), shape: stacked.shape.slice(1) };
}

export interface RecordedLoop {
  /** x (or normalised z) before the first step. */
  readonly start: Tensor;
  /** [K, N, ...]: x after every step, in call order. */
  readonly steps: Tensor;
  /** [K, N, ...]: the raw network output of every call, in call order. */
  readonly stepEps: Tensor;
}

export interface StepwiseErrors {
  /** Worst max-abs error of x after one TS step from the reference's previous x. */
  readonly step: number;
  /** Worst max-abs error of the network output on the reference's inputs. */
  readonly eps: number;
  /** max |x| and max |eps| of the reference steps. */
  readonly stepScale: number;
  readonly epsScale: number;
}

export async function stepwiseErrors(
  loop: RecordedLoop,
  coeffs: readonly StepCoeff[],
  direction: 'generate' | 'invert',
  clip: boolean,
  net: (x: Tensor, t: Float32Array) => Promise<Tensor>,
): Promise<StepwiseErrors> {
  const K = coeffs.length;
  if (loop.steps.shape[0] !== K) throw new Error(`reference has ${loop.steps.shape[0]} steps, K = ${K}`);
  let step = 0;
  let eps = 0;
  for (let i = 0; i < K; i++) {
    const j = direction === 'invert' ? i : K - 1 - i;
    const x = i === 0 ? loop.start : entry(loop.steps, i - 1);
    const out = await net(x, new Float32Array(x.shape[0]).fill(coeffs[j].t));
    eps = Math.max(eps, maxAbsDiff(out, entry(loop.stepEps, i), `eps of call ${i}`));
    const update = direction === 'invert' ? reverseDdimStep : ddimStep;
    const next: Tensor = { data: update(x.data, out.data, coeffs[j], clip), shape: x.shape };
    step = Math.max(step, maxAbsDiff(next, entry(loop.steps, i), `x after step ${i}`));
  }
  return { step, eps, stepScale: maxMagnitude(loop.steps), epsScale: maxMagnitude(loop.stepEps) };
}
