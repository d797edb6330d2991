/** The pure parts of the suite: statistics, the interleaved schedule, options, report rendering. */
import { describe, expect, it } from 'vitest';
import { parseOptions, UsageError } from '../src/options.ts';
import { renderTable } from '../src/report.ts';
import { gapFraction, statsDelta } from '../src/sections/batching.ts';
import { stageMedians } from '../src/sections/jobs.ts';
import { interleaved, interleavedOrder, median, quantile } from '../src/stats.ts';

describe('stats', () => {
  it('median and quantiles interpolate between order statistics', () => {
    expect(median([3, 1, 2])).toBe(2);
    expect(median([4, 1, 3, 2])).toBe(2.5);
    expect(quantile([0, 10], 0.9)).toBeCloseTo(9);
    expect(() => median([])).toThrow(/no values/);
  });

  it('rotates the order of contenders every repetition and runs warm-ups first', async () => {
    expect(interleavedOrder(2, 3)).toEqual([
      [0, 1],
      [1, 0],
      [0, 1],
    ]);
    const calls: string[] = [];
    const mk = (name: string, ms: number) => ({
      name,
      run: async () => {
        calls.push(name);
        return ms;
      },
    });
    const times = await interleaved([mk('a', 1), mk('b', 2)], 2, 1);
    expect(calls).toEqual(['a', 'b', 'a', 'b', 'b', 'a']);
    expect(times).toEqual({ a: [1, 1], b: [2, 2] });
    await expect(interleaved([mk('a', 1)], 0)).rejects.toThrow(/repetitions/);
  });
});

describe('options', () => {
  it('parses the mode, sections and threads, and refuses bad values', () => {
    const o = parseOptions(['--quick', '--sections', '5,1', '--threads', '3'], 2);
    expect(o).toMatchObject({ mode: 'quick', sections: ['1', '5'], threads: 3, stem: 'quick' });
    expect(parseOptions([], 2)).toMatchObject({
      mode: 'full',
      threads: 2,
      sections: ['1', '2', '3', '4', '5', '6'],
    });
    expect(() => parseOptions(['--sections', '7'])).toThrow(UsageError);
    expect(() => parseOptions(['--threads', '0'])).toThrow(/positive integer/);
    expect(() => parseOptions(['--nope'])).toThrow(/unknown option/);
  });
});

describe('figures', () => {
  it('stage medians split the total into queue wait, stages and the rest', () => {
    const t = (total: number, render: number) => ({
      jobId: 'j',
      kind: 'reconstruct',
      state: 'succeeded',
      totalMs: total,
      queueWaitMs: 2,
      stageMs: { render, upload: 1 },
      sentAt: 0,
      doneAt: total,
    });
    const m = stageMedians([t(10, 5), t(20, 15), t(30, 20)]);
    expect(m).toMatchObject({ total: 20, queueWait: 2, render: 15, upload: 1, encode: 0, other: 2 });
  });

  it('batcher deltas and the gap fraction', () => {
    const zero = { calls: 0, rows: 0 };
    const base = {
      runs: { encode: zero, liteEncode: zero, eps: zero, latentEps: zero },
      meanEpsRows: 0,
      busyMs: 0,
      gapMs: 0,
      gaps: 0,
      maxGapMs: 0,
      splitRetries: 0,
    };
    const after = {
      ...base,
      runs: { ...base.runs, eps: { calls: 4, rows: 12 }, encode: { calls: 1, rows: 3 } },
      busyMs: 500,
      gapMs: 8,
      gaps: 4,
    };
    const d = statsDelta(base, after);
    expect(d).toEqual({ runs: 5, meanRowsPerEpsRun: 3, busyMs: 500, gapMs: 8, gaps: 4 });
    expect(gapFraction(d)).toBeCloseTo(2 / 100);
    expect(gapFraction({ runs: 1, busyMs: 10, gapMs: 0, gaps: 0 })).toBeNull();
  });

  it('renders a markdown table with formatted numbers and escaped pipes', () => {
    const md = renderTable({
      title: 'T',
      columns: ['a', 'b'],
      rows: [
        ['x|y', 1234.567],
        [null, 0.5],
      ],
    });
    expect(md).toBe('**T**\n\n| a | b |\n|---|---|\n| x\\|y | 1235 |\n| – | 0.50 |');
  });
});
