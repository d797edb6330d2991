/** Merges the GPU run's JSON files (torch-cuda.json, ort-cuda.json, status.json) into gpu.md. */
import { existsSync, readFileSync, writeFileSync } from 'node:fs';
import path from 'node:path';
import { renderTable } from '../src/report.ts';

type Row = {
  model: string;
  component: string;
  batch: number;
  precision: string;
  ms: number | null;
  samplesPerS: number | null;
  gflops: number | null;
};
const dir = process.argv[2] ?? 'bench/results/gpu';
const read = (name: string) =>
  existsSync(path.join(dir, name)) ? JSON.parse(readFileSync(path.join(dir, name), 'utf8')) : null;
const torch = read('torch-cuda.json');
const ortCuda = read('ort-cuda.json');
const status = read('status.json') ?? {};
const lines = ['# GPU benchmark (bench/gpu/run.sh)', '', `Status: ${JSON.stringify(status)}`, ''];
if (torch) {
  lines.push(
    `PyTorch ${torch.torch} on ${torch.device}; matmul peak fp32 ${torch.peakGflops.fp32.toFixed(0)} GFLOP/s, fp16 ${torch.peakGflops.fp16.toFixed(0)} GFLOP/s.`,
    '',
  );
}
const rows: (string | number | null)[][] = [];
for (const [runtime, doc] of [
  ['torch', torch],
  ['ort-cuda', ortCuda],
] as const) {
  for (const r of (doc?.rows ?? []) as Row[]) {
    const peak = torch ? torch.peakGflops[r.precision === 'fp32' ? 'fp32' : 'fp16'] : null;
    rows.push([
      r.model,
      r.component,
      r.batch,
      runtime,
      r.precision,
      r.ms,
      r.samplesPerS,
      r.gflops,
      r.gflops && peak ? r.gflops / peak : null,
    ]);
  }
}
lines.push(
  renderTable({
    title: 'Per call (medians)',
    columns: [
      'model',
      'component',
      'batch',
      'runtime',
      'precision',
      'ms',
      'samples/s',
      'GFLOP/s',
      'fraction of matmul peak',
    ],
    rows,
  }),
);
writeFileSync(path.join(dir, 'gpu.md'), `${lines.join('\n')}\n`);
process.stdout.write(`wrote ${path.join(dir, 'gpu.md')}\n`);
