import { describe, expect, it } from 'vitest';
import { ddimCoefficients, ddimStep, reverseDdimStep } from '../src/ddim.ts';
import { makeSchedule, respace } from '../src/schedule.ts';

const f32 = Math.fround;
const r20 = respace(makeSchedule('linear'), 20);
const c20 = ddimCoefficients(r20);

const X = Float32Array.from({ length: 16 }, (_, i) => (i - 8) / 4);
const EPS = Float32Array.from({ length: 16 }, (_, i) => (((i * 7) % 16) - 8) / 5);

// Printed by PyTorch 1.13 float32 (x0 = A·x − B·ε, optional clamp, ε' = (A·x − x0)/B,
// x' = x0·sqrt(P) + sqrt(1 − P)·ε', coefficients float64 → float32 as in the official sampler).
const TORCH = {
  gen19clip: [
    -2.0059781074523926, -1.7559986114501953, -1.5060189962387085, -1.2560397386550903, -1.006060242652893,
    -0.7437960505485535, -0.5061012506484985, -0.2438371777534485, 0.0, 0.2438371777534485,
    0.5061012506484985, 0.7437960505485535, 1.006060242652893, 1.2560397386550903, 1.5060189962387085,
    1.7559986114501953,
  ],
  gen10noclip: [
    -2.0854320526123047, -2.168414354324341, -2.251396656036377, -1.4179487228393555, -1.5009310245513916,
    -0.6674832105636597, -0.7504655122756958, 0.08298218250274658, 0.0, -0.08298218250274658,
    0.7504655122756958, 0.6674832105636597, 1.5009310245513916, 1.4179487228393555, 2.251396656036377,
    2.168414354324341,
  ],
  inv0clip: [
    -18.320226669311523, -13.986600875854492, -9.652976036071777, -5.319352149963379, -0.9857269525527954,
    -0.9021791219711304, -0.42705702781677246, -0.47512179613113403, 0.0, 0.47512179613113403,
    0.42705702781677246, 0.9021791219711304, 0.9857269525527954, 5.319352149963379, 9.652976036071777,
    13.986600875854492,
  ],
  inv19clip: [
    -1.9898078441619873, -1.7397946119308472, -1.4897812604904175, -1.239768147468567, -0.989754855632782,
    -0.7603379487991333, -0.48972830176353455, -0.26031145453453064, 0.0, 0.26031145453453064,
    0.48972830176353455, 0.7603379487991333, 0.989754855632782, 1.239768147468567, 1.4897812604904175,
    1.7397946119308472,
  ],
};

/** x_t = √ā·x0 + √(1−ā)·ε in float64. */
function noised(x0: Float32Array, eps: Float32Array, ab: number): Float32Array {
  return Float32Array.from(x0, (v, i) => Math.sqrt(ab) * v + Math.sqrt(1 - ab) * eps[i]);
}

function maxAbsDiff(a: ArrayLike<number>, b: ArrayLike<number>): number {
  let m = 0;
  for (let i = 0; i < a.length; i++) m = Math.max(m, Math.abs(a[i] - b[i]));
  return m;
}

describe('ddimCoefficients', () => {
  it('match the float32 values PyTorch computes for K = 20', () => {
    const c = c20[19];
    expect(c.t).toBe(950);
    expect(c.A).toBe(97.10942840576172);
    expect(c.B).toBe(97.10427856445312);
    expect(c.sqrtP).toBe(0.01643911562860012);
    expect(c.sqrt1mP).toBe(0.9998648762702942);
    expect(c20[0].P).toBe(1);
    expect(c20[0].sqrt1mP).toBe(0);
    expect(c20[19].N).toBe(0);
    expect(c20[19].sqrtN).toBe(0);
    expect(c20[19].sqrt1mN).toBe(1);
    expect(c20.map((c) => c.t)).toEqual(r20.timesteps);
  });
});

