/**
 * Smoke test of the benchmark suite: `node bench/run.mjs --quick` into a temp folder must write the
 * JSON and markdown reports with every section present and measured. No timing is asserted.
 */
import { execFile } from 'node:child_process';
import { mkdtemp, readFile, rm } from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';
import { promisify } from 'node:util';
import { afterAll, describe, expect, it } from 'vitest';
import type { BenchReport } from '../src/report.ts';

const REPO = path.resolve(import.meta.dirname, '../..');
let out = '';

afterAll(async () => {
  if (out) await rm(out, { recursive: true, force: true });
});

describe('npm run bench -- --quick', () => {
  it('writes bench JSON + markdown with every section', { timeout: 900_000 }, async () => {
    out = await mkdtemp(path.join(os.tmpdir(), 'diffae-bench-test-'));
    await promisify(execFile)(
      process.execPath,
      ['bench/run.mjs', '--quick', '--out', out, '--stem', 'smoke'],
      {
        cwd: REPO,
        timeout: 880_000,
        maxBuffer: 16 * 2 ** 20,
      },
    );
    const report = JSON.parse(await readFile(path.join(out, 'smoke.json'), 'utf8')) as BenchReport;
    const md = await readFile(path.join(out, 'smoke.md'), 'utf8');
    expect(report.mode).toBe('quick');
    expect(report.machine.cores).toBeGreaterThan(0);
    expect(report.machine.cpuModel).not.toBe('');
    expect(report.machine.torch).toMatch(/^\d+\.\d+/);
    expect(report.machine.onnxruntimeNode).toMatch(/^\d+\.\d+/);
    expect(report.machine.loadAvgStart).toHaveLength(3);
    expect(report.machine.gitCommit).toMatch(/^[0-9a-f]{40}$|^unknown$/);
    expect(report.sections.map((s) => s.id)).toEqual(['1', '2', '3', '4', '5', '6']);
    for (const s of report.sections) {
      expect({ id: s.id, status: s.status, error: s.error }).toEqual({
        id: s.id,
        status: 'ok',
        error: undefined,
      });
      expect(s.loadAvgStart).toHaveLength(3);
      expect(s.tables.length).toBeGreaterThan(0);
      for (const t of s.tables) {
        expect(t.rows.length).toBeGreaterThan(0);
        for (const r of t.rows) expect(r).toHaveLength(t.columns.length);
        expect(md).toContain(t.title);
      }
      expect(md).toContain(`## ${s.id}. ${s.title}`);
    }
    const components = report.sections[0].data.measurements as { runtime: string; ms: { median: number } }[];
    expect(new Set(components.map((m) => m.runtime))).toEqual(new Set(['ort-node', 'torch', 'ort-web']));
    for (const m of components) expect(m.ms.median).toBeGreaterThan(0);
    expect(report.sections[1].data.editRatio).toBeGreaterThan(0);
    const batching = report.sections[2].data.results as {
      batched: { epsGaps: number[]; epsRunMs: number[] };
    }[];
    expect(batching[0].batched.epsGaps.length).toBeGreaterThan(0);
    expect(batching[0].batched.epsGaps.length).toBe(batching[0].batched.epsRunMs.length);
    expect(report.sections[5].data).toHaveProperty('kernel', 'wasm-simd');
  });
});
