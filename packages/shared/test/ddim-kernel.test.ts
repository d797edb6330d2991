import { execFileSync } from 'node:child_process';
import { readFileSync } from 'node:fs';
import { fileURLToPath } from 'node:url';
import { afterEach, describe, expect, it, vi } from 'vitest';
import {
  type DdimDirection,
  ddimCoefficients,
  ddimKernelName,
  ddimStep,
  ddimStepInto,
  type StepCoeff,
  selectDdimKernel,
} from '../src/ddim.ts';
import { NormalStream, Xoshiro128StarStar } from '../src/prng.ts';
import { runDdim } from '../src/sampler.ts';
import { makeSchedule, respace } from '../src/schedule.ts';
import type { Tensor } from '../src/tensor.ts';

const ROOT = fileURLToPath(new URL('../../../', import.meta.url));
const COEFFS = [
  ...ddimCoefficients(respace(makeSchedule('linear'), 20)),
  ...ddimCoefficients(respace(makeSchedule('const0.008'), 10)),
];
const DIRECTIONS: DdimDirection[] = ['generate', 'invert'];
/** Coefficients no schedule gives, for corner cases the kernel must still get right. */
const ODD: StepCoeff[] = [
  // x0 = x − ε: lands exactly on ±1 for SPECIALS pairs such as (1.5, 0.5).
  { t: 0, A: 1, B: 1, P: 1, N: 1, sqrtP: 1, sqrt1mP: 0, sqrtN: 1, sqrt1mN: 0 },
  // Negative factors make the sign of a −0 x0 visible in the result (x = 0, ε = −0 gives x0 = −0).
  { t: 0, A: -1, B: -1, P: 1, N: 1, sqrtP: -1, sqrt1mP: -1, sqrtN: -0.5, sqrt1mN: -2 },
];
const SPECIALS = [
  0,
  -0,
  1,
  -1,
  0.5,
  -0.5,
  1.5,
  -1.5,
  2,
  1e-40,
  -1e-40,
  3.4e38,
  -3.4e38,
  Number.NaN,
  Infinity,
  -Infinity,
];

afterEach(() => {
  vi.unstubAllGlobals();
  selectDdimKernel('auto');
});

/** Normal values at scales 0.5, 2 and 30 (well beyond the clamp once multiplied by A). */
function randomValues(seed: number, n: number): Float32Array {
  const normal = new NormalStream(seed);
  const pick = Xoshiro128StarStar.fromSeed(seed + 1);
  return Float32Array.from({ length: n }, () => normal.next() * [0.5, 2, 30][pick.nextUint32() % 3]);
}

/** Arbitrary float32 bit patterns: subnormals, NaNs with payloads, infinities, extremes. */
function randomBits(seed: number, n: number): Float32Array {
  const rng = Xoshiro128StarStar.fromSeed(seed);
  return new Float32Array(Uint32Array.from({ length: n }, () => rng.nextUint32()).buffer);
}

interface StepResult {
  out: Float32Array;
  finite: boolean;
}

function step(x: Float32Array, eps: Float32Array, c: StepCoeff, d: DdimDirection, clip: boolean): StepResult {
  const out = new Float32Array(x.length);
  return { out, finite: ddimStepInto(out, x, eps, c, d, clip) };
}

/** Runs `fn` with the JS reference loop, then with the wasm kernel (which must be the one active). */
function withBoth<T>(fn: () => T): { js: T; wasm: T } {
  selectDdimKernel('js');
  expect(ddimKernelName()).toBe('js');
  const js = fn();
  selectDdimKernel('auto');
  expect(ddimKernelName()).toBe('wasm-simd');
  return { js, wasm: fn() };
}

/** Equal bit patterns, except that any NaN matches any NaN (payloads are not specified by wasm). */
function firstDifference(a: Float32Array, b: Float32Array): number {
  const ab = new Uint32Array(a.buffer, a.byteOffset, a.length);
  const bb = new Uint32Array(b.buffer, b.byteOffset, b.length);
  for (let i = 0; i < a.length; i++) {
    if (ab[i] !== bb[i] && !(Number.isNaN(a[i]) && Number.isNaN(b[i]))) return i;
  }
  return a.length === b.length ? -1 : Math.min(a.length, b.length);
}

