/** A one-line `\r` progress bar on stderr; silent when stderr is not a terminal. */
import type { ProgressEvent } from '../../sampler.ts';

export interface ProgressSink {
  readonly isTTY?: boolean;
  readonly columns?: number;
  write(text: string): unknown;
}

const BAR_WIDTH = 30;

export function formatProgress(p: ProgressEvent, width = BAR_WIDTH): string {
  const filled = p.total > 0 ? Math.round((p.step / p.total) * width) : width;
  const bar = '#'.repeat(filled) + '-'.repeat(width - filled);
  return `${p.stage.padEnd(7)} [${bar}] ${p.step}/${p.total}`;
}

/** onProgress callback for the pipelines; finishes the line when a stage completes. */
export function progressBar(sink: ProgressSink = process.stderr): ((p: ProgressEvent) => void) | undefined {
  if (!sink.isTTY) return undefined;
  return (p) => {
    sink.write(`\r${formatProgress(p)}`);
    if (p.step >= p.total) sink.write('\n');
  };
}
