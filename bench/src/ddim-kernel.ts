/**
 * The DDIM update between two network calls, µs per call: the JS reference loop against the wasm
 * SIMD kernel (both with the fused eps check, writing into a preallocated buffer as runDdim does),
 * and the path runDdim took before the kernel (assertFinite pass, then an allocating JS ddimStep).
 *
 *   npx tsx bench/src/ddim-kernel.ts [--reps N]
 */
import { fileURLToPath } from 'node:url';
import {
  assertFinite,
  ddimCoefficients,
  ddimKernelName,
  ddimStep,
  ddimStepInto,
  makeSchedule,
  NormalStream,
  respace,
  selectDdimKernel,
} from '@diffae/shared';
import type { Cell } from './report.ts';
import type { SectionOutput } from './section.ts';
import { interleaved, summarize } from './stats.ts';

/** 1×3×64×64 (FaceSynth64 at batch 1) and 4×3×256×256 (FFHQ256 at batch 4). */
export const DDIM_KERNEL_SHAPES: readonly (readonly number[])[] = [
  [1, 3, 64, 64],
  [4, 3, 256, 256],
];

export async function ddimKernelOutput(reps = 15): Promise<SectionOutput> {
  const c = ddimCoefficients(respace(makeSchedule('linear'), 20))[10];
  const rows: Cell[][] = [];
  const data: Record<string, unknown> = {};
  for (const shape of DDIM_KERNEL_SHAPES) {
    const n = shape.reduce((a, b) => a * b, 1);
    const noise = new NormalStream(n);
    const x = noise.tensor(shape).data;
    const eps = noise.tensor(shape);
    const out = new Float32Array(n);
    const calls = Math.max(1, Math.round(2e6 / n)); // about 2M values per timed repetition
    const timed = (kernel: 'js' | 'auto', body: () => void) => async () => {
      selectDdimKernel(kernel);
      const t0 = performance.now();
      for (let k = 0; k < calls; k++) body();
      return ((performance.now() - t0) * 1000) / calls;
    };
    const times = await interleaved(
      [
        {
          name: 'before: assertFinite + ddimStep (js)',
          run: timed('js', () => {
            assertFinite(eps, 'eps');
            ddimStep(x, eps.data, c, true);
          }),
        },
        {
          name: 'js (fused check, into buffer)',
          run: timed('js', () => {
            ddimStepInto(out, x, eps.data, c, 'generate', true);
          }),
        },
        {
          name: 'wasm-simd (fused check, into buffer)',
          run: timed('auto', () => {
            ddimStepInto(out, x, eps.data, c, 'generate', true);
          }),
        },
      ],
      reps,
      2,
    );
    selectDdimKernel('auto');
    const base = summarize(times['js (fused check, into buffer)']).median;
    for (const [name, samples] of Object.entries(times)) {
      const s = summarize(samples);
      rows.push([shape.join('×'), n, name, s.median, s.p10, s.p90, (s.median * 1000) / n, base / s.median]);
    }
    data[shape.join('x')] = times;
  }
  return {
    tables: [
      {
        title: 'DDIM update per call (µs, medians over repetitions of about 2M values each)',
        columns: [
          'shape',
          'values',
          'implementation',
          'median µs',
          'p10 µs',
          'p90 µs',
          'ns/value',
          'speed-up vs js',
        ],
        rows,
      },
    ],
    data: { ...data, kernel: ddimKernelName() },
    notes: [`active kernel: ${ddimKernelName()}`],
  };
}

if (process.argv[1] === fileURLToPath(import.meta.url)) {
  const i = process.argv.indexOf('--reps');
  const out = await ddimKernelOutput(i > 0 ? Number(process.argv[i + 1]) : undefined);
  for (const t of out.tables) {
    console.log(t.title);
    console.table(t.rows.map((r) => Object.fromEntries(t.columns.map((c, k) => [c, r[k]]))));
  }
  console.log(out.notes.join('\n'));
}