describe('DDIM steps reproduce PyTorch float32 bit for bit', () => {
  it.each([
    ['generation j=19, clip', () => ddimStep(X, EPS, c20[19], true), TORCH.gen19clip],
    ['generation j=10, no clip', () => ddimStep(X, EPS, c20[10], false), TORCH.gen10noclip],
    ['inversion j=0, clip', () => reverseDdimStep(X, EPS, c20[0], true), TORCH.inv0clip],
    ['inversion j=19, clip', () => reverseDdimStep(X, EPS, c20[19], true), TORCH.inv19clip],
  ])('%s', (_, run, expected) => {
    expect(Array.from(run())).toEqual(expected);
  });
});

describe('DDIM closed forms', () => {
  const x0 = Float32Array.from({ length: 64 }, (_, i) => Math.sin(i * 1.7) * 0.9);
  const eps = Float32Array.from({ length: 64 }, (_, i) => Math.cos(i * 0.37) * 1.3);

  it('with the true noise, a generation step lands on the previous point of the same trajectory', () => {
    for (const j of [19, 10, 3, 1]) {
      const xt = noised(x0, eps, r20.alphaBar[j]);
      const out = ddimStep(xt, eps, c20[j], false);
      expect(maxAbsDiff(out, noised(x0, eps, r20.alphaBarPrev[j]))).toBeLessThan(2e-4);
    }
  });

  it('at j = 0 the output is exactly the clipped x0 prediction (P = 1)', () => {
    const c = c20[0];
    const xt = noised(x0, eps, r20.alphaBar[0]);
    const out = ddimStep(xt, eps, c, true);
    const expected = xt.map((v, i) => Math.max(-1, Math.min(1, f32(f32(c.A * v) - f32(c.B * eps[i])))));
    expect(Array.from(out)).toEqual(Array.from(expected));
    expect(maxAbsDiff(out, x0)).toBeLessThan(1e-5);
  });

  it('the last inversion step returns the re-derived noise ε′ (ā_next = 0)', () => {
    const c = c20[19];
    const xt = noised(x0, eps, r20.alphaBar[19]);
    const out = reverseDdimStep(xt, eps, c, true);
    expect(maxAbsDiff(out, eps)).toBeLessThan(1e-4);
  });

  it('inversion then generation with the same ε returns to the start', () => {
    const xt = noised(x0, eps, r20.alphaBar[5]);
    const up = reverseDdimStep(xt, eps, c20[5], false);
    expect(maxAbsDiff(up, noised(x0, eps, r20.alphaBar[6]))).toBeLessThan(1e-5);
    const down = ddimStep(up, eps, c20[6], false);
    expect(maxAbsDiff(down, xt)).toBeLessThan(1e-5);
  });

  it('clipping clamps x0 to [−1, 1] and re-derives ε from the clipped x0', () => {
    const big = Float32Array.from([3, -2.5, 0.5]);
    const e = Float32Array.from([0.2, -0.1, 0.3]);
    const j = 10;
    const xt = noised(big, e, r20.alphaBar[j]);
    const clipped = ddimStep(xt, e, c20[j], true);
    const free = ddimStep(xt, e, c20[j], false);
    const sqrtP = Math.sqrt(r20.alphaBarPrev[j]);
    const sqrt1mP = Math.sqrt(1 - r20.alphaBarPrev[j]);
    const x0c = [1, -1, 0.5];
    const epsRe = x0c.map(
      (v, i) => (xt[i] / Math.sqrt(r20.alphaBar[j]) - v) / Math.sqrt(1 / r20.alphaBar[j] - 1),
    );
    x0c.forEach((v, i) => {
      expect(clipped[i]).toBeCloseTo(v * sqrtP + sqrt1mP * epsRe[i], 4);
    });
    expect(free[2]).toBe(clipped[2]);
    expect(Math.abs(free[0] - clipped[0])).toBeGreaterThan(0.1);
  });

  it('rejects x and eps of different lengths', () => {
    expect(() => ddimStep(X, EPS.subarray(0, 3), c20[3], true)).toThrow(/x has 16 values but eps has 3/);
  });
});