function expectSame(js: StepResult, wasm: StepResult, what: string): void {
  const i = firstDifference(js.out, wasm.out);
  expect(i, `${what}: first difference at ${i}: js ${js.out[i]}, wasm ${wasm.out[i]}`).toBe(-1);
  expect(wasm.finite, what).toBe(js.finite);
}

describe('DDIM kernel selection', () => {
  it('uses the wasm SIMD kernel in Node by default', () => {
    expect(ddimKernelName()).toBe('wasm-simd');
  });

  it('falls back to the JS loop where wasm from bytes is refused or WebAssembly is missing', async () => {
    const x = randomValues(1, 10);
    const eps = randomValues(2, 10);
    const expected = withBoth(() => ddimStep(x, eps, COEFFS[7], true)).js;
    const { CompileError } = WebAssembly;
    // workerd is not available to this test; its refusal is what this throwing constructor mimics.
    const refusing = {
      Module: class {
        constructor() {
          throw new CompileError('WebAssembly.Module(): Wasm code generation disallowed by embedder');
        }
      },
    };
    for (const stub of [refusing, undefined]) {
      vi.stubGlobal('WebAssembly', stub);
      vi.resetModules(); // a fresh ddim.ts makes its choice again
      const fresh = await import('../src/ddim.ts');
      expect(fresh.ddimKernelName()).toBe('js');
      expect(fresh.ddimStep(x, eps, COEFFS[7], true)).toEqual(expected);
      vi.unstubAllGlobals();
    }
  });
});

describe('the wasm kernel matches the JS loop bit for bit', () => {
  it.each([1, 2, 3, 4, 5, 6, 7, 8, 9, 12288, 3 * 256 * 256])('random values, length %i', (n) => {
    const x = randomValues(10 + n, n);
    const eps = randomValues(20 + n, n);
    for (const c of COEFFS) {
      for (const d of DIRECTIONS) {
        for (const clip of [true, false]) {
          const { js, wasm } = withBoth(() => step(x, eps, c, d, clip));
          expectSame(js, wasm, `t=${c.t} ${d} clip=${clip}`);
        }
      }
    }
  });

  it('every pair of special values (±0, ±1, subnormals, extremes, NaN, ±Inf)', () => {
    const x = Float32Array.from(SPECIALS.flatMap((a) => SPECIALS.map(() => a)));
    const eps = Float32Array.from(SPECIALS.flatMap(() => SPECIALS));
    const outputs: Float32Array[] = [];
    for (const c of [...COEFFS, ...ODD]) {
      for (const d of DIRECTIONS) {
        for (const clip of [true, false]) {
          const { js, wasm } = withBoth(() => step(x, eps, c, d, clip));
          expectSame(js, wasm, `t=${c.t} ${d} clip=${clip}`);
          outputs.push(js.out);
        }
      }
    }
    // The cases are not vacuous: results hit the clamp bounds exactly, −0 and NaN occur.
    const all = outputs.flatMap((o) => Array.from(o));
    expect(all).toContain(1);
    expect(all).toContain(-1);
    expect(all.some((v) => Object.is(v, -0))).toBe(true);
    expect(all.some(Number.isNaN)).toBe(true);
  });

  it('arbitrary bit patterns', () => {
    const x = randomBits(3, 4099);
    const eps = randomBits(4, 4099);
    for (const c of COEFFS) {
      for (const clip of [true, false]) {
        const { js, wasm } = withBoth(() => step(x, eps, c, 'generate', clip));
        expectSame(js, wasm, `t=${c.t} clip=${clip}`);
      }
    }
  });

  it('in place (out = x)', () => {
    const x = randomValues(5, 1001);
    const eps = randomValues(6, 1001);
    const { js, wasm } = withBoth(() => {
      const y = x.slice();
      ddimStepInto(y, y, eps, COEFFS[12], 'invert', true);
      return y;
    });
    expect(firstDifference(js, wasm)).toBe(-1);
    expect(firstDifference(js, step(x, eps, COEFFS[12], 'invert', true).out)).toBe(-1);
  });
});

