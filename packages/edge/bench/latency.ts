/**
 * Encode and preview latency of the edge app (onnxruntime-web in Node), medians over N requests.
 *
 *   node --import tsx packages/edge/bench/latency.ts <bundle dir> [photo] [N=10] [threads=1]
 */
import { mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { FsObjectStore, LocalSigner, openSqliteQueue } from '@diffae/shared/adapters';
import { loadBundle } from '@diffae/shared/node';
import { bundleEntry } from '../src/adapters/node-models.ts';
import { createApp } from '../src/app.ts';
import { createApiKey, createKeyStore } from '../src/keys.ts';
import { createMemoryRateLimiter } from '../src/rate-limit.ts';
import { createModelRegistry } from '../src/registry.ts';
import { jsonLogger, randomIds, systemClock } from '../src/runtime.ts';

const [bundleDir, photo = '/work/shared/data/photos/imgs_sandy.JPG', nArg = '10', threadsArg = '1'] =
  process.argv.slice(2);
if (!bundleDir) throw new Error('usage: latency.ts <bundle dir> [photo] [N] [threads]');
const N = Number(nArg);
const dir = mkdtempSync(join(tmpdir(), 'diffae-edge-bench-'));
const bundle = await loadBundle(bundleDir);
const entry = bundleEntry(bundle, { threads: Number(threadsArg) });
const { key, record } = await createApiKey('secret', 'bench', {
  rateLimit: { requestsPerMinute: 1e6, burst: 1e6 },
});
const app = createApp({
  store: new FsObjectStore({
    root: join(dir, 'store'),
    signer: new LocalSigner('bench-secret-0123456789', 'http://x'),
  }),
  queue: openSqliteQueue({ path: join(dir, 'q.db') }),
  models: createModelRegistry([entry]),
  keys: createKeyStore([record]),
  rateLimiter: createMemoryRateLimiter(),
  clock: systemClock,
  ids: randomIds,
  logger: jsonLogger({}, 'warn'),
  cacheEntries: 4,
  limits: { maxDirectImageBytes: 20 * 1024 * 1024 },
});
const image = readFileSync(photo);
const type = /\.png$/i.test(photo) ? 'image/png' : 'image/jpeg';
const headers = { authorization: `Bearer ${key}` };
const post = (path: string, body: BodyInit, contentType: string) =>
  app.request(path, { method: 'POST', headers: { ...headers, 'content-type': contentType }, body });
const median = (xs: number[]) => [...xs].sort((a, b) => a - b)[Math.floor(xs.length / 2)];
async function time(fn: () => Promise<Response>): Promise<number> {
  const t = performance.now();
  const res = await fn();
  if (!res.ok) throw new Error(`${res.status} ${await res.text()}`);
  await res.arrayBuffer();
  return performance.now() - t;
}

const m = bundle.manifest;
console.log(
  `bundle ${m.id}@${m.version} (${m.imageSize} px, z ${m.zDim}, preview ${JSON.stringify(m.preview)}), photo ${photo} (${image.length} B), N=${N}, threads=${threadsArg}`,
);
const warm = await time(() => post('/v1/encode', image, type));
console.log(`first encode (creates sessions): ${warm.toFixed(0)} ms`);

// Distinct bytes each time (a trailing byte after the image end) so the cache does not answer.
const uncachedEncode: number[] = [];
for (let i = 0; i < N; i++) {
  const bytes = new Uint8Array(image.length + 1);
  bytes.set(image);
  bytes[image.length] = i;
  uncachedEncode.push(await time(() => post('/v1/encode', bytes, type)));
}
const up = await (await post('/v1/uploads/direct', image, type)).json();
const preview = (amplitude: number, extra: object = {}) =>
  time(() =>
    post(
      '/v1/preview',
      JSON.stringify({
        image: up.key,
        edits: m.attributes.length ? [{ attribute: m.attributes[0], amplitude }] : [],
        ...extra,
      }),
      'application/json',
    ),
  );
const firstPreview = await preview(0);
const slider: number[] = [];
for (let i = 0; i < N; i++) slider.push(await preview((i % 5) / 10 - 0.2));
const coldPreview: number[] = [];
for (let i = 0; i < Math.min(N, 5); i++) {
  const bytes = new Uint8Array(image.length + 1);
  bytes.set(image);
  bytes[image.length] = 100 + i;
  const u = await (await post('/v1/uploads/direct', bytes, type)).json();
  coldPreview.push(
    await time(() => post('/v1/preview', JSON.stringify({ image: u.key }), 'application/json')),
  );
}
console.log(
  `encode (decode + resize + lite encoder + scores), uncached: median ${median(uncachedEncode).toFixed(1)} ms`,
);
console.log(
  `preview, new image (encode + ${m.preview?.inversionSteps}-step inversion + ${m.preview?.renderSteps}-step render): first ${firstPreview.toFixed(0)} ms, median ${median(coldPreview).toFixed(0)} ms`,
);
console.log(
  `preview, slider move (cached encode + inversion, render only): median ${median(slider).toFixed(0)} ms`,
);
await entry.dispose?.();
rmSync(dir, { recursive: true, force: true });
