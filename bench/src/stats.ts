/** Pure statistics and the interleaved-repetition schedule of every measurement. */

export function quantile(values: readonly number[], q: number): number {
  if (values.length === 0) throw new RangeError('quantile of no values');
  if (!(q >= 0 && q <= 1)) throw new RangeError(`quantile q must be in [0, 1], got ${q}`);
  const sorted = [...values].sort((a, b) => a - b);
  const pos = (sorted.length - 1) * q;
  const lo = Math.floor(pos);
  const hi = Math.ceil(pos);
  return sorted[lo] + (sorted[hi] - sorted[lo]) * (pos - lo);
}

export const median = (values: readonly number[]): number => quantile(values, 0.5);

export interface Summary {
  n: number;
  median: number;
  p10: number;
  p90: number;
  min: number;
  max: number;
}

export function summarize(values: readonly number[]): Summary {
  return {
    n: values.length,
    median: median(values),
    p10: quantile(values, 0.1),
    p90: quantile(values, 0.9),
    min: Math.min(...values),
    max: Math.max(...values),
  };
}

/** One contender of a measurement: `run` performs one repetition and returns its time in ms. */
export interface Contender {
  name: string;
  run: () => Promise<number>;
}

/**
 * The order in which contenders run in each repetition: rotated by one every repetition, so that no
 * contender always runs first (after the other's caches, frequency changes or memory traffic).
 */
export function interleavedOrder(contenders: number, repetitions: number): number[][] {
  return Array.from({ length: repetitions }, (_, rep) =>
    Array.from({ length: contenders }, (_, k) => (k + rep) % contenders),
  );
}

/** Warm-up runs of every contender, then `repetitions` rounds in interleaved order. Times in ms. */
export async function interleaved(
  contenders: readonly Contender[],
  repetitions: number,
  warmup = 1,
): Promise<Record<string, number[]>> {
  if (!Number.isInteger(repetitions) || repetitions < 1) {
    throw new RangeError(`repetitions must be a positive integer, got ${repetitions}`);
  }
  for (let w = 0; w < warmup; w++) for (const c of contenders) await c.run();
  const times: Record<string, number[]> = Object.fromEntries(contenders.map((c) => [c.name, []]));
  for (const order of interleavedOrder(contenders.length, repetitions)) {
    for (const k of order) times[contenders[k].name].push(await contenders[k].run());
  }
  return times;
}

/** a / b rounded for tables; undefined when b is not positive. */
export function ratio(a: number, b: number): number | undefined {
  return b > 0 ? a / b : undefined;
}
