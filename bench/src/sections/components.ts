/**
 * Section 1: UNet step and encoder throughput, onnxruntime-node against PyTorch eager on the same
 * weights, batch and thread count, interleaved call by call; plus onnxruntime-web (WASM, in Node) for
 * the encoders an edge or a browser runs.
 */
import { readFile } from 'node:fs/promises';
import path from 'node:path';
import { type BenchModel, benchModel, type ModelKey } from '../models.ts';
import { openTimedSession } from '../ort-session.ts';
import type { Cell, Table } from '../report.ts';
import type { BenchContext, Component, ComponentMeasurement, Section, SectionOutput } from '../section.ts';
import { interleaved, ratio, summarize } from '../stats.ts';

const FILES: Record<Component, string> = {
  unet: 'unet.onnx',
  encoder: 'encoder.onnx',
  liteEncoder: 'lite_encoder.onnx',
};

interface Geometry {
  imageSize: number;
  zDim: number;
}

async function geometry(model: BenchModel): Promise<Geometry> {
  const manifest = JSON.parse(
    await readFile(path.join(model.bundleDir, 'manifest.json'), 'utf8'),
  ) as Geometry;
  return { imageSize: manifest.imageSize, zDim: manifest.zDim };
}

const dimsOf = (g: Geometry) => ({ x: [3, g.imageSize, g.imageSize], z: [g.zDim], t: [] });

/** MACs of one call at batch 1: the facts sheet's figures for FFHQ256, macs.py for the others. */
async function macsPerSample(
  ctx: BenchContext,
  model: BenchModel,
  component: 'unet' | 'encoder',
): Promise<number> {
  if (model.factsMacs) return model.factsMacs[component];
  return (await ctx.torch.request<{ macs: number }>('macs', { model: model.key, component, batch: 1 })).macs;
}

async function versusTorch(
  ctx: BenchContext,
  model: BenchModel,
  g: Geometry,
  batches: readonly number[],
  reps: number,
): Promise<{ rows: Cell[][]; measurements: ComponentMeasurement[] }> {
  const threads = ctx.options.threads;
  const rows: Cell[][] = [];
  const measurements: ComponentMeasurement[] = [];
  for (const component of ['unet', 'encoder'] as const) {
    const macs1 = await macsPerSample(ctx, model, component);
    for (const batch of batches) {
      const ort = await openTimedSession(
        'ort-node',
        path.join(model.bundleDir, FILES[component]),
        threads,
        batch,
        dimsOf(g),
      );
      try {
        const times = await interleaved(
          [
            { name: 'ort-node', run: () => ort.time() },
            { name: 'torch', run: () => ctx.torch.time(model.key, component, batch) },
          ],
          reps,
        );
        const o = summarize(times['ort-node']);
        const t = summarize(times.torch);
        for (const [runtime, ms] of [
          ['ort-node', o],
          ['torch', t],
        ] as const) {
          measurements.push({
            model: model.key,
            component,
            batch,
            runtime,
            threads,
            ms,
            macs: macs1 * batch,
          });
        }
        rows.push([
          model.key,
          component,
          batch,
          o.median,
          t.median,
          ratio(t.median, o.median) ?? null,
          (batch * 1000) / o.median,
          (batch * 1000) / t.median,
          `${o.p10.toFixed(1)}–${o.p90.toFixed(1)} / ${t.p10.toFixed(1)}–${t.p90.toFixed(1)}`,
        ]);
      } finally {
        await ort.release();
      }
    }
  }
  return { rows, measurements };
}

