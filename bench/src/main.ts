/** `npm run bench [-- --quick]`: runs the selected sections and writes bench/results/<stem>.{json,md}. */
import { mkdtemp, rm } from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';
import { ddimKernelOutput } from './ddim-kernel.ts';
import { loadAverage, machineInfo, type TorchVersions } from './machine.ts';
import { type BenchOptions, parseOptions, USAGE, UsageError } from './options.ts';
import { type BenchReport, type SectionResult, writeReport } from './report.ts';
import type { BenchContext, Section } from './section.ts';
import { batchingSection } from './sections/batching.ts';
import { componentsSection } from './sections/components.ts';
import { edgeSection } from './sections/edge.ts';
import { flopsSection } from './sections/flops.ts';
import { jobsSection } from './sections/jobs.ts';
import { TorchWorker } from './torch-client.ts';

export const SECTIONS: readonly Section[] = [
  componentsSection,
  jobsSection,
  batchingSection,
  edgeSection,
  flopsSection,
  {
    id: '6',
    title: 'DDIM update between network calls: JS loop against the wasm SIMD kernel',
    run: (ctx) => ddimKernelOutput(ctx.options.mode === 'quick' ? 3 : 15),
  },
];

function describe(err: unknown): string {
  return err instanceof Error ? (err.stack ?? err.message) : String(err);
}

async function runSection(section: Section, ctx: BenchContext): Promise<SectionResult> {
  const loadAvgStart = loadAverage();
  const started = performance.now();
  process.stderr.write(`[bench] section ${section.id}: ${section.title} (load ${loadAvgStart.join(' ')})\n`);
  const base = { id: section.id, title: section.title, loadAvgStart };
  try {
    const out = await section.run(ctx);
    return {
      ...base,
      status: out.status ?? 'ok',
      loadAvgEnd: loadAverage(),
      wallMs: performance.now() - started,
      ...out,
    };
  } catch (err) {
    process.stderr.write(`[bench] section ${section.id} failed: ${describe(err)}\n`);
    return {
      ...base,
      status: 'error',
      loadAvgEnd: loadAverage(),
      wallMs: performance.now() - started,
      tables: [],
      data: {},
      notes: [],
      error: describe(err),
    };
  }
}

export async function runBench(
  options: BenchOptions,
): Promise<{ report: BenchReport; files: { json: string; md: string } }> {
  const startedAt = new Date().toISOString();
  const torch = TorchWorker.start();
  const scratchDir = await mkdtemp(path.join(os.tmpdir(), 'diffae-bench-'));
  try {
    const versions = await torch.request<TorchVersions>('hello');
    const machine = machineInfo(versions);
    const ctx: BenchContext = { options, torch, scratchDir, components: [] };
    const sections: SectionResult[] = [];
    for (const section of SECTIONS.filter((s) => options.sections.includes(s.id))) {
      sections.push(await runSection(section, ctx));
    }
    const report: BenchReport = {
      schemaVersion: 1,
      mode: options.mode,
      startedAt,
      finishedAt: new Date().toISOString(),
      machine,
      options: { sections: options.sections, threads: options.threads, profile: options.profile },
      sections,
    };
    return { report, files: await writeReport(report, options.outDir, options.stem) };
  } finally {
    await torch.close();
    await rm(scratchDir, { recursive: true, force: true });
  }
}

export async function main(argv: readonly string[]): Promise<number> {
  let options: BenchOptions;
  try {
    options = parseOptions(argv);
  } catch (err) {
    if (err instanceof UsageError) {
      process.stderr.write(`${err.message}\n${USAGE}\n`);
      return 2;
    }
    throw err;
  }
  const { report, files } = await runBench(options);
  const failed = report.sections.filter((s) => s.status === 'error').map((s) => s.id);
  process.stderr.write(`[bench] wrote ${files.md} and ${files.json}\n`);
  if (failed.length > 0) process.stderr.write(`[bench] sections with errors: ${failed.join(', ')}\n`);
  return failed.length > 0 ? 1 : 0;
}