describe('the fused finiteness check of eps', () => {
  it('is false exactly when eps holds a NaN or ±Inf, at any position', () => {
    for (const kernel of ['js', 'auto'] as const) {
      selectDdimKernel(kernel);
      for (let n = 1; n <= 9; n++) {
        const x = randomValues(n, n);
        const eps = randomValues(n + 100, n);
        expect(step(x, eps, COEFFS[3], 'generate', true).finite).toBe(true);
        for (let p = 0; p < n; p++) {
          for (const bad of [Number.NaN, Infinity, -Infinity]) {
            const e = eps.slice();
            e[p] = bad;
            expect(step(x, e, COEFFS[3], 'generate', true).finite, `${kernel} n=${n} eps[${p}]=${bad}`).toBe(
              false,
            );
          }
        }
        const xBad = x.slice();
        xBad[0] = Number.NaN;
        expect(step(xBad, eps, COEFFS[3], 'generate', true).finite).toBe(true);
      }
    }
  });

  it('ignores what an earlier, longer call left beyond the end', () => {
    const eps = new Float32Array(8).fill(0.5);
    eps[6] = Number.NaN;
    expect(step(new Float32Array(8), eps, COEFFS[3], 'generate', true).finite).toBe(false);
    expect(step(new Float32Array(5), eps.subarray(0, 5), COEFFS[3], 'generate', true).finite).toBe(true);
  });

  it('runDdim reports non-finite network output as assertFinite does, with either kernel', async () => {
    const x: Tensor = { data: randomValues(7, 12), shape: [1, 3, 2, 2] };
    const eps = randomValues(8, 12);
    eps[5] = Number.NaN;
    eps[7] = Infinity;
    const loop = {
      x,
      coeffs: COEFFS.slice(0, 20),
      direction: 'generate' as const,
      clip: true,
      eps: async (chunk: Tensor) => ({ data: eps, shape: chunk.shape }),
      stage: 'render' as const,
    };
    for (const kernel of ['js', 'auto'] as const) {
      selectDdimKernel(kernel);
      await expect(runDdim(loop, 1, {})).rejects.toThrow(
        'eps from the network at t=950 (stage render) [1, 3, 2, 2] contains non-finite values: 2 of 12, first NaN at flat index 5',
      );
    }
  });

  it('runDdim gives the same samples with either kernel', async () => {
    const x: Tensor = { data: randomValues(9, 2 * 3 * 5 * 5), shape: [2, 3, 5, 5] };
    const run = (direction: DdimDirection) =>
      runDdim(
        {
          x,
          coeffs: COEFFS.slice(0, 20),
          direction,
          clip: direction === 'generate',
          eps: async (chunk, t) => ({ data: chunk.data.map((v) => Math.sin(v * t[0])), shape: chunk.shape }),
          stage: 'render',
        },
        1,
        {},
      );
    for (const d of DIRECTIONS) {
      selectDdimKernel('js');
      const js = await run(d);
      selectDdimKernel('auto');
      expect(firstDifference(js.data, (await run(d)).data), d).toBe(-1);
    }
  });
});

describe('ddim-wasm.ts', () => {
  it('holds exactly what scripts/build-ddim-wasm.mjs assembles from ddim.wat', () => {
    const generated = execFileSync(process.execPath, ['scripts/build-ddim-wasm.mjs', '--stdout'], {
      cwd: ROOT,
      encoding: 'utf8',
    });
    expect(readFileSync(`${ROOT}packages/shared/src/ddim-kernel/ddim-wasm.ts`, 'utf8')).toBe(generated);
  });
});
