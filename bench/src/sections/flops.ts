/**
 * Section 5: achieved FLOP/s against the machine's measured peak. A large square fp32 matmul on
 * onnxruntime-node and on torch (same threads) gives the peak (fastest repetition of either); each
 * component of section 1 achieves 2 × MACs / time, reported as a fraction of that peak.
 */
import path from 'node:path';
import { openTimedSession } from '../ort-session.ts';
import type { Cell } from '../report.ts';
import type { Section, SectionOutput } from '../section.ts';
import { interleaved, summarize } from '../stats.ts';

export const gflops = (flop: number, ms: number): number => flop / (ms * 1e6);

export const flopsSection: Section = {
  id: '5',
  title: 'Achieved FLOP/s against the measured peak',
  async run(ctx): Promise<SectionOutput> {
    const { n, reps } = ctx.options.profile.flops;
    const threads = ctx.options.threads;
    if (ctx.components.length === 0) {
      return {
        status: 'skipped',
        tables: [],
        data: {},
        notes: ['needs the component timings of section 1 in the same run'],
      };
    }
    await ctx.torch.request('threads', { threads });
    const file = path.join(ctx.scratchDir, `matmul-${n}.onnx`);
    await ctx.torch.request('matmul_onnx', { n, path: file });
    const ort = await openTimedSession('ort-node', file, threads, n, { a: [n], b: [n] });
    let times: Record<string, number[]>;
    try {
      times = await interleaved(
        [
          { name: 'ort-node', run: () => ort.time() },
          { name: 'torch', run: async () => (await ctx.torch.request<{ ms: number }>('matmul', { n })).ms },
        ],
        reps,
      );
    } finally {
      await ort.release();
    }
    const flop = 2 * n ** 3;
    const matmulRows: Cell[][] = [];
    let peak = 0;
    for (const [runtime, samples] of Object.entries(times)) {
      const s = summarize(samples);
      peak = Math.max(peak, gflops(flop, s.min));
      matmulRows.push([runtime, n, s.median, gflops(flop, s.median), gflops(flop, s.min)]);
    }
    const componentRows: Cell[][] = ctx.components
      .filter((m) => m.macs !== null && m.runtime !== 'ort-web')
      .map((m) => {
        const achieved = gflops(2 * (m.macs as number), m.ms.median);
        return [
          m.model,
          m.component,
          m.batch,
          m.runtime,
          m.threads,
          (m.macs as number) / 1e9,
          m.ms.median,
          achieved,
          achieved / peak,
        ];
      });
    return {
      tables: [
        {
          title: `fp32 matmul ${n}×${n} (${threads} thread(s))`,
          columns: ['runtime', 'n', 'median ms', 'GFLOP/s (median)', 'GFLOP/s (best)'],
          rows: matmulRows,
        },
        {
          title: `Achieved GFLOP/s per component (2 × MACs / median time) as a fraction of the peak ${peak.toFixed(1)} GFLOP/s`,
          columns: [
            'model',
            'component',
            'batch',
            'runtime',
            'threads',
            'GMACs',
            'median ms',
            'GFLOP/s',
            'fraction of peak',
          ],
          rows: componentRows,
        },
      ],
      data: { matmul: { n, times }, peakGflops: peak },
      notes: [
        'Peak = the fastest matmul repetition of either runtime: what this machine sustains on dense fp32 GEMM with these threads.',
        'MACs from models/diffae_toolkit/macs.py (count_macs) for the default architecture and the facts sheet for FFHQ256 ' +
          '(UNet 277,217,542,144 and encoder 35,396,255,744 MACs per sample); norms, activations and element-wise ops are not counted.',
      ],
    };
  },
};
