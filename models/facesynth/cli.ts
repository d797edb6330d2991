/**
 * FaceSynth64 dataset CLI.
 *   npx tsx models/facesynth/cli.ts --split train [--count N] [--offset K] [--workers 2] [--out DIR] [--sheet PNG]
 *   npx tsx models/facesynth/cli.ts --start 123 --count 64 --out DIR
 */
import { availableParallelism } from 'node:os';
import { join } from 'node:path';
import { pathToFileURL } from 'node:url';
import { parseArgs } from 'node:util';
import { generateBatch, generateDataset } from './generate.ts';
import { DEFAULT_RENDER } from './render.ts';
import { writeContactSheet } from './sheet.ts';
import { DEFAULT_COUNTS, isSplitName, splitSeeds } from './splits.ts';

export interface CliPlan {
  split: string;
  start: number;
  count: number;
  outDir: string;
  workers: number;
  sheet?: string;
}

const USAGE =
  'usage: cli.ts (--split train|val|test [--count N] [--offset K] | --start S --count N) [--out DIR] [--workers W] [--sheet PNG]';

function integerOption(name: string, value: string | undefined): number | undefined {
  if (value === undefined) return undefined;
  if (!/^\d+$/.test(value))
    throw new Error(`--${name} must be a non-negative integer, got ${JSON.stringify(value)}\n${USAGE}`);
  return Number(value);
}

export function parseCli(argv: readonly string[]): CliPlan {
  const { values } = parseArgs({
    args: [...argv],
    options: {
      split: { type: 'string' },
      start: { type: 'string' },
      count: { type: 'string' },
      offset: { type: 'string' },
      out: { type: 'string' },
      workers: { type: 'string' },
      sheet: { type: 'string' },
    },
    strict: true,
  });
  const count = integerOption('count', values.count);
  const start = integerOption('start', values.start);
  const offset = integerOption('offset', values.offset);
  const workers = integerOption('workers', values.workers) ?? Math.min(2, availableParallelism());
  if (workers < 1) throw new Error(`--workers must be at least 1\n${USAGE}`);
  let plan: Omit<CliPlan, 'workers' | 'sheet'>;
  if (values.split !== undefined) {
    if (!isSplitName(values.split))
      throw new Error(`--split must be train, val or test, got ${JSON.stringify(values.split)}\n${USAGE}`);
    if (start !== undefined)
      throw new Error(`use either --split (with --offset) or --start, not both\n${USAGE}`);
    const range = splitSeeds(values.split, count ?? DEFAULT_COUNTS[values.split], offset ?? 0);
    plan = {
      split: values.split,
      start: range.start,
      count: range.size,
      outDir: values.out ?? join('data', 'facesynth64', values.split),
    };
  } else {
    if (start === undefined || count === undefined)
      throw new Error(`without --split, both --start and --count are required\n${USAGE}`);
    if (offset !== undefined) throw new Error(`--offset only applies with --split\n${USAGE}`);
    if (count === 0) throw new Error('--count must be positive');
    plan = {
      split: 'custom',
      start,
      count,
      outDir: values.out ?? join('data', 'facesynth64', `custom-${start}-${count}`),
    };
  }
  return { ...plan, workers, ...(values.sheet !== undefined ? { sheet: values.sheet } : {}) };
}

async function main(): Promise<void> {
  const plan = parseCli(process.argv.slice(2));
  console.log(
    `facesynth64: ${plan.split} seeds [${plan.start}, ${plan.start + plan.count}) → ${plan.outDir} (${plan.workers} worker(s))`,
  );
  let lastLog = 0;
  const summary = await generateDataset({
    outDir: plan.outDir,
    start: plan.start,
    count: plan.count,
    workers: plan.workers,
    split: plan.split,
    onProgress(done, total) {
      const now = performance.now();
      if (now - lastLog > 5000 || done === total) {
        lastLog = now;
        console.log(`  ${done}/${total}`);
      }
    },
  });
  console.log(
    `done: ${summary.count} faces in ${summary.seconds.toFixed(1)} s (${summary.facesPerSecond.toFixed(0)} faces/s)`,
  );
  console.log('positive rate per attribute:');
  for (const [name, rate] of Object.entries(summary.positiveRate)) {
    const flag = rate < 0.05 || rate > 0.95 ? '  <-- outside [5%, 95%]' : '';
    console.log(`  ${name.padEnd(12)} ${(rate * 100).toFixed(1)}%${flag}`);
  }
  if (plan.sheet) {
    const n = Math.min(64, plan.count);
    writeContactSheet(plan.sheet, generateBatch(plan.start, n).images, n, DEFAULT_RENDER.size);
    console.log(`contact sheet of the first ${n} faces: ${plan.sheet}`);
  }
}

if (process.argv[1] && import.meta.url === pathToFileURL(process.argv[1]).href) {
  main().catch((err: unknown) => {
    console.error(err instanceof Error ? err.message : err);
    process.exit(1);
  });
}
