/** Seed ranges of the FaceSynth64 splits. Seeds never overlap, so splits are disjoint by construction. */

export const GENERATOR_VERSION = '1.0.0';

export type SplitName = 'train' | 'val' | 'test';

export interface SeedRange {
  /** first seed (inclusive) */
  start: number;
  /** number of seeds available in the split */
  size: number;
}

export const SPLITS: Readonly<Record<SplitName, SeedRange>> = {
  train: { start: 0, size: 200_000 },
  val: { start: 1_000_000, size: 5_000 },
  test: { start: 2_000_000, size: 5_000 },
};

/** Default face counts of the CLI: train sized to finish in < 15 min on 2 cores (see the doc). */
export const DEFAULT_COUNTS: Readonly<Record<SplitName, number>> = {
  train: 50_000,
  val: 5_000,
  test: 5_000,
};

export function isSplitName(name: string): name is SplitName {
  return name === 'train' || name === 'val' || name === 'test';
}

/** Seeds [start, start+count) of a split, checked against the split's range. */
export function splitSeeds(split: SplitName, count = DEFAULT_COUNTS[split], offset = 0): SeedRange {
  const range = SPLITS[split];
  if (!Number.isInteger(count) || count <= 0)
    throw new RangeError(`count must be a positive integer, got ${count}`);
  if (!Number.isInteger(offset) || offset < 0)
    throw new RangeError(`offset must be a non-negative integer, got ${offset}`);
  if (offset + count > range.size) {
    throw new RangeError(
      `split ${split} holds ${range.size} seeds [${range.start}, ${range.start + range.size}); offset ${offset} + count ${count} exceeds it`,
    );
  }
  return { start: range.start + offset, size: count };
}
