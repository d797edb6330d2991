/**
 * Backends for bundles: onnxruntime sessions with the configured execution providers (CUDA → CPU
 * fallback with one log line), `workers` replicas behind one cross-job batcher, warmed up before use.
 * `ModelRegistry` maps a job's model reference to a loaded model, opening each bundle once.
 */
import type { DiffAEBackend } from '../../shared/src/backend.ts';
import type { Manifest } from '../../shared/src/bundle/manifest.ts';
import type { Classifier } from '../../shared/src/classifier.ts';
import type { LatentStats } from '../../shared/src/latent-stats.ts';
import { type LoadedBundle, loadBundle, openBundleBackend } from '../../shared/src/node/bundle.ts';
import { BatchingBackend, type BatchingOptions } from './batcher.ts';
import { type BundleCache, type BundleRef, parseModelRef, readLocalBundleRef } from './bundle-cache.ts';
import { errorFields, type Logger } from './log.ts';

export interface SessionOptions {
  executionProviders: readonly string[];
  workers: number;
  intraOpThreads: number | undefined;
  maxBatch: number;
  batchWaitMs: number;
  warmup: boolean;
  /** Observer of every network run (benchmarks); see BatchingOptions.onRun. */
  onRun?: BatchingOptions['onRun'];
}

export interface LoadedModel {
  readonly ref: BundleRef;
  readonly manifest: Manifest;
  readonly classifier: Classifier | undefined;
  readonly latentStats: LatentStats | undefined;
  /** Shared by every job on this model; jobs take a `batcher.client(jobId)`. */
  readonly batcher: BatchingBackend;
  /** e.g. "cuda" or "cpu" (after a fallback). */
  readonly device: string;
}

/** Opens one onnxruntime backend, retrying on the CPU alone when the accelerator cannot start. */
export async function openBackend(
  bundle: LoadedBundle,
  opts: Pick<SessionOptions, 'executionProviders' | 'intraOpThreads' | 'maxBatch'>,
  logger: Logger,
): Promise<{ backend: DiffAEBackend; device: string }> {
  const base = {
    eager: true,
    maxBatch: opts.maxBatch,
    ...(opts.intraOpThreads !== undefined && { threads: opts.intraOpThreads }),
    logger: { warn: (message: string) => logger.warn('onnxruntime', { detail: message }) },
  };
  const requested = [...opts.executionProviders];
  try {
    const backend = await openBundleBackend(bundle, { ...base, providers: requested });
    return { backend, device: backend.info.providers?.[0] ?? backend.info.device };
  } catch (err) {
    if (requested.length === 1 && requested[0] === 'cpu') throw err;
    if (!requested.includes('cpu')) throw err;
    logger.warn('execution providers unavailable, falling back to the CPU', {
      requested,
      ...errorFields(err),
    });
    const backend = await openBundleBackend(bundle, { ...base, providers: ['cpu'] });
    return { backend, device: 'cpu' };
  }
}

/** One eps call at batch 1, so the first job does not pay for lazy initialisation (CUDA kernels, arenas). */
export async function warmUp(backend: DiffAEBackend, manifest: Manifest): Promise<number> {
  const S = manifest.imageSize;
  const started = performance.now();
  await backend.eps({ data: new Float32Array(3 * S * S), shape: [1, 3, S, S] }, new Float32Array([0]), {
    data: new Float32Array(manifest.zDim),
    shape: [1, manifest.zDim],
  });
  return performance.now() - started;
}

export async function openModel(dir: string, opts: SessionOptions, logger: Logger): Promise<LoadedModel> {
  // Bundles from the cache were verified on download; a local folder is checked by size only.
  const bundle = await loadBundle(dir, { verify: false });
  const { manifest } = bundle;
  const log = logger.child({ model: manifest.id, version: manifest.version });
  const replicas: DiffAEBackend[] = [];
  let device = 'cpu';
  try {
    for (let i = 0; i < opts.workers; i++) {
      const opened = await openBackend(bundle, opts, log);
      replicas.push(opened.backend);
      device = opened.device;
      if (opts.warmup)
        log.info('warm-up', { replica: i, device, ms: Math.round(await warmUp(opened.backend, manifest)) });
    }
  } catch (err) {
    await Promise.all(replicas.map((r) => r.dispose()));
    throw err;
  }
  log.info('model ready', { device, replicas: replicas.length, maxBatch: opts.maxBatch });
  return {
    ref: { id: manifest.id, version: manifest.version },
    manifest,
    classifier: bundle.classifier,
    latentStats: bundle.latentStats,
    batcher: new BatchingBackend(replicas, {
      maxBatch: opts.maxBatch,
      waitMs: opts.batchWaitMs,
      ...(opts.onRun && { onRun: opts.onRun }),
    }),
    device,
  };
}

export interface ModelRegistryOptions {
  /** Bundles from the store; undefined: only the local bundle is served. */
  cache: BundleCache | undefined;
  /** A local bundle folder served for its own id@version. */
  localDir: string | undefined;
  /** Reference used when a job names no model. */
  defaultModel: string | undefined;
  open: (dir: string) => Promise<LoadedModel>;
}

export class ModelRegistry {
  readonly #opts: ModelRegistryOptions;
  readonly #models = new Map<string, Promise<LoadedModel>>();
  #local: Promise<BundleRef> | undefined;

  constructor(opts: ModelRegistryOptions) {
    if (!opts.localDir && !opts.defaultModel)
      throw new Error('ModelRegistry needs a local bundle or a default model');
    this.#opts = opts;
  }

  /** The model for a job's `model` field (undefined: the default). Opens it on first use. */
  async get(ref: string | undefined): Promise<LoadedModel> {
    const { cache, localDir, defaultModel } = this.#opts;
    const wanted = ref ?? defaultModel;
    if (localDir) this.#local ??= readLocalBundleRef(localDir);
    const local = await this.#local;
    if (local && localDir) {
      const r = wanted === undefined ? undefined : parseModelRef(wanted);
      if (
        r === undefined ||
        (r.id === local.id && (r.version === undefined || r.version === local.version))
      ) {
        return this.#open(local, async () => localDir);
      }
    }
    if (wanted === undefined) throw new Error('no default model configured');
    if (!cache) throw new Error(`model ${wanted} is not the local bundle and no store cache is configured`);
    const resolved = await cache.resolve(wanted);
    return this.#open(resolved, () => cache.fetch(resolved));
  }

  #open(ref: BundleRef, dir: () => Promise<string>): Promise<LoadedModel> {
    const key = `${ref.id}@${ref.version}`;
    let p = this.#models.get(key);
    if (!p) {
      p = dir().then((d) => this.#opts.open(d));
      p.catch(() => this.#models.delete(key));
      this.#models.set(key, p);
    }
    return p;
  }

  async dispose(): Promise<void> {
    const models = await Promise.allSettled(this.#models.values());
    this.#models.clear();
    await Promise.all(models.map((m) => (m.status === 'fulfilled' ? m.value.batcher.dispose() : undefined)));
  }
}
