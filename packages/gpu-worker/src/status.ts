/**
 * The status document `results/{jobId}/status.json` and the progress document `progress.json`.
 * status.json changes only at state changes (running, then one terminal state written after every
 * output), so a reader that sees `succeeded` finds all outputs in place. Progress goes to its own small
 * document, at most once per interval, and never fails the job.
 */
import {
  type JobKind,
  type JobOutput,
  type JobState,
  type JobStatus,
  jobStatus,
  keys,
} from '../../shared/src/jobs.ts';
import type { ObjectStore } from '../../shared/src/ports.ts';
import { errorFields, type Logger } from './log.ts';

export const STAGES = ['download', 'encode', 'inversion', 'render', 'upload'] as const;
export type StageName = (typeof STAGES)[number];

/** Wall time per stage in ms; nested or repeated stages add up. */
export class StageTimer {
  readonly #ms: Record<string, number> = {};

  async time<T>(stage: StageName, fn: () => Promise<T>): Promise<T> {
    const started = performance.now();
    try {
      return await fn();
    } finally {
      this.#ms[stage] = (this.#ms[stage] ?? 0) + (performance.now() - started);
    }
  }

  snapshot(): Record<string, number> {
    return Object.fromEntries(Object.entries(this.#ms).map(([k, v]) => [k, Math.round(v * 10) / 10]));
  }
}

export async function readStatus(store: ObjectStore, jobId: string): Promise<JobStatus | null> {
  const bytes = await store.get(keys.status(jobId));
  if (bytes === null) return null;
  const parsed = jobStatus.safeParse(JSON.parse(new TextDecoder().decode(bytes)));
  return parsed.success ? parsed.data : null;
}

export interface StatusInit {
  jobId: string;
  tenant: string;
  kind: JobKind;
  attempts: number;
  createdAt: string;
}

export interface Progress {
  stage: string;
  done: number;
  total: number;
}

export class StatusWriter {
  readonly #store: ObjectStore;
  readonly #init: StatusInit;
  readonly #intervalMs: number;
  readonly #logger: Logger;
  #model: { id: string; version: string } | undefined;
  #progress: Progress = { stage: 'queued', done: 0, total: 0 };
  #lastProgressWrite = Number.NEGATIVE_INFINITY;
  #progressWrite: Promise<void> = Promise.resolve();
  #finished = false;

  constructor(store: ObjectStore, init: StatusInit, opts: { progressIntervalMs: number; logger: Logger }) {
    this.#store = store;
    this.#init = init;
    this.#intervalMs = opts.progressIntervalMs;
    this.#logger = opts.logger;
  }

  setModel(model: { id: string; version: string }): void {
    this.#model = model;
  }

  #doc(state: JobState, extra: Partial<JobStatus> = {}): JobStatus {
    return {
      jobId: this.#init.jobId,
      tenant: this.#init.tenant,
      kind: this.#init.kind,
      state,
      progress: this.#progress,
      stageMs: {},
      outputs: [],
      ...(this.#model && { model: this.#model }),
      attempts: this.#init.attempts,
      createdAt: this.#init.createdAt,
      updatedAt: new Date().toISOString(),
      ...extra,
    };
  }

  async #write(doc: JobStatus): Promise<void> {
    await this.#store.put(keys.status(this.#init.jobId), JSON.stringify(doc), {
      contentType: 'application/json',
      cacheControl: 'no-store',
    });
  }

  async running(): Promise<void> {
    await this.#write(this.#doc('running'));
  }

  /** Records progress; writes progress.json when the interval has passed (fire and forget). */
  progress(p: Progress): void {
    this.#progress = { ...p };
    const now = performance.now();
    if (this.#finished || now - this.#lastProgressWrite < this.#intervalMs) return;
    this.#lastProgressWrite = now;
    const body = JSON.stringify({
      jobId: this.#init.jobId,
      state: 'running',
      progress: this.#progress,
      updatedAt: new Date().toISOString(),
    });
    this.#progressWrite = this.#progressWrite
      .then(() =>
        this.#store.put(keys.progress(this.#init.jobId), body, {
          contentType: 'application/json',
          cacheControl: 'no-store',
        }),
      )
      .catch((err) => this.#logger.warn('progress write failed', errorFields(err)));
  }

  /** The terminal status: the job's last write. */
  async finish(
    state: Extract<JobState, 'succeeded' | 'failed' | 'cancelled'>,
    extra: {
      outputs?: JobOutput[];
      stageMs?: Record<string, number>;
      error?: { code: string; message: string };
    },
  ): Promise<JobStatus> {
    this.#finished = true;
    await this.#progressWrite;
    if (state === 'succeeded')
      this.#progress = { ...this.#progress, stage: 'done', done: this.#progress.total };
    const doc = this.#doc(state, {
      outputs: extra.outputs ?? [],
      stageMs: extra.stageMs ?? {},
      ...(extra.error && { error: extra.error }),
    });
    await this.#write(doc);
    return doc;
  }
}
