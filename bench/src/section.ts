/** What every benchmark section gets and gives back. */
import type { BenchOptions, SectionId } from './options.ts';
import type { Table } from './report.ts';
import type { Summary } from './stats.ts';
import type { TorchWorker } from './torch-client.ts';

export type Runtime = 'ort-node' | 'torch' | 'ort-web';
export type Component = 'unet' | 'encoder' | 'liteEncoder';

/** One timed component of section 1 (section 5 turns these into FLOP/s). */
export interface ComponentMeasurement {
  model: string;
  component: Component;
  batch: number;
  runtime: Runtime;
  threads: number;
  ms: Summary;
  /** MACs of one call at this batch (null when unknown, e.g. the lite encoder). */
  macs: number | null;
}

export interface BenchContext {
  options: BenchOptions;
  torch: TorchWorker;
  /** Scratch folder of this run (removed at the end). */
  scratchDir: string;
  /** Filled by section 1. */
  components: ComponentMeasurement[];
}

export interface SectionOutput {
  status?: 'ok' | 'skipped';
  tables: Table[];
  data: Record<string, unknown>;
  notes: string[];
}

export interface Section {
  id: SectionId;
  title: string;
  run(ctx: BenchContext): Promise<SectionOutput>;
}
