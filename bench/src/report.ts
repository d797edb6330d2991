/** The benchmark's result document (JSON) and its markdown rendering. */
import { mkdir, writeFile } from 'node:fs/promises';
import path from 'node:path';
import type { MachineInfo } from './machine.ts';
import type { ProfileName } from './options.ts';

export type Cell = string | number | null;

export interface Table {
  title: string;
  columns: string[];
  rows: Cell[][];
}

export type SectionStatus = 'ok' | 'skipped' | 'error';

export interface SectionResult {
  id: string;
  title: string;
  status: SectionStatus;
  /** 1-, 5- and 15-minute load averages when the section started and ended. */
  loadAvgStart: number[];
  loadAvgEnd: number[];
  wallMs: number;
  tables: Table[];
  /** Machine-readable figures (medians, ratios, raw samples). */
  data: Record<string, unknown>;
  notes: string[];
  error?: string;
}

export interface BenchReport {
  schemaVersion: 1;
  mode: ProfileName;
  startedAt: string;
  finishedAt: string;
  machine: MachineInfo;
  options: Record<string, unknown>;
  sections: SectionResult[];
}

function formatCell(c: Cell): string {
  if (c === null) return '–';
  if (typeof c === 'string') return c.replaceAll('|', '\\|');
  if (!Number.isFinite(c)) return String(c);
  const abs = Math.abs(c);
  if (Number.isInteger(c)) return c.toLocaleString('en-US');
  if (abs >= 100) return c.toFixed(0);
  if (abs >= 10) return c.toFixed(1);
  if (abs >= 0.01) return c.toFixed(2);
  return c.toPrecision(2);
}

export function renderTable(t: Table): string {
  const head = `| ${t.columns.join(' | ')} |`;
  const rule = `|${t.columns.map(() => '---').join('|')}|`;
  const body = t.rows.map((r) => `| ${r.map(formatCell).join(' | ')} |`);
  return [`**${t.title}**`, '', head, rule, ...body].join('\n');
}

const load = (l: readonly number[]) => l.map((v) => v.toFixed(2)).join(' / ');

export function renderMarkdown(r: BenchReport): string {
  const m = r.machine;
  const lines = [
    `# diffae-edge benchmark (${r.mode}${r.mode === 'quick' ? ': CI size, not representative' : ''})`,
    '',
    `${r.startedAt} → ${r.finishedAt}, commit \`${m.gitCommit}\`${m.gitDirty ? ' (with uncommitted changes)' : ''}`,
    '',
    `Machine: ${m.cpuModel}, ${m.cores} logical cores, ${(m.memoryBytes / 2 ** 30).toFixed(1)} GiB; ` +
      `${m.platform}; node ${m.node}, onnxruntime-node ${m.onnxruntimeNode}, onnxruntime-web ${m.onnxruntimeWeb}, ` +
      `torch ${m.torch ?? 'n/a'} (python ${m.python ?? 'n/a'}, BLAS ${m.torchBlas ?? 'n/a'}, mkldnn ${m.torchMkldnn ?? 'n/a'}). Load average at start (1/5/15 min): ${load(m.loadAvgStart)}.`,
    '',
  ];
  for (const s of r.sections) {
    lines.push(`## ${s.id}. ${s.title}`, '');
    lines.push(
      `Status: **${s.status}**; ${(s.wallMs / 1000).toFixed(1)} s; load average ${load(s.loadAvgStart)} → ${load(s.loadAvgEnd)}.`,
      '',
    );
    if (s.error) lines.push('```', s.error, '```', '');
    for (const t of s.tables) lines.push(renderTable(t), '');
    for (const n of s.notes) lines.push(`- ${n}`);
    if (s.notes.length > 0) lines.push('');
  }
  return `${lines.join('\n').trimEnd()}\n`;
}

/** Writes `<stem>.json` and `<stem>.md` into `dir`; returns both paths. */
export async function writeReport(
  r: BenchReport,
  dir: string,
  stem: string,
): Promise<{ json: string; md: string }> {
  await mkdir(dir, { recursive: true });
  const json = path.join(dir, `${stem}.json`);
  const md = path.join(dir, `${stem}.md`);
  await writeFile(json, `${JSON.stringify(r, null, 2)}\n`);
  await writeFile(md, renderMarkdown(r));
  return { json, md };
}
