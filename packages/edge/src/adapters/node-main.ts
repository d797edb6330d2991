/**
 * `npm start` of the edge (local stack). Environment:
 *   DIFFAE_STORAGE (default file://<repo>/.local/store), DIFFAE_QUEUE (default sqlite://<repo>/.local/queue.db),
 *   DIFFAE_BUNDLES (comma-separated bundle folders), DIFFAE_MODEL_ID (default model), DIFFAE_API_KEYS,
 *   DIFFAE_LOCAL_SIGNING_SECRET (share with the worker), DIFFAE_PUBLIC_URL, DIFFAE_STATIC_DIR,
 *   PORT (default 8787), HOST (default 127.0.0.1), DIFFAE_THREADS (onnxruntime-web threads, default min(2, cores)).
 */
import { mkdirSync } from 'node:fs';
import { resolve } from 'node:path';
import { pathToFileURL } from 'node:url';
import { startEdgeServer } from './node.ts';

const env = process.env;
const local = resolve(import.meta.dirname, '../../../../.local');
mkdirSync(local, { recursive: true });

const server = await startEdgeServer({
  port: Number(env.PORT ?? 8787),
  host: env.HOST ?? '127.0.0.1',
  storageUrl: env.DIFFAE_STORAGE ?? pathToFileURL(resolve(local, 'store')).href,
  queueUrl: env.DIFFAE_QUEUE ?? `sqlite://${resolve(local, 'queue.db')}`,
  bundleDirs: (env.DIFFAE_BUNDLES ?? '')
    .split(',')
    .map((s) => s.trim())
    .filter(Boolean),
  ...(env.DIFFAE_MODEL_ID ? { defaultModel: env.DIFFAE_MODEL_ID } : {}),
  apiKeys: env.DIFFAE_API_KEYS ?? '[]',
  ...(env.DIFFAE_LOCAL_SIGNING_SECRET ? { signingSecret: env.DIFFAE_LOCAL_SIGNING_SECRET } : {}),
  ...(env.DIFFAE_PUBLIC_URL ? { publicUrl: env.DIFFAE_PUBLIC_URL } : {}),
  ...(env.DIFFAE_STATIC_DIR ? { staticDir: env.DIFFAE_STATIC_DIR } : {}),
  ...(env.DIFFAE_THREADS ? { threads: Number(env.DIFFAE_THREADS) } : {}),
});
console.log(`diffae edge on ${server.url} (OpenAPI: ${server.url}/openapi.json)`);
for (const signal of ['SIGINT', 'SIGTERM'] as const) {
  process.once(signal, () => void server.close().then(() => process.exit(0)));
}
