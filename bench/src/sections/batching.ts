/**
 * Section 3: cross-job batching. N reconstruct jobs sent at once to a worker that runs them together
 * (maxJobsInFlight 8, maxBatch 8: the batcher packs their UNet calls) against the same N jobs one by
 * one (maxJobsInFlight 1, maxBatch 1); the two alternate which goes first at each N. Also the idle time
 * of the backend between network runs (the JS work between steps) as a fraction of a run.
 */
import path from 'node:path';
import type { BatcherStats, RunRecord } from '../../../packages/gpu-worker/src/batcher.ts';
import type { JobSpec } from '../../../packages/shared/src/jobs.ts';
import { photoVariant } from '../images.ts';
import { benchModel } from '../models.ts';
import type { Cell } from '../report.ts';
import type { Section, SectionOutput } from '../section.ts';
import { median } from '../stats.ts';
import { WorkerRig } from '../worker-rig.ts';

export interface RoundResult {
  jobs: number;
  /** First send → last terminal status. */
  makespanMs: number;
  jobsPerS: number;
  medianLatencyMs: number;
  /** Batcher figures of this round only. */
  runs: number;
  meanRowsPerEpsRun: number;
  busyMs: number;
  gapMs: number;
  gaps: number;
  /** UNet runs of this round that followed another run of an active job: their gap and duration (ms). */
  epsGaps: number[];
  epsRunMs: number[];
}

/** Per-round batcher figures: the difference of two cumulative snapshots. */
export function statsDelta(
  before: BatcherStats,
  after: BatcherStats,
): Pick<RoundResult, 'runs' | 'meanRowsPerEpsRun' | 'busyMs' | 'gapMs' | 'gaps'> {
  const kinds = Object.keys(after.runs) as (keyof BatcherStats['runs'])[];
  const runs = kinds.reduce((a, k) => a + after.runs[k].calls - before.runs[k].calls, 0);
  const epsCalls = after.runs.eps.calls - before.runs.eps.calls;
  const epsRows = after.runs.eps.rows - before.runs.eps.rows;
  return {
    runs,
    meanRowsPerEpsRun: epsCalls > 0 ? epsRows / epsCalls : 0,
    busyMs: after.busyMs - before.busyMs,
    gapMs: after.gapMs - before.gapMs,
    gaps: after.gaps - before.gaps,
  };
}

/** Mean gap between runs divided by the mean run time (the "JS time between UNet calls" fraction). */
export function gapFraction(r: Pick<RoundResult, 'runs' | 'busyMs' | 'gapMs' | 'gaps'>): number | null {
  if (r.gaps === 0 || r.runs === 0 || r.busyMs <= 0) return null;
  return r.gapMs / r.gaps / (r.busyMs / r.runs);
}

/**
 * Median idle time before a UNet run ÷ median UNet run: the per-step JS work of the DDIM loop, without
 * the few long gaps at stage changes (image decode, cache writes) that the mean includes.
 */
export function stepGapFraction(r: Pick<RoundResult, 'epsGaps' | 'epsRunMs'>): number | null {
  if (r.epsGaps.length === 0 || r.epsRunMs.length === 0) return null;
  return median(r.epsGaps) / median(r.epsRunMs);
}

/** The UNet runs of a round, from the batcher's run records. */
export function epsSteps(runs: readonly RunRecord[]): Pick<RoundResult, 'epsGaps' | 'epsRunMs'> {
  const steps = runs.filter((r) => r.kind === 'eps' && r.gapMs !== undefined);
  return { epsGaps: steps.map((r) => r.gapMs as number), epsRunMs: steps.map((r) => r.endMs - r.startMs) };
}

/** Medians of jobs/s and latency over repetitions; batcher figures summed. */
export function combineRounds(rs: readonly RoundResult[]): RoundResult {
  if (rs.length === 0) throw new RangeError('no rounds');
  const sum = (f: (r: RoundResult) => number) => rs.reduce((a, r) => a + f(r), 0);
  const epsRuns = sum((r) => (r.meanRowsPerEpsRun > 0 ? r.runs : 0));
  return {
    jobs: rs[0].jobs,
    makespanMs: median(rs.map((r) => r.makespanMs)),
    jobsPerS: median(rs.map((r) => r.jobsPerS)),
    medianLatencyMs: median(rs.map((r) => r.medianLatencyMs)),
    runs: sum((r) => r.runs),
    meanRowsPerEpsRun: epsRuns > 0 ? sum((r) => r.meanRowsPerEpsRun * r.runs) / epsRuns : 0,
    busyMs: sum((r) => r.busyMs),
    gapMs: sum((r) => r.gapMs),
    gaps: sum((r) => r.gaps),
    epsGaps: rs.flatMap((r) => r.epsGaps),
    epsRunMs: rs.flatMap((r) => r.epsRunMs),
  };
}

/** A worker rig with the log of its batcher's runs. */
interface LoggedRig {
  rig: WorkerRig;
  runs: RunRecord[];
}

async function openLoggedRig(o: Parameters<typeof WorkerRig.open>[0]): Promise<LoggedRig> {
  const runs: RunRecord[] = [];
  return { rig: await WorkerRig.open({ ...o, onRun: (r) => runs.push(r) }), runs };
}

async function round({ rig, runs }: LoggedRig, specs: readonly JobSpec[]): Promise<RoundResult> {
  const before = rig.model.batcher.stats();
  const firstRun = runs.length;
  const timings = await Promise.all(specs.map((s) => rig.run(s)));
  const after = rig.model.batcher.stats();
  const start = Math.min(...timings.map((t) => t.sentAt));
  const end = Math.max(...timings.map((t) => t.doneAt));
  const makespanMs = end - start;
  return {
    jobs: specs.length,
    makespanMs,
    jobsPerS: (specs.length * 1000) / makespanMs,
    medianLatencyMs: median(timings.map((t) => t.totalMs)),
    ...statsDelta(before, after),
    ...epsSteps(runs.slice(firstRun)),
  };
}

