/**
 * Worker configuration from the environment. Every variable is validated; all problems are reported
 * together in one ConfigError. See packages/gpu-worker/README.md for the list.
 */
import os from 'node:os';
import path from 'node:path';
import { modelRef } from '../../shared/src/jobs.ts';
import type { Logger } from './log.ts';

export interface WorkerConfig {
  storageUrl: string;
  queueUrl: string;
  /** Local folder holding bundles fetched from the store. */
  cacheDir: string;
  /** A bundle folder used directly (embedded default); its id@version serves jobs for that model. */
  bundleDir: string | undefined;
  /** Model for jobs without `model` ("id" or "id@version"); undefined: the bundleDir's model. */
  defaultModel: string | undefined;
  executionProviders: string[];
  /** Backend replicas per model (each with its own onnxruntime sessions). */
  workers: number;
  intraOpThreads: number | undefined;
  maxBatch: number;
  /** How long the batcher waits for more callers before running a partial batch. */
  batchWaitMs: number;
  maxJobsInFlight: number;
  /** Seconds a received message stays hidden; the heartbeat renews it every third of that. */
  visibilityTimeoutS: number;
  /** Receives after which a failing job is given up (the queue's redrive maxReceiveCount wins when they differ: max-receives.ts). */
  maxReceives: number;
  /** Delay before a transiently failed job is retried: base·2^(attempt−1) seconds, at most 300. */
  retryBaseS: number;
  shutdownGraceS: number;
  /** Long-poll wait per receive call. */
  pollWaitS: number;
  /** Least time between two progress.json writes. */
  progressIntervalMs: number;
  /** Least time between two checks for a cancel marker. */
  cancelCheckIntervalMs: number;
  /** File touched while the loop is alive (Docker HEALTHCHECK); undefined: none. */
  heartbeatFile: string | undefined;
  /** Warm-up network call per backend before polling. */
  warmup: boolean;
  /** HMAC secret for completion webhooks; undefined: jobs that ask for one are not notified. */
  webhookSecret: string | undefined;
  logLevel: 'debug' | 'info' | 'warn' | 'error';
}

export class ConfigError extends Error {
  readonly problems: readonly string[];
  constructor(problems: readonly string[]) {
    super(`Invalid worker configuration:\n  - ${problems.join('\n  - ')}`);
    this.name = 'ConfigError';
    this.problems = problems;
  }
}

type Env = Record<string, string | undefined>;

const KNOWN_PROVIDERS = ['cuda', 'tensorrt', 'cpu', 'dml', 'coreml', 'webgpu'];

class Reader {
  readonly problems: string[] = [];
  constructor(private readonly env: Env) {}

  string(name: string): string | undefined {
    const v = this.env[name]?.trim();
    return v === undefined || v === '' ? undefined : v;
  }

  required(name: string, hint: string): string {
    const v = this.string(name);
    if (v === undefined) this.problems.push(`${name} is not set (${hint})`);
    return v ?? '';
  }

  number(name: string, fallback: number, min: number, max: number, integer = true): number {
    const raw = this.string(name);
    if (raw === undefined) return fallback;
    const n = Number(raw);
    if (!Number.isFinite(n) || (integer && !Number.isInteger(n)) || n < min || n > max) {
      this.problems.push(
        `${name} must be ${integer ? 'an integer' : 'a number'} in ${min}..${max}, got ${JSON.stringify(raw)}`,
      );
      return fallback;
    }
    return n;
  }

  bool(name: string, fallback: boolean): boolean {
    const raw = this.string(name);
    if (raw === undefined) return fallback;
    if (['1', 'true', 'yes'].includes(raw.toLowerCase())) return true;
    if (['0', 'false', 'no'].includes(raw.toLowerCase())) return false;
    this.problems.push(`${name} must be true or false, got ${JSON.stringify(raw)}`);
    return fallback;
  }
}

/** `maxReceives` from a sqlite:// queue URL, when it states one. */
function maxReceivesFromQueueUrl(url: string): number | undefined {
  if (!url.startsWith('sqlite:')) return undefined;
  try {
    const v = new URL(url).searchParams.get('maxReceives');
    return v === null || v === 'none' ? undefined : Number(v);
  } catch {
    return undefined;
  }
}

