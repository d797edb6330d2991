/**
 * The whole product on one machine and one port: the edge (API, demo page, local storage route), a
 * worker child process, a filesystem store and a SQLite queue under `dir`, the default bundle, and a
 * publishable key for the demo page. Everything persists in `dir`, so a restart keeps jobs and results.
 */
import { mkdirSync } from 'node:fs';
import path from 'node:path';
import { pathToFileURL } from 'node:url';
import { type EdgeServer, startEdgeServer } from '../../packages/edge/src/adapters/node.ts';
import type { Logger } from '../../packages/edge/src/deps.ts';
import { resolveBundle } from './bundle.ts';
import { WEB_DIST_DIR } from './paths.ts';
import { freePort } from './port.ts';
import { loadOrCreateSecrets } from './secrets.ts';
import { ensureWidgetBuilt } from './web-build.ts';
import { startWorker, type WorkerProcess } from './worker.ts';

export interface LocalStackOptions {
  /** State folder (store, queue, keys, bundle cache). */
  dir: string;
  /** 0: any free port. */
  port: number;
  /** Default 127.0.0.1. */
  host?: string;
  /** Bundle to serve instead of the default (models/bundles/facesynth64, or the random fixture). */
  bundleDir?: string;
  /** Build packages/web/dist when missing or stale (default true). */
  buildWidget?: boolean;
  /** Where log lines go (default: stderr). */
  log?: (line: string) => void;
  /** Extra environment for the worker (e.g. DIFFAE_LOG_LEVEL). */
  workerEnv?: Record<string, string>;
}

export interface LocalStack {
  /** Origin of the edge, e.g. http://127.0.0.1:8787 */
  url: string;
  /** The state folder (absolute). */
  dir: string;
  /** The demo page with its publishable key. */
  demoUrl: string;
  publishableKey: string;
  /** For scripts and curl (`Authorization: Bearer sk_…`); never for a browser. */
  secretKey: string;
  bundleDir: string;
  /** True when the random-weight fixture stands in for the default model. */
  fixtureBundle: boolean;
  edge: EdgeServer;
  worker: WorkerProcess;
  close(): Promise<void>;
}

function logger(log: (line: string) => void, service: string): Logger {
  const line = (level: string) => (message: string, fields?: Record<string, unknown>) =>
    log(JSON.stringify({ level, service, msg: message, ...fields }));
  return { info: line('info'), warn: line('warn'), error: line('error') };
}

/** Let a local key use a bit more than a browser key on the internet: slider previews are bursty. */
const LOCAL_RATE_LIMIT = { requestsPerMinute: 1200, burst: 200 };

export async function startLocalStack(opts: LocalStackOptions): Promise<LocalStack> {
  const log = opts.log ?? ((line: string) => process.stderr.write(`${line}\n`));
  const host = opts.host ?? '127.0.0.1';
  const dir = path.resolve(opts.dir);
  mkdirSync(path.join(dir, 'store'), { recursive: true });

  if (opts.buildWidget !== false) await ensureWidgetBuilt((m) => log(m));
  const bundle = await resolveBundle({
    bundleDir: opts.bundleDir,
    fixtureCacheDir: path.join(dir, 'fixture-bundle'),
  });
  if (bundle.fixture) log(`default bundle not built yet: serving the random-weight fixture ${bundle.dir}`);

  const port = opts.port === 0 ? await freePort(host) : opts.port;
  const url = `http://${host}:${port}`;
  const origins = [url, ...(host === '127.0.0.1' ? [`http://localhost:${port}`] : [])];
  const secrets = await loadOrCreateSecrets(dir, origins);
  const storageUrl = pathToFileURL(path.join(dir, 'store')).href;
  const queueUrl = `${pathToFileURL(path.join(dir, 'queue.db')).href.replace(/^file:/, 'sqlite:')}?maxReceives=3&visibilityTimeout=60`;

  const edge = await startEdgeServer({
    port,
    host,
    storageUrl,
    queueUrl,
    bundleDirs: [bundle.dir],
    apiKeys: [
      { ...secrets.record, rateLimit: secrets.record.rateLimit ?? LOCAL_RATE_LIMIT },
      secrets.secretRecord,
    ],
    signingSecret: secrets.signingSecret,
    publicUrl: url,
    staticDir: WEB_DIST_DIR,
    logger: logger(log, 'edge'),
  });
  let worker: WorkerProcess;
  try {
    worker = startWorker(
      {
        DIFFAE_STORAGE: storageUrl,
        DIFFAE_QUEUE: queueUrl,
        DIFFAE_BUNDLE_DIR: bundle.dir,
        DIFFAE_CACHE_DIR: path.join(dir, 'worker-cache'),
        DIFFAE_LOCAL_SIGNING_SECRET: secrets.signingSecret,
        DIFFAE_PUBLIC_URL: url,
        DIFFAE_EXECUTION_PROVIDERS: 'cpu',
        DIFFAE_POLL_WAIT_S: '2',
        DIFFAE_PROGRESS_INTERVAL_MS: '250',
        DIFFAE_CANCEL_CHECK_INTERVAL_MS: '250',
        DIFFAE_SHUTDOWN_GRACE_S: '5',
        DIFFAE_MAX_RECEIVES: '3',
        ...opts.workerEnv,
      },
      log,
    );
  } catch (err) {
    await edge.close();
    throw err;
  }

  let closing: Promise<void> | undefined;
  return {
    url,
    dir,
    demoUrl: `${url}/?key=${encodeURIComponent(secrets.publishableKey)}`,
    publishableKey: secrets.publishableKey,
    secretKey: secrets.secretKey,
    bundleDir: bundle.dir,
    fixtureBundle: bundle.fixture,
    edge,
    worker,
    close() {
      closing ??= (async () => {
        await worker.stop();
        await edge.close();
      })();
      return closing;
    },
  };
}
