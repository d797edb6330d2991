import { describe, expect, it } from 'vitest';
import { parseCli } from '../../models/facesynth/cli.ts';
import { DEFAULT_COUNTS, SPLITS, splitSeeds } from '../../models/facesynth/splits.ts';

describe('splits', () => {
  it('are disjoint seed ranges', () => {
    const ranges = Object.values(SPLITS).sort((a, b) => a.start - b.start);
    for (let i = 1; i < ranges.length; i++)
      expect(ranges[i].start).toBeGreaterThanOrEqual(ranges[i - 1].start + ranges[i - 1].size);
  });

  it('resolve offsets and refuse to leave the split', () => {
    expect(splitSeeds('val', 10, 5)).toEqual({ start: 1_000_005, size: 10 });
    expect(() => splitSeeds('test', 5_001)).toThrow(/split test holds 5000 seeds/);
    expect(() => splitSeeds('train', 0)).toThrow(/positive integer/);
  });
});

describe('parseCli', () => {
  it('maps --split to its seed range, default count and folder', () => {
    expect(parseCli(['--split', 'train', '--workers', '1'])).toEqual({
      split: 'train',
      start: 0,
      count: DEFAULT_COUNTS.train,
      outDir: 'data/facesynth64/train',
      workers: 1,
    });
    expect(
      parseCli(['--split', 'test', '--count', '100', '--out', '/x', '--workers', '2', '--sheet', 's.png']),
    ).toEqual({
      split: 'test',
      start: 2_000_000,
      count: 100,
      outDir: '/x',
      workers: 2,
      sheet: 's.png',
    });
  });

  it('accepts an explicit --start/--count range', () => {
    const plan = parseCli(['--start', '42', '--count', '8', '--workers', '1']);
    expect(plan).toMatchObject({
      split: 'custom',
      start: 42,
      count: 8,
      outDir: 'data/facesynth64/custom-42-8',
    });
  });

  it('explains bad arguments', () => {
    expect(() => parseCli(['--split', 'dev'])).toThrow(/--split must be train, val or test/);
    expect(() => parseCli(['--start', '3'])).toThrow(/both --start and --count/);
    expect(() => parseCli(['--split', 'val', '--start', '3'])).toThrow(/not both/);
    expect(() => parseCli(['--split', 'val', '--count', '1e3'])).toThrow(
      /--count must be a non-negative integer/,
    );
    expect(() => parseCli(['--split', 'val', '--count', '6000'])).toThrow(/holds 5000 seeds/);
    expect(() => parseCli(['--bogus'])).toThrow();
  });
});
