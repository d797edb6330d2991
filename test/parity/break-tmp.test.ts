import { vi } from 'vitest';

vi.mock('../../packages/shared/src/ddim.ts', async (importOriginal) => {
  const m = await importOriginal<typeof import('../../packages/shared/src/ddim.ts')>();
  const mode = process.env.PARITY_BREAK;
  if (mode === 'noclip') {
    return {
      ...m,
      ddimStep: (x: Float32Array, e: Float32Array, c: never) => m.ddimStep(x, e, c, false),
      reverseDdimStep: (x: Float32Array, e: Float32Array, c: never) => m.reverseDdimStep(x, e, c, false),
    };
  }
  if (mode === 'reverse-t') {
    return {
      ...m,
      ddimCoefficients: (r: never) => {
        const cs = m.ddimCoefficients(r);
        return cs.map((c, j) => ({ ...c, t: cs[cs.length - 1 - j].t }));
      },
    };
  }
  throw new Error('set PARITY_BREAK');
});

await import('./parity.test.ts');