export const batchingSection: Section = {
  id: '3',
  title: 'Cross-job batching: throughput and latency at 1, 4 and 8 concurrent jobs',
  async run(ctx): Promise<SectionOutput> {
    const p = ctx.options.profile.batching;
    const model = await benchModel(ctx.torch, 'default');
    const common = { bundleDir: model.bundleDir, threads: ctx.options.threads };
    const maxN = Math.max(...p.concurrency);
    const batched = await openLoggedRig({
      ...common,
      dir: path.join(ctx.scratchDir, 'batched'),
      maxBatch: 8,
      maxJobsInFlight: maxN,
    });
    const serial = await openLoggedRig({
      ...common,
      dir: path.join(ctx.scratchDir, 'serial'),
      maxBatch: 1,
      maxJobsInFlight: 1,
    });
    try {
      let variant = 1000;
      const specs = async ({ rig }: LoggedRig, n: number): Promise<JobSpec[]> => {
        const out: JobSpec[] = [];
        for (let i = 0; i < n; i++) {
          const image = await rig.upload(`b${variant}.png`, photoVariant(variant++));
          out.push({
            kind: 'reconstruct',
            input: { image },
            inversionSteps: p.inversionSteps,
            renderSteps: p.renderSteps,
          });
        }
        return out;
      };
      // Warm-up of both workers (not reported).
      await round(batched, await specs(batched, 2));
      await round(serial, await specs(serial, 1));
      const rounds: Record<'batched' | 'serial', RoundResult[]>[] = p.concurrency.map(() => ({
        batched: [],
        serial: [],
      }));
      for (let rep = 0; rep < p.reps; rep++) {
        for (const [i, n] of p.concurrency.entries()) {
          // Alternate which worker goes first, so neither always runs after the other.
          const order =
            (i + rep) % 2 === 0 ? (['batched', 'serial'] as const) : (['serial', 'batched'] as const);
          for (const which of order) {
            const rig = which === 'batched' ? batched : serial;
            rounds[i][which].push(await round(rig, await specs(rig, n)));
          }
        }
      }
      const results = p.concurrency.map((n, i) => ({
        n,
        batched: combineRounds(rounds[i].batched),
        serial: combineRounds(rounds[i].serial),
      }));
      const rows: Cell[][] = results.map(({ n, batched: b, serial: s }) => [
        n,
        s.jobsPerS,
        b.jobsPerS,
        b.jobsPerS / s.jobsPerS,
        s.medianLatencyMs,
        b.medianLatencyMs,
        b.meanRowsPerEpsRun,
        stepGapFraction(b),
        gapFraction(b),
        stepGapFraction(s),
        gapFraction(s),
      ]);
      const at8 = results.find((r) => r.n === 8);
      const at1 = results.find((r) => r.n === 1);
      const targets: Cell[][] = [
        [
          'throughput at 8 jobs, batched / one-by-one',
          at8 ? at8.batched.jobsPerS / at8.serial.jobsPerS : null,
          '≥ 1.1',
          at8 ? (at8.batched.jobsPerS / at8.serial.jobsPerS >= 1.1 ? 'yes' : 'no') : '–',
        ],
        [
          'single-job latency, batched / one-by-one',
          at1 ? at1.batched.medianLatencyMs / at1.serial.medianLatencyMs : null,
          '≤ 1.0 (+ noise)',
          at1 ? (at1.batched.medianLatencyMs / at1.serial.medianLatencyMs <= 1.05 ? 'yes' : 'no') : '–',
        ],
        [
          'JS work between UNet calls / UNet run (median step gap), single job',
          at1 ? stepGapFraction(at1.batched) : null,
          '< 0.02',
          at1 ? ((stepGapFraction(at1.batched) ?? 1) < 0.02 ? 'yes' : 'no') : '–',
        ],
        [
          'mean gap incl. stage changes / mean run, single job',
          at1 ? gapFraction(at1.batched) : null,
          '–',
          '–',
        ],
      ];
      return {
        tables: [
          {
            title: `Reconstruct jobs (inversion ${p.inversionSteps}, render ${p.renderSteps} steps), ${ctx.options.threads} thread(s)`,
            columns: [
              'jobs',
              'one-by-one jobs/s',
              'batched jobs/s',
              'throughput ratio',
              'one-by-one median latency ms',
              'batched median latency ms',
              'rows per UNet run',
              'step gap / run, median (batched)',
              'gap / run, mean (batched)',
              'step gap / run, median (one-by-one)',
              'gap / run, mean (one-by-one)',
            ],
            rows,
          },
          { title: 'Targets', columns: ['figure', 'measured', 'target', 'met'], rows: targets },
        ],
        data: { results, rounds },
        notes: [
          `Medians over ${p.reps} repetition(s), the two workers alternating which runs first. ` +
            'Batched: one worker with maxJobsInFlight ≥ N and maxBatch 8 (the default); one-by-one: maxJobsInFlight 1, maxBatch 1. Same bundle, threads and images.',
          'Latency = send → terminal status (includes waiting in the queue behind earlier jobs). ' +
            'gap / run, mean = mean idle time of the backend between two runs while a job is active (JS between steps plus batching waits, and the stage changes: image decode, inversion-cache writes) ÷ mean run time (BatchingBackend.stats()). ' +
            'step gap / run, median = median idle time before a UNet run ÷ median UNet run (BatchingOptions.onRun records): the per-step JS work of the DDIM loop.',
        ],
      };
    } finally {
      await batched.rig.close();
      await serial.rig.close();
    }
  },
};
