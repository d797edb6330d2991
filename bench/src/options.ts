/** Command-line options and the size profile (quick = CI size, full = the published figures). */
import os from 'node:os';
import path from 'node:path';
import { RESULTS_DIR } from './paths.ts';

export const SECTION_IDS = ['1', '2', '3', '4', '5', '6'] as const;
export type SectionId = (typeof SECTION_IDS)[number];

export interface Profile {
  components: {
    reps: number;
    batches: number[];
    /** null: the FFHQ256 architecture is skipped. */
    ffhq256: { batches: number[]; reps: number } | null;
    webReps: number;
  };
  jobs: {
    /** Step overrides for every job (null: the bundle's manifest defaults). */
    steps: { inversionSteps: number; renderSteps: number; latentSteps: number } | null;
    reps: number;
    frames: number;
    variations: number;
    samples: number;
  };
  batching: { concurrency: number[]; reps: number; inversionSteps: number; renderSteps: number };
  edge: { reps: number; submits: number };
  flops: { n: number; reps: number };
}

export type ProfileName = 'quick' | 'standard' | 'full';

export const PROFILES: Record<ProfileName, Profile> = {
  quick: {
    components: { reps: 2, batches: [1], ffhq256: null, webReps: 3 },
    jobs: {
      steps: { inversionSteps: 10, renderSteps: 5, latentSteps: 5 },
      reps: 1,
      frames: 3,
      variations: 2,
      samples: 2,
    },
    batching: { concurrency: [1, 4, 8], reps: 1, inversionSteps: 3, renderSteps: 2 },
    edge: { reps: 2, submits: 50 },
    flops: { n: 512, reps: 3 },
  },
  // About 15 minutes on 2 idle cores: every section, FFHQ256 at batch 1 only, the bundle's own step counts.
  standard: {
    components: { reps: 5, batches: [1, 8], ffhq256: { batches: [1], reps: 3 }, webReps: 7 },
    jobs: { steps: null, reps: 1, frames: 10, variations: 4, samples: 4 },
    batching: { concurrency: [1, 4, 8], reps: 1, inversionSteps: 20, renderSteps: 10 },
    edge: { reps: 7, submits: 200 },
    flops: { n: 1024, reps: 5 },
  },
  full: {
    components: { reps: 11, batches: [1, 8], ffhq256: { batches: [1, 8], reps: 3 }, webReps: 11 },
    jobs: { steps: null, reps: 3, frames: 10, variations: 4, samples: 4 },
    batching: { concurrency: [1, 4, 8], reps: 3, inversionSteps: 50, renderSteps: 20 },
    edge: { reps: 11, submits: 200 },
    flops: { n: 2048, reps: 7 },
  },
};

export interface BenchOptions {
  mode: ProfileName;
  sections: SectionId[];
  /** onnxruntime intraOpNumThreads = torch.set_num_threads. */
  threads: number;
  outDir: string;
  /** File name stem of the report (default: the mode). */
  stem: string;
  profile: Profile;
}

export const USAGE = `usage: npm run bench -- [--quick] [--sections 1,2,3,4,5,6] [--threads N] [--out DIR] [--stem NAME]
  --quick      CI size (seconds): small repetition counts, FFHQ256 skipped, few steps
  --profile    quick | standard (~15 min: FFHQ256 at batch 1 only) | full (default; about an hour)
  --sections   which sections to run (default: all); 5 needs 1 in the same run
  --threads    onnxruntime intraOpNumThreads and torch.set_num_threads (default: all cores)
  --out        results folder (default bench/results)
  --stem       report file name without extension (default: quick or full)`;

export class UsageError extends Error {}

export function parseOptions(argv: readonly string[], cores = os.availableParallelism()): BenchOptions {
  let mode: ProfileName = 'full';
  let sections: SectionId[] = [...SECTION_IDS];
  let threads = cores;
  let outDir = RESULTS_DIR;
  let stem: string | undefined;
  for (let i = 0; i < argv.length; i++) {
    const arg = argv[i];
    const value = () => {
      const v = argv[++i];
      if (v === undefined || v.startsWith('--')) throw new UsageError(`${arg} needs a value`);
      return v;
    };
    switch (arg) {
      case '--quick':
        mode = 'quick';
        break;
      case '--profile': {
        const name = value();
        if (!(name in PROFILES))
          throw new UsageError(`--profile is one of ${Object.keys(PROFILES).join(', ')}, got ${name}`);
        mode = name as ProfileName;
        break;
      }
      case '--sections': {
        const list = value()
          .split(',')
          .map((s) => s.trim());
        const bad = list.filter((s) => !(SECTION_IDS as readonly string[]).includes(s));
        if (bad.length > 0 || list.length === 0) {
          throw new UsageError(
            `--sections takes ids from ${SECTION_IDS.join(',')}, got ${JSON.stringify(bad)}`,
          );
        }
        sections = SECTION_IDS.filter((s) => list.includes(s));
        break;
      }
      case '--threads': {
        const raw = value();
        threads = Number(raw);
        if (!Number.isInteger(threads) || threads < 1)
          throw new UsageError(`--threads must be a positive integer, got ${raw}`);
        break;
      }
      case '--out':
        outDir = path.resolve(value());
        break;
      case '--stem': {
        stem = value();
        if (!/^[A-Za-z0-9._-]+$/.test(stem))
          throw new UsageError(`--stem must be a plain file name, got ${stem}`);
        break;
      }
      default:
        throw new UsageError(`unknown option ${arg}`);
    }
  }
  return { mode, sections, threads, outDir, stem: stem ?? mode, profile: PROFILES[mode] };
}
