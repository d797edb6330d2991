/** Collects measured max-abs errors per stage and configuration, prints them as a table, writes JSON. */
import { mkdirSync, writeFileSync } from 'node:fs';
import { dirname } from 'node:path';
import type { Tensor } from '../../packages/shared/src/tensor.ts';

/** max |a − b| over all elements; the shapes must match. */
export function maxAbsDiff(actual: Tensor, expected: Tensor, what: string): number {
  const same =
    actual.shape.length === expected.shape.length && actual.shape.every((d, i) => d === expected.shape[i]);
  if (!same) {
    throw new Error(
      `${what}: shape [${actual.shape.join(', ')}] differs from the reference [${expected.shape.join(', ')}]`,
    );
  }
  let worst = 0;
  for (let i = 0; i < actual.data.length; i++) {
    const d = Math.abs(actual.data[i] - expected.data[i]);
    if (!(d <= worst)) worst = Number.isNaN(d) ? Number.POSITIVE_INFINITY : d;
  }
  return worst;
}

/** max |t| (the scale a tolerance is relative to). */
export function maxMagnitude(t: Tensor): number {
  let m = 0;
  for (let i = 0; i < t.data.length; i++) m = Math.max(m, Math.abs(t.data[i]));
  return m;
}

export interface Measurement {
  readonly stage: string;
  readonly config: string;
  readonly maxAbs: number;
  /** max |reference| of the compared values. */
  readonly scale: number;
  /** The bound maxAbs was held to: relativeTolerance · max(1, scale). */
  readonly tolerance: number;
  readonly relativeTolerance: number;
  readonly pass: boolean;
}

export class ParityReport {
  private readonly rows: Measurement[] = [];

  record(
    stage: string,
    config: string,
    maxAbs: number,
    scale: number,
    relativeTolerance: number,
  ): Measurement {
    const tolerance = relativeTolerance * Math.max(1, scale);
    const m = { stage, config, maxAbs, scale, tolerance, relativeTolerance, pass: maxAbs <= tolerance };
    this.rows.push(m);
    return m;
  }

  get measurements(): readonly Measurement[] {
    return this.rows;
  }

  /** Stages down, configurations across; failing cells are marked with "!". */
  table(): string {
    const configs = [...new Set(this.rows.map((r) => r.config))];
    const stages = [...new Set(this.rows.map((r) => r.stage))];
    const cell = (stage: string, config: string) => {
      const r = this.rows.find((m) => m.stage === stage && m.config === config);
      return r === undefined ? '-' : `${r.maxAbs.toExponential(2)}${r.pass ? '' : '!'}`;
    };
    const ofStage = (stage: string) => this.rows.filter((r) => r.stage === stage);
    const tol = (stage: string) =>
      [...new Set(ofStage(stage).map((r) => r.relativeTolerance.toExponential()))].join('/');
    const scale = (stage: string) => Math.max(...ofStage(stage).map((r) => r.scale)).toPrecision(3);
    const header = ['stage', ...configs, 'max|ref|', 'rel. tol (×max(1,|ref|))'];
    const body = stages.map((s) => [s, ...configs.map((c) => cell(s, c)), scale(s), tol(s)]);
    const widths = header.map((_, i) => Math.max(...[header, ...body].map((row) => row[i].length)));
    const line = (row: string[]) => row.map((v, i) => v.padEnd(widths[i])).join('  ');
    return [line(header), widths.map((w) => '-'.repeat(w)).join('  '), ...body.map(line)].join('\n');
  }

  write(path: string, extra: Record<string, unknown>): void {
    mkdirSync(dirname(path), { recursive: true });
    writeFileSync(path, `${JSON.stringify({ ...extra, measurements: this.rows }, null, 2)}\n`);
  }
}
