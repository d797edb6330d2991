/**
 * The local stack's edge server: the API app on @hono/node-server, plus the local-storage route that
 * serves fs-store presigned URLs and (optionally) static files such as the widget's demo page.
 *
 * Seam for end-to-end tests with a real worker: pass the same `storageUrl`/`queueUrl` (and
 * `signingSecret`) to the worker, or inject `store`/`queue` objects directly.
 */
import { randomBytes } from 'node:crypto';
import type { AddressInfo } from 'node:net';
import { availableParallelism } from 'node:os';
import {
  createLocalStorageHandler,
  FsObjectStore,
  LOCAL_STORAGE_ROUTE,
  LocalSigner,
  openQueue,
  openStore,
} from '@diffae/shared/adapters';
import { serve } from '@hono/node-server';
import { serveStatic } from '@hono/node-server/serve-static';
import { Hono } from 'hono';
import type { JobQueue, ObjectStore } from '../../../shared/src/ports.ts';
import { createApp, type EdgeApp } from '../app.ts';
import type { EdgeLimits, Logger, ModelEntry } from '../deps.ts';
import { type ApiKeyRecord, createKeyStore, parseApiKeys } from '../keys.ts';
import { createMemoryRateLimiter } from '../rate-limit.ts';
import { createModelRegistry } from '../registry.ts';
import { jsonLogger, randomIds, systemClock } from '../runtime.ts';
import { loadBundleEntries, ortDistAssets } from './node-models.ts';

export interface EdgeServerOptions {
  /** Default 0 (any free port). */
  port?: number;
  /** Default 127.0.0.1. */
  host?: string;
  /** file:///abs/dir or s3://bucket/prefix (ignored when `store` is given). */
  storageUrl?: string;
  /** sqlite:///abs/file.db or an SQS URL (ignored when `queue` is given). */
  queueUrl?: string;
  store?: ObjectStore;
  queue?: JobQueue;
  /** Bundle folders to serve (each loaded and verified at start). */
  bundleDirs?: readonly string[];
  /** Already-built entries (tests), added after `bundleDirs`. */
  models?: readonly ModelEntry[];
  /** "id" or "id@version"; default: the first model. */
  defaultModel?: string;
  /** Records or the DIFFAE_API_KEYS JSON. */
  apiKeys?: readonly ApiKeyRecord[] | string;
  /** HMAC secret of local presigned URLs (share it with the worker); default: random per process. */
  signingSecret?: string;
  /** Base URL in presigned local URLs; default: the listening URL. */
  publicUrl?: string;
  /** Folder served at / for paths outside /v1 (the widget's demo page). */
  staticDir?: string;
  /**
   * onnxruntime-web threads for previews (default: min(2, available cores); a 2-thread preview of the
   * default bundle is ~1.2–1.5× faster than 1 thread on 2 cores, docs/performance.md §4).
   */
  threads?: number;
  limits?: Partial<EdgeLimits>;
  logger?: Logger;
  /** Accept http://127.0.0.1 webhooks (default: true when host is a loopback address). */
  allowLocalWebhooks?: boolean;
}

export interface EdgeServer {
  url: string;
  app: EdgeApp;
  store: ObjectStore;
  queue: JobQueue;
  close(): Promise<void>;
}

async function listen(fetch: (req: Request) => Response | Promise<Response>, port: number, host: string) {
  return new Promise<{ server: ReturnType<typeof serve>; info: AddressInfo }>((resolve, reject) => {
    const server = serve({ fetch, port, hostname: host }, (info) => resolve({ server, info }));
    server.once('error', reject);
  });
}

export function defaultPreviewThreads(): number {
  return Math.max(1, Math.min(2, availableParallelism()));
}

export async function startEdgeServer(opts: EdgeServerOptions): Promise<EdgeServer> {
  const host = opts.host ?? '127.0.0.1';
  const logger = opts.logger ?? jsonLogger({ service: 'edge' });
  let handle: (req: Request) => Response | Promise<Response> = () =>
    new Response('starting', { status: 503 });
  const { server, info } = await listen((req) => handle(req), opts.port ?? 0, host);
  const url = `http://${host.includes(':') ? `[${host}]` : host}:${info.port}`;

  const closers: (() => Promise<void>)[] = [
    () => new Promise<void>((resolve) => server.close(() => resolve())),
  ];
  try {
    const signer = new LocalSigner(
      opts.signingSecret ?? randomBytes(32).toString('hex'),
      opts.publicUrl ?? url,
    );
    const store = opts.store ?? (await openStore(required(opts.storageUrl, 'storageUrl'), { signer }));
    if (!opts.store) closers.push(() => store.close());
    const queue = opts.queue ?? (await openQueue(required(opts.queueUrl, 'queueUrl')));
    if (!opts.queue) closers.push(() => queue.close());
    const entries = [
      ...(await loadBundleEntries(opts.bundleDirs ?? [], {
        threads: opts.threads ?? defaultPreviewThreads(),
      })),
      ...(opts.models ?? []),
    ];
    const records = typeof opts.apiKeys === 'string' ? parseApiKeys(opts.apiKeys) : [...(opts.apiKeys ?? [])];
    const loopback = host === '127.0.0.1' || host === 'localhost' || host === '::1';
    const app = createApp({
      store,
      queue,
      models: createModelRegistry(entries, opts.defaultModel),
      keys: createKeyStore(records),
      rateLimiter: createMemoryRateLimiter(),
      clock: systemClock,
      ids: randomIds,
      logger,
      assets: ortDistAssets(),
      allowLocalWebhooks: opts.allowLocalWebhooks ?? loopback,
      ...(opts.limits ? { limits: opts.limits } : {}),
    });
    const local = store instanceof FsObjectStore ? createLocalStorageHandler(store, signer) : undefined;
    const statics = opts.staticDir ? new Hono().use('/*', serveStatic({ root: opts.staticDir })) : undefined;
    handle = (req) => {
      const path = new URL(req.url).pathname;
      if (local && path.startsWith(LOCAL_STORAGE_ROUTE)) return local(req);
      if (statics && !path.startsWith('/v1/') && path !== '/openapi.json') return statics.fetch(req);
      return app.fetch(req);
    };
    for (const e of entries) if (e.dispose) closers.push(e.dispose);
    logger.info('edge listening', {
      url,
      models: entries.map((e) => `${e.manifest.id}@${e.manifest.version}`),
      keys: records.length,
    });
    return {
      url,
      app,
      store,
      queue,
      async close() {
        for (const close of closers.reverse()) await close().catch(() => undefined);
      },
    };
  } catch (err) {
    for (const close of closers.reverse()) await close().catch(() => undefined);
    throw err;
  }
}

function required(value: string | undefined, name: string): string {
  if (!value) throw new Error(`startEdgeServer: ${name} is required (or pass the object itself)`);
  return value;
}
