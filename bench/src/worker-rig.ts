/**
 * A real gpu-worker in this process (Runner + processJob + the cross-job batcher) over a filesystem
 * store and a SQLite queue in a temp folder. Jobs are sent to the queue like the edge sends them; the
 * store is wrapped to note when each job's status document turns `running` (end of the queue wait)
 * and terminal (end of the job), so latencies need no polling.
 */
import { mkdir } from 'node:fs/promises';
import path from 'node:path';
import type { RunRecord } from '../../packages/gpu-worker/src/batcher.ts';
import { InversionCache } from '../../packages/gpu-worker/src/inversion-cache.ts';
import { silentLogger } from '../../packages/gpu-worker/src/log.ts';
import { Runner } from '../../packages/gpu-worker/src/runner.ts';
import { type LoadedModel, openModel } from '../../packages/gpu-worker/src/sessions.ts';
import { FsObjectStore } from '../../packages/shared/src/adapters/fs-store.ts';
import { openSqliteQueue, type SqliteQueue } from '../../packages/shared/src/adapters/sqlite-queue.ts';
import { type JobMessage, type JobSpec, keys, TERMINAL_STATES } from '../../packages/shared/src/jobs.ts';
import type { ObjectStore, PutOptions } from '../../packages/shared/src/ports.ts';

export interface RigOptions {
  dir: string;
  bundleDir: string;
  threads: number;
  maxBatch: number;
  maxJobsInFlight: number;
  batchWaitMs?: number;
  /** Observer of every network run of the batcher. */
  onRun?: (run: RunRecord) => void;
}

export interface JobTiming {
  jobId: string;
  kind: string;
  state: string;
  /** Send to the queue → terminal status written. */
  totalMs: number;
  /** Send → `running` status written. */
  queueWaitMs: number;
  /** The worker's own stage timings (status.json `stageMs`). */
  stageMs: Record<string, number>;
  error?: { code: string; message: string };
  sentAt: number;
  doneAt: number;
}

interface Tracked {
  sentAt: number;
  runningAt?: number;
  resolve(t: JobTiming): void;
  kind: string;
}

const STATUS_KEY = /^results\/([A-Za-z0-9_-]+)\/status\.json$/;

/** Forwards every call to `inner`; `put` of a status document also reports its state and time. */
class ObservedStore implements ObjectStore {
  constructor(
    private readonly inner: ObjectStore,
    private readonly onStatus: (jobId: string, doc: Record<string, unknown>, phase: 'start' | 'end') => void,
  ) {}

  async put(key: string, body: Uint8Array | string, opts?: PutOptions): Promise<void> {
    const m = STATUS_KEY.exec(key);
    const doc = m
      ? (JSON.parse(typeof body === 'string' ? body : new TextDecoder().decode(body)) as Record<
          string,
          unknown
        >)
      : undefined;
    if (m && doc) this.onStatus(m[1], doc, 'start');
    await this.inner.put(key, body, opts);
    if (m && doc) this.onStatus(m[1], doc, 'end');
  }
  get = (key: string) => this.inner.get(key);
  getStream = (key: string) => this.inner.getStream(key);
  head = (key: string) => this.inner.head(key);
  delete = (key: string) => this.inner.delete(key);
  list: ObjectStore['list'] = (prefix, opts) => this.inner.list(prefix, opts);
  close = () => this.inner.close();
}

export class WorkerRig {
  readonly model: LoadedModel;
  readonly store: ObjectStore;
  readonly #queue: SqliteQueue;
  readonly #runner: Runner;
  readonly #loop: Promise<void>;
  readonly #tracked: Map<string, Tracked>;
  #next = 0;

  private constructor(
    model: LoadedModel,
    store: ObjectStore,
    queue: SqliteQueue,
    runner: Runner,
    tracked: Map<string, Tracked>,
  ) {
    this.model = model;
    this.store = store;
    this.#queue = queue;
    this.#runner = runner;
    this.#tracked = tracked;
    this.#loop = runner.start();
  }