/** onnxruntime-web (1 WASM thread, the edge's setting) against onnxruntime-node on 1 thread. */
async function webEncoders(
  model: BenchModel,
  g: Geometry,
  reps: number,
): Promise<{ rows: Cell[][]; measurements: ComponentMeasurement[] }> {
  const rows: Cell[][] = [];
  const measurements: ComponentMeasurement[] = [];
  const manifest = JSON.parse(await readFile(path.join(model.bundleDir, 'manifest.json'), 'utf8')) as {
    files: Record<string, unknown>;
  };
  const components: Component[] = manifest.files.liteEncoder ? ['encoder', 'liteEncoder'] : ['encoder'];
  for (const component of components) {
    const file = path.join(model.bundleDir, FILES[component]);
    const web = await openTimedSession('ort-web', file, 1, 1, dimsOf(g));
    const node = await openTimedSession('ort-node', file, 1, 1, dimsOf(g));
    try {
      const times = await interleaved(
        [
          { name: 'ort-web', run: () => web.time() },
          { name: 'ort-node', run: () => node.time() },
        ],
        reps,
      );
      const w = summarize(times['ort-web']);
      const n = summarize(times['ort-node']);
      measurements.push({
        model: model.key,
        component,
        batch: 1,
        runtime: 'ort-web',
        threads: 1,
        ms: w,
        macs: null,
      });
      rows.push([model.key, component, w.median, n.median, ratio(w.median, n.median) ?? null]);
    } finally {
      await web.release();
      await node.release();
    }
  }
  return { rows, measurements };
}

export const componentsSection: Section = {
  id: '1',
  title: 'UNet step and encoder: onnxruntime against PyTorch eager',
  async run(ctx): Promise<SectionOutput> {
    const { profile, threads } = ctx.options;
    await ctx.torch.request('threads', { threads });
    const plan: { key: ModelKey; batches: number[]; reps: number }[] = [
      { key: 'default', batches: profile.components.batches, reps: profile.components.reps },
    ];
    const notes: string[] = [];
    if (profile.components.ffhq256) plan.push({ key: 'ffhq256', ...profile.components.ffhq256 });
    else notes.push('FFHQ256 skipped in --quick mode (export and batch-8 steps take minutes on 2 cores).');
    const torchRows: Cell[][] = [];
    const webRows: Cell[][] = [];
    const models: Record<string, unknown>[] = [];
    for (const step of plan) {
      const model = await benchModel(ctx.torch, step.key);
      const loaded = await ctx.torch.request<{ params: number }>('load', {
        model: model.key,
        checkpoint: model.checkpoint,
      });
      models.push({ ...model, params: loaded.params });
      for (const n of model.notes) notes.push(`${model.key}: ${n}`);
      const g = await geometry(model);
      const vs = await versusTorch(ctx, model, g, step.batches, step.reps);
      torchRows.push(...vs.rows);
      ctx.components.push(...vs.measurements);
      if (step.key === 'default') {
        const web = await webEncoders(model, g, profile.components.webReps);
        webRows.push(...web.rows);
        ctx.components.push(...web.measurements);
      }
    }
    notes.push(
      `Interleaved repetitions (order rotated each round) after one warm-up call each; ${threads} thread(s) on both sides ` +
        '(intraOpNumThreads = torch.set_num_threads); times around session.run / the torch forward (no_grad), inputs prepared beforehand.',
      'Speed-up = PyTorch median / onnxruntime median (> 1: onnxruntime is faster).',
    );
    const tables: Table[] = [
      {
        title: `onnxruntime-node vs PyTorch eager (${threads} thread(s), ms per call, medians)`,
        columns: [
          'model',
          'component',
          'batch',
          'ORT ms',
          'torch ms',
          'speed-up',
          'ORT samples/s',
          'torch samples/s',
          'p10–p90 ORT / torch',
        ],
        rows: torchRows,
      },
      {
        title: 'onnxruntime-web (WASM, 1 thread, in Node) vs onnxruntime-node (1 thread), batch 1',
        columns: ['model', 'component', 'ORT-web ms', 'ORT-node ms', 'web / node'],
        rows: webRows,
      },
    ];
    return { tables, data: { models, measurements: ctx.components }, notes };
  },
};
