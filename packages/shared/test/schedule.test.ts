import { describe, expect, it } from 'vitest';
import {
  alphasCumprod,
  betas,
  InvalidStepCountError,
  isValidStepCount,
  linspace,
  makeSchedule,
  respace,
  VALID_STEP_COUNTS,
  validStepCounts,
} from '../src/schedule.ts';

// Reference values printed by numpy (np.linspace / np.cumprod in float64), an independent implementation.
const NUMPY_LINEAR_BETAS: Record<number, number> = {
  1: 0.00011991991991991993,
  2: 0.00013983983983983984,
  333: 0.006733333333333333,
  500: 0.010059959959959959,
  998: 0.01998008008008008,
};
const NUMPY_LINEAR_ALPHA_BAR: Record<number, number> = {
  0: 0.9999,
  500: 0.07779665836502389,
  950: 0.0001060418281453202,
  999: 4.035829765375676e-5,
};

// Facts sheet §2, written out by hand.
const FACTS_VALID_K = [
  ...Array.from({ length: 35 }, (_, i) => i + 2),
  38,
  39,
  40,
  42,
  44,
  46,
  48,
  50,
  53,
  56,
  59,
  63,
  67,
  72,
  77,
  84,
  91,
  100,
  112,
  125,
  143,
  167,
  200,
  250,
  334,
  500,
  1000,
];
const FACTS_TABLE: [K: number, stride: number, last: number][] = [
  [2, 500, 500],
  [3, 334, 668],
  [5, 200, 800],
  [10, 100, 900],
  [20, 50, 950],
  [50, 20, 980],
  [100, 10, 990],
  [125, 8, 992],
  [200, 5, 995],
  [250, 4, 996],
  [500, 2, 998],
  [1000, 1, 999],
];

describe('betas and alphas cumprod', () => {
  it('linear matches numpy.linspace(1e-4, 0.02, 1000) bit for bit, endpoints included', () => {
    const b = betas('linear');
    expect(b.length).toBe(1000);
    expect(b[0]).toBe(1e-4);
    expect(b[999]).toBe(0.02);
    for (const [i, v] of Object.entries(NUMPY_LINEAR_BETAS)) expect(b[Number(i)]).toBe(v);
  });

  it('linear ᾱ matches numpy cumprod and the facts sheet values', () => {
    const ab = alphasCumprod(betas('linear'));
    for (const [t, v] of Object.entries(NUMPY_LINEAR_ALPHA_BAR)) expect(ab[Number(t)]).toBe(v);
    expect(ab[500]).toBeCloseTo(0.077797, 6);
    expect(ab[950] / 1.0604e-4).toBeCloseTo(1, 4);
    expect(ab[999] / 4.0358e-5).toBeCloseTo(1, 4);
  });

  it('const0.008 gives ᾱ(0) = 0.992 and ᾱ(999) ≈ 3.2484e-4', () => {
    const s = makeSchedule('const0.008');
    expect(s.betas.every((v) => v === 0.008)).toBe(true);
    expect(s.alphasCumprod[0]).toBe(0.992);
    expect(s.alphasCumprod[999]).toBe(0.00032484198389677566);
  });

  it('scales endpoints by 1000/T for other T, and rejects unknown names', () => {
    const b = betas('linear', 500);
    expect(b[0]).toBe(2e-4);
    expect(b[499]).toBe(0.04);
    expect(() => betas('cosine' as never)).toThrow(/Unknown noise schedule "cosine"/);
  });

  it('linspace follows numpy (start + i·step, exact stop)', () => {
    expect(Array.from(linspace(0, 1, 5))).toEqual([0, 0.25, 0.5, 0.75, 1]);
    expect(Array.from(linspace(3, 7, 1))).toEqual([3]);
  });
});

describe('valid step counts', () => {
  it('are exactly the 62 values of the facts sheet', () => {
    expect(VALID_STEP_COUNTS).toEqual(FACTS_VALID_K);
    expect(VALID_STEP_COUNTS.length).toBe(62);
    expect(validStepCounts(1000)).toEqual(FACTS_VALID_K);
  });

  it.each([1, 37, 45, 60, 75, 150, 300, 400, 0, 1001, 2.5])('rejects K = %s', (K) => {
    expect(isValidStepCount(K)).toBe(false);
    expect(() => respace(makeSchedule('linear'), K)).toThrow(InvalidStepCountError);
  });

  it('names the requested K and nearby valid values in the error', () => {
    let err: unknown;
    try {
      respace(makeSchedule('linear'), 37);
    } catch (e) {
      err = e;
    }
    expect(err).toBeInstanceOf(InvalidStepCountError);
    const e = err as InvalidStepCountError;
    expect(e.message).toContain('37');
    expect(e.message).toContain('35, 36, 38, 39');
    expect(e.nearby).toEqual([35, 36, 38, 39]);
    expect(new InvalidStepCountError(1).message).toContain('2, 3');
  });
});

describe('respace', () => {
  const linear = makeSchedule('linear');

  it.each(FACTS_TABLE)('K = %i uses stride %i and ends at τ = %i', (K, stride, last) => {
    const r = respace(linear, K);
    expect(r.stride).toBe(stride);
    expect(r.timesteps.length).toBe(K);
    expect(r.timesteps[0]).toBe(0);
    expect(r.timesteps[K - 1]).toBe(last);
    expect(r.timesteps.every((t, j) => t === j * stride)).toBe(true);
  });

  it('every valid K respaces, and ā_j ≈ ᾱ(τ_j) with prev/next boundaries', () => {
    for (const K of VALID_STEP_COUNTS) {
      const r = respace(linear, K);
      expect(r.alphaBarPrev[0]).toBe(1);
      expect(r.alphaBarNext[K - 1]).toBe(0);
      let maxRel = 0;
      let neighboursOk = true;
      for (let j = 0; j < K; j++) {
        maxRel = Math.max(maxRel, Math.abs(r.alphaBar[j] / linear.alphasCumprod[r.timesteps[j]] - 1));
        if (j > 0 && r.alphaBarPrev[j] !== r.alphaBar[j - 1]) neighboursOk = false;
        if (j < K - 1 && r.alphaBarNext[j] !== r.alphaBar[j + 1]) neighboursOk = false;
      }
      expect(maxRel).toBeLessThan(1e-12);
      expect(neighboursOk).toBe(true);
    }
  });

  it('K = 20 matches the numpy β′ walk + cumprod bit for bit', () => {
    const r = respace(linear, 20);
    expect(r.alphaBar[0]).toBe(0.9999);
    expect(r.alphaBar[10]).toBe(0.07779665836502389);
    expect(r.alphaBar[19]).toBe(0.0001060418281453202);
  });
});
