/**
 * Section 2: end-to-end latency of each job kind on the default bundle through the real worker
 * (queue → status), split into the worker's stages; and the second edit of an image against its first
 * (the second skips encoder and inversion through the inversion cache).
 */
import path from 'node:path';
import type { JobSpec } from '../../../packages/shared/src/jobs.ts';
import { photoVariant } from '../images.ts';
import { benchModel } from '../models.ts';
import type { Cell } from '../report.ts';
import type { Section, SectionOutput } from '../section.ts';
import { median } from '../stats.ts';
import { type JobTiming, WorkerRig } from '../worker-rig.ts';

export const STAGE_COLUMNS = ['download', 'encode', 'inversion', 'render', 'upload'] as const;

/** Medians of one job kind over repetitions, in ms: total, queue wait, each stage, and the rest. */
export function stageMedians(timings: readonly JobTiming[]): Record<string, number> {
  if (timings.length === 0) throw new RangeError('no timings');
  const out: Record<string, number> = {
    total: median(timings.map((t) => t.totalMs)),
    queueWait: median(timings.map((t) => t.queueWaitMs)),
  };
  for (const s of STAGE_COLUMNS) out[s] = median(timings.map((t) => t.stageMs[s] ?? 0));
  out.other = median(
    timings.map(
      (t) => t.totalMs - t.queueWaitMs - STAGE_COLUMNS.reduce((a, s) => a + (t.stageMs[s] ?? 0), 0),
    ),
  );
  return out;
}

type Case = { name: string; spec: () => Promise<JobSpec> };

export const jobsSection: Section = {
  id: '2',
  title: 'End-to-end job latency per kind (worker, fs store + SQLite queue)',
  async run(ctx): Promise<SectionOutput> {
    const p = ctx.options.profile.jobs;
    const model = await benchModel(ctx.torch, 'default');
    const rig = await WorkerRig.open({
      dir: path.join(ctx.scratchDir, 'jobs'),
      bundleDir: model.bundleDir,
      threads: ctx.options.threads,
      maxBatch: 8,
      maxJobsInFlight: 1,
    });
    try {
      const manifest = rig.model.manifest;
      const attrs = manifest.attributes;
      if (attrs.length < 2)
        throw new Error(`the default bundle ${manifest.id} needs a classifier with 2+ attributes`);
      const [a1, a2] = attrs.includes('Smiling')
        ? ['Smiling', attrs.find((a) => a !== 'Smiling') as string]
        : attrs;
      const steps = p.steps
        ? { inversionSteps: p.steps.inversionSteps, renderSteps: p.steps.renderSteps }
        : {};
      let variant = 0;
      const fresh = async () => rig.upload(`v${variant}.png`, photoVariant(variant++));
      // Each repetition works on fresh images, except a second edit, which reuses its first edit's image.
      const editPair = (label: string, editSteps: Partial<JobSpec & { kind: 'manipulate' }>): Case[] => {
        let image = '';
        return [
          {
            name: `manipulate (first edit${label})`,
            spec: async () => {
              image = await fresh();
              const edits = [{ attribute: a1, amplitude: 0.5 }];
              return { kind: 'manipulate', input: { image }, edits, ...editSteps };
            },
          },
          {
            name: `manipulate (second edit, same image${label})`,
            spec: async () => {
              const edits = [{ attribute: a2, amplitude: -0.5 }];
              return { kind: 'manipulate', input: { image }, edits, ...editSteps };
            },
          },
        ];
      };
      // The official manipulation notebook's steps (facts §4/§8), where the inversion is most of the work.
      const official = { inversionSteps: 250, renderSteps: 100 };
      const editPairs: [string, Case[]][] = [['bundle defaults', editPair('', steps)]];
      if (!p.steps) {
        editPairs.push([
          'official notebook steps (inversion 250, render 100)',
          editPair(', 250/100', official),
        ]);
      }
      const cases: Case[] = [
        {
          name: 'reconstruct',
          spec: async () => ({ kind: 'reconstruct', input: { image: await fresh() }, ...steps }),
        },
        ...editPairs.flatMap(([, pair]) => pair),
        {
          name: `interpolate (${p.frames} frames)`,
          spec: async () => ({
            kind: 'interpolate',
            a: { image: await fresh() },
            b: { image: await fresh() },
            frames: p.frames,
            animated: true,
            ...steps,
          }),
        },
        {
          name: `vary (n ${p.variations})`,
          spec: async () => ({ kind: 'vary', input: { image: await fresh() }, n: p.variations, ...steps }),
        },
        {
          name: `sample (n ${p.samples})`,
          spec: async () => ({
            kind: 'sample',
            n: p.samples,
            ...(p.steps ? { renderSteps: p.steps.renderSteps, latentSteps: p.steps.latentSteps } : {}),
          }),
        },
      ];
      // Warm-up job (first-run allocations, file-system caches); not reported.
      await rig.run({ kind: 'reconstruct', input: { image: await fresh() }, ...steps });
      const timings: Record<string, JobTiming[]> = Object.fromEntries(cases.map((c) => [c.name, []]));
      for (let rep = 0; rep < p.reps; rep++) {
        for (const c of cases) timings[c.name].push(await rig.run(await c.spec()));
      }
      const medians = Object.fromEntries(cases.map((c) => [c.name, stageMedians(timings[c.name])]));
      const rows: Cell[][] = cases.map((c) => {
        const m = medians[c.name];
        return [c.name, m.total, m.queueWait, ...STAGE_COLUMNS.map((s) => m[s]), m.other];
      });
      const editRows = editPairs.map(([label, [first, second]]) => {
        const a = medians[first.name].total;
        const b = medians[second.name].total;
        return { label, first: a, second: b, ratio: b / a };
      });
      const editRatio = editRows[0].ratio;
      const d = manifest.defaults;
      const used = p.steps
        ? `inversion ${p.steps.inversionSteps}, render ${p.steps.renderSteps}, latent ${p.steps.latentSteps} steps (quick)`
        : `the bundle defaults: inversion ${d.inversionSteps}, render ${d.renderSteps}, manipulate render ${d.manipulateRenderSteps}, latent ${d.latentSteps ?? '–'} steps`;
      return {
        tables: [
          {
            title: `Job latency on ${model.label}, ${model.weights} weights, ${ctx.options.threads} thread(s), one job at a time (ms, medians of ${p.reps})`,
            columns: ['job', 'total', 'queue wait', ...STAGE_COLUMNS, 'other'],
            rows,
          },
          {
            title: 'Second edit of the same image against the first (inversion cache)',
            columns: ['steps', 'first edit ms', 'second edit ms', 'second / first', 'target', 'met'],
            rows: editRows.map((r) => [
              r.label,
              r.first,
              r.second,
              r.ratio,
              '≤ 0.33',
              r.ratio <= 1 / 3 ? 'yes' : 'no',
            ]),
          },
        ],
        data: { steps: used, timings, medians, editRatio, editRows },
        notes: [
          `Steps: ${used}.`,
          "Queue wait = send → the worker writes status `running`; stages are the worker's `stageMs`; other = total − queue wait − stages " +
            '(status writes, validation, model lookup, cache lookups).',
          'Every job uses a new image variant (a coloured corner) so that only the second edit hits the inversion cache.',
        ],
      };
    } finally {
      await rig.close();
    }
  },
};