  static async open(o: RigOptions): Promise<WorkerRig> {
    await mkdir(o.dir, { recursive: true });
    const tracked = new Map<string, Tracked>();
    const store = new ObservedStore(
      new FsObjectStore({ root: path.join(o.dir, 'store') }),
      (jobId, doc, phase) => {
        const t = tracked.get(jobId);
        if (!t) return;
        const now = performance.now();
        if (doc.state === 'running' && phase === 'start') t.runningAt ??= now;
        if (phase === 'end' && TERMINAL_STATES.includes(doc.state as never)) {
          tracked.delete(jobId);
          t.resolve({
            jobId,
            kind: t.kind,
            state: String(doc.state),
            totalMs: now - t.sentAt,
            queueWaitMs: (t.runningAt ?? now) - t.sentAt,
            stageMs: (doc.stageMs ?? {}) as Record<string, number>,
            ...(doc.error ? { error: doc.error as JobTiming['error'] & object } : {}),
            sentAt: t.sentAt,
            doneAt: now,
          });
        }
      },
    );
    const queue = openSqliteQueue({
      path: path.join(o.dir, 'queue.db'),
      maxReceives: 3,
      visibilityTimeout: 600,
      pollIntervalMs: 5,
    });
    const model = await openModel(
      o.bundleDir,
      {
        executionProviders: ['cpu'],
        workers: 1,
        intraOpThreads: o.threads,
        maxBatch: o.maxBatch,
        batchWaitMs: o.batchWaitMs ?? 2,
        warmup: true,
        ...(o.onRun && { onRun: o.onRun }),
      },
      silentLogger,
    );
    const runner = new Runner({
      queue,
      services: {
        store,
        models: { get: async () => model },
        inversionCache: new InversionCache(store, silentLogger),
        imageLimits: {},
        progressIntervalMs: 1000,
        cancelCheckIntervalMs: 1000,
        logger: silentLogger,
      },
      maxJobsInFlight: o.maxJobsInFlight,
      visibilityTimeoutS: 600,
      maxReceives: 3,
      retryBaseS: 0,
      shutdownGraceS: 5,
      pollWaitS: 1,
      logger: silentLogger,
    });
    return new WorkerRig(model, store, queue, runner, tracked);
  }

  /** Puts an image into the store as an upload; returns its key. */
  async upload(name: string, bytes: Uint8Array): Promise<string> {
    const key = keys.upload('bench', name);
    await this.store.put(key, bytes, { contentType: 'image/png' });
    return key;
  }

  /** Sends one job; the promise settles when its terminal status has been written. */
  submit(spec: JobSpec): Promise<JobTiming> {
    const jobId = `bench${(this.#next++).toString(36).padStart(4, '0')}${Date.now().toString(36)}`;
    const message: JobMessage = { jobId, tenant: 'bench', spec, submittedAt: new Date().toISOString() };
    return new Promise<JobTiming>((resolve, reject) => {
      this.#tracked.set(jobId, { sentAt: performance.now(), resolve, kind: spec.kind });
      this.#queue.send(JSON.stringify(message)).catch((err) => {
        this.#tracked.delete(jobId);
        reject(err);
      });
    });
  }

  /** Like `submit`, but a job that did not succeed is an error (a benchmark of failures is worthless). */
  async run(spec: JobSpec): Promise<JobTiming> {
    const t = await this.submit(spec);
    if (t.state !== 'succeeded') {
      throw new Error(
        `${spec.kind} job ${t.jobId} ended ${t.state}: ${t.error?.code ?? ''} ${t.error?.message ?? ''}`,
      );
    }
    return t;
  }

  async close(): Promise<void> {
    await this.#runner.stop();
    await this.#loop;
    await this.model.batcher.dispose();
    await this.#queue.close();
    await this.store.close();
  }
}