export function loadConfig(
  env: Env = process.env,
  opts: { cores?: number; logger?: Logger } = {},
): WorkerConfig {
  const r = new Reader(env);
  const cores = opts.cores ?? os.availableParallelism();
  const storageUrl = r.required('DIFFAE_STORAGE', 'file:///abs/path or s3://bucket/prefix');
  const queueUrl = r.required('DIFFAE_QUEUE', 'sqlite:///abs/file.db?maxReceives=5 or an SQS queue URL');

  const bundleDir = r.string('DIFFAE_BUNDLE_DIR');
  const defaultModel = r.string('DIFFAE_MODEL');
  if (defaultModel !== undefined && !modelRef.safeParse(defaultModel).success) {
    r.problems.push(`DIFFAE_MODEL must be "<id>" or "<id>@<version>", got ${JSON.stringify(defaultModel)}`);
  }
  if (defaultModel === undefined && bundleDir === undefined) {
    r.problems.push(
      'set DIFFAE_MODEL (a bundle id[@version] in the store) or DIFFAE_BUNDLE_DIR (a local bundle)',
    );
  }

  const providersRaw = r.string('DIFFAE_EXECUTION_PROVIDERS') ?? 'cuda,cpu';
  const executionProviders = providersRaw.split(',').map((p) => p.trim().toLowerCase());
  const unknown = executionProviders.filter((p) => !KNOWN_PROVIDERS.includes(p));
  if (unknown.length > 0 || executionProviders.length === 0) {
    r.problems.push(
      `DIFFAE_EXECUTION_PROVIDERS has unknown providers ${JSON.stringify(unknown)} (known: ${KNOWN_PROVIDERS.join(', ')})`,
    );
  }

  let workers = r.number('DIFFAE_WORKERS', 1, 1, 64);
  const threadsSet = r.string('DIFFAE_INTRA_OP_THREADS') !== undefined;
  let intraOpThreads: number | undefined = threadsSet
    ? r.number('DIFFAE_INTRA_OP_THREADS', 1, 1, 256)
    : undefined;
  // Oversubscribed CPU threads make every session slower; clamp so workers × threads ≤ cores.
  if (workers > cores) {
    opts.logger?.warn('clamping DIFFAE_WORKERS to the core count', { requested: workers, cores });
    workers = cores;
  }
  if (intraOpThreads !== undefined && workers * intraOpThreads > cores) {
    const clamped = Math.max(1, Math.floor(cores / workers));
    opts.logger?.warn('clamping DIFFAE_INTRA_OP_THREADS so workers × threads ≤ cores', {
      workers,
      requested: intraOpThreads,
      clamped,
      cores,
    });
    intraOpThreads = clamped;
  }
  if (intraOpThreads === undefined && workers > 1) intraOpThreads = Math.max(1, Math.floor(cores / workers));

  const visibilityTimeoutS = r.number('DIFFAE_VISIBILITY_TIMEOUT', 60, 3, 43_200);
  const fromQueue = maxReceivesFromQueueUrl(queueUrl);
  const maxReceives = r.number('DIFFAE_MAX_RECEIVES', fromQueue ?? 5, 1, 1000);
  if (fromQueue !== undefined && maxReceives !== fromQueue) {
    r.problems.push(
      `DIFFAE_MAX_RECEIVES (${maxReceives}) differs from the queue URL's maxReceives (${fromQueue})`,
    );
  }

  const levelRaw = (r.string('DIFFAE_LOG_LEVEL') ?? 'info').toLowerCase();
  const logLevel = (['debug', 'info', 'warn', 'error'] as const).find((l) => l === levelRaw);
  if (logLevel === undefined)
    r.problems.push(`DIFFAE_LOG_LEVEL must be debug, info, warn or error, got ${levelRaw}`);

  const config: WorkerConfig = {
    storageUrl,
    queueUrl,
    cacheDir: path.resolve(r.string('DIFFAE_CACHE_DIR') ?? path.join(os.tmpdir(), 'diffae-bundles')),
    bundleDir: bundleDir === undefined ? undefined : path.resolve(bundleDir),
    defaultModel,
    executionProviders,
    workers,
    intraOpThreads,
    maxBatch: r.number('DIFFAE_MAX_BATCH', 8, 1, 1024),
    batchWaitMs: r.number('DIFFAE_BATCH_WAIT_MS', 2, 0, 1000, false),
    maxJobsInFlight: r.number('DIFFAE_MAX_JOBS_IN_FLIGHT', 4, 1, 256),
    visibilityTimeoutS,
    maxReceives,
    retryBaseS: r.number('DIFFAE_RETRY_BASE_S', 2, 0, 300, false),
    shutdownGraceS: r.number('DIFFAE_SHUTDOWN_GRACE_S', 30, 0, 3600, false),
    pollWaitS: r.number('DIFFAE_POLL_WAIT_S', 10, 0, 20),
    progressIntervalMs: r.number('DIFFAE_PROGRESS_INTERVAL_MS', 1000, 0, 600_000),
    cancelCheckIntervalMs: r.number('DIFFAE_CANCEL_CHECK_INTERVAL_MS', 1000, 0, 600_000),
    heartbeatFile: r.string('DIFFAE_HEARTBEAT_FILE'),
    warmup: r.bool('DIFFAE_WARMUP', true),
    webhookSecret: r.string('DIFFAE_WEBHOOK_SECRET'),
    logLevel: logLevel ?? 'info',
  };
  if (r.problems.length > 0) throw new ConfigError(r.problems);
  return config;
}
