/** What a job handler gets: the spec, its model, a batched backend of its own, storage, timing, progress. */
import type { DiffAEBackend } from '../../../shared/src/backend.ts';
import type { ImageLimits } from '../../../shared/src/image/types.ts';
import type { JobKind, JobSpec, JobSpecOf } from '../../../shared/src/jobs.ts';
import type { DiffusionSpec } from '../../../shared/src/pipelines.ts';
import type { ObjectStore } from '../../../shared/src/ports.ts';
import type { ProgressEvent } from '../../../shared/src/sampler.ts';
import type { InversionCache } from '../inversion-cache.ts';
import type { Logger } from '../log.ts';
import type { ResultWriter } from '../results.ts';
import type { LoadedModel } from '../sessions.ts';
import type { StageTimer } from '../status.ts';

export interface JobContext {
  readonly jobId: string;
  readonly tenant: string;
  readonly model: LoadedModel;
  /** This job's client of the model's batcher. */
  readonly backend: DiffAEBackend;
  readonly store: ObjectStore;
  readonly results: ResultWriter;
  readonly timer: StageTimer;
  readonly inversionCache: InversionCache;
  readonly imageLimits: ImageLimits;
  /** The spec's seed, or the job id's default seed (see seeds.ts). */
  readonly seed: number;
  readonly signal: AbortSignal;
  readonly logger: Logger;
  /** Pipeline progress → status document (also where cancellation is checked). */
  onProgress(p: ProgressEvent): void;
}

export type JobHandler<K extends JobKind> = (ctx: JobContext, spec: JobSpecOf<K>) => Promise<void>;
export type AnyJobHandler = (ctx: JobContext, spec: JobSpec) => Promise<void>;

export function imageDiffusion(ctx: JobContext): DiffusionSpec {
  return ctx.model.manifest.diffusion.image;
}

/** Options every pipeline call of a job shares. */
export function runOptions(ctx: JobContext): {
  signal: AbortSignal;
  onProgress: (p: ProgressEvent) => void;
  diffusion: DiffusionSpec;
} {
  return { signal: ctx.signal, onProgress: (p) => ctx.onProgress(p), diffusion: imageDiffusion(ctx) };
}
