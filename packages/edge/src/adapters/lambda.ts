/**
 * AWS Lambda entry (the SST deploy). Environment:
 *   DIFFAE_STORAGE=s3://bucket[/prefix], DIFFAE_QUEUE=<SQS queue URL>, DIFFAE_API_KEYS (JSON),
 *   DIFFAE_MODEL_ID ("id" or "id@version"; comma-separated for several), DIFFAE_THREADS (default 1),
 *   DIFFAE_BUNDLE_CACHE (default /tmp/diffae-models).
 * Bundles are copied from the store's `models/{id}/{version}/` into /tmp on the first request of an
 * instance (and verified), then served from memory.
 *
 * `handler` buffers responses (API Gateway), so the SSE route only streams through
 * `lambda-stream.ts` (a Function URL with RESPONSE_STREAM invoke mode). Rate limits and quotas count
 * per instance.
 */

import { openQueue, openStore } from '@diffae/shared/adapters';
import { loadBundle } from '@diffae/shared/node';
import { handle } from 'hono/aws-lambda';
import { createApp, type EdgeApp } from '../app.ts';
import { createKeyStore, parseApiKeys } from '../keys.ts';
import { createMemoryRateLimiter } from '../rate-limit.ts';
import { createModelRegistry } from '../registry.ts';
import { jsonLogger, randomIds, systemClock } from '../runtime.ts';
import { bundleEntry, ortDistAssets } from './node-models.ts';
import { fetchBundle } from './s3-bundles.ts';

type Env = Record<string, string | undefined>;

export async function createLambdaApp(env: Env = process.env): Promise<EdgeApp> {
  const storage = env.DIFFAE_STORAGE;
  const queueUrl = env.DIFFAE_QUEUE;
  if (!storage || !queueUrl) throw new Error('DIFFAE_STORAGE and DIFFAE_QUEUE must be set');
  const store = await openStore(storage);
  const queue = await openQueue(queueUrl);
  const refs = (env.DIFFAE_MODEL_ID ?? '')
    .split(',')
    .map((s) => s.trim())
    .filter(Boolean);
  const threads = Number(env.DIFFAE_THREADS ?? 1);
  const entries = [];
  for (const ref of refs)
    entries.push(
      bundleEntry(
        await loadBundle(await fetchBundle(store, ref, env.DIFFAE_BUNDLE_CACHE ?? '/tmp/diffae-models')),
        { threads },
      ),
    );
  return createApp({
    store,
    queue,
    models: createModelRegistry(entries),
    keys: createKeyStore(parseApiKeys(env.DIFFAE_API_KEYS)),
    rateLimiter: createMemoryRateLimiter(),
    clock: systemClock,
    ids: randomIds,
    logger: jsonLogger({ service: 'edge', runtime: 'lambda' }),
    assets: ortDistAssets(),
  });
}

let app: Promise<EdgeApp> | undefined;
/** The app of this instance, built from process.env on first use. */
const appOnce = (): Promise<EdgeApp> => {
  app ??= createLambdaApp().catch((err) => {
    app = undefined;
    throw err;
  });
  return app;
};

// Hono's Lambda adapters only call `app.fetch`; this stand-in builds the app on the first request.
export const lazyApp = {
  fetch: async (req: Request, env?: unknown, ctx?: unknown) =>
    (await appOnce()).fetch(req, env as object, ctx as never),
} as unknown as EdgeApp;

export const handler = handle(lazyApp);
