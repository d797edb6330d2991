/** A real edge app over a temp dir: fs store with local signing, SQLite queue, tiny bundles, test keys. */
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { encodePng } from '@diffae/shared';
import { FsObjectStore, LocalSigner, openSqliteQueue } from '@diffae/shared/adapters';
import { loadBundle } from '@diffae/shared/node';
import { bundleEntry } from '../../src/adapters/node-models.ts';
import { createApp, type EdgeApp } from '../../src/app.ts';
import type { EdgeDeps, Logger } from '../../src/deps.ts';
import { type ApiKeyRecord, createApiKey, createKeyStore } from '../../src/keys.ts';
import { createMemoryRateLimiter } from '../../src/rate-limit.ts';
import { createModelRegistry } from '../../src/registry.ts';
import { randomIds, systemClock } from '../../src/runtime.ts';
import { tinyBundleFactory } from './tiny-bundle.ts';

export const WIDGET_ORIGIN = 'https://widget.example';

export interface LogLine {
  level: 'info' | 'warn' | 'error';
  message: string;
  fields?: Record<string, unknown>;
}

export interface EdgeFixture {
  dir: string;
  app: EdgeApp;
  deps: EdgeDeps;
  store: FsObjectStore;
  queue: ReturnType<typeof openSqliteQueue>;
  signer: LocalSigner;
  logs: LogLine[];
  keys: { a: string; b: string; pk: string; limited: string; quota: string };
  records: ApiKeyRecord[];
  bundleDirs: { preview: string; noPreview: string };
  close(): Promise<void>;
}

export function captureLogger(logs: LogLine[]): Logger {
  const log = (level: LogLine['level']) => (message: string, fields?: Record<string, unknown>) =>
    void logs.push({ level, message, ...(fields ? { fields } : {}) });
  return { info: log('info'), warn: log('warn'), error: log('error') };
}

export async function makeEdgeFixture(overrides: Partial<EdgeDeps> = {}): Promise<EdgeFixture> {
  const dir = mkdtempSync(join(tmpdir(), 'diffae-edge-'));
  const makeBundle = tinyBundleFactory(join(dir, 'models'));
  const bundleDirs = {
    preview: makeBundle(join(dir, 'bundles', 'tiny'), { id: 'tiny' }),
    noPreview: makeBundle(join(dir, 'bundles', 'tiny-full'), {
      id: 'tiny-full',
      preview: false,
      liteEncoder: false,
    }),
  };
  const signer = new LocalSigner('test-signing-secret-0123456789', 'http://edge.test');
  const store = new FsObjectStore({ root: join(dir, 'store'), signer });
  const queue = openSqliteQueue({ path: join(dir, 'queue.db') });
  const made = {
    a: await createApiKey('secret', 'tenant-a'),
    b: await createApiKey('secret', 'tenant-b'),
    pk: await createApiKey('publishable', 'tenant-a', { origins: [WIDGET_ORIGIN] }),
    limited: await createApiKey('secret', 'tenant-c', { rateLimit: { requestsPerMinute: 60, burst: 2 } }),
    quota: await createApiKey('secret', 'tenant-d', { quota: { jobsPerDay: 1 } }),
  };
  const records = Object.values(made).map((m) => m.record);
  const entries = [
    bundleEntry(await loadBundle(bundleDirs.preview)),
    bundleEntry(await loadBundle(bundleDirs.noPreview)),
  ];
  const logs: LogLine[] = [];
  const deps: EdgeDeps = {
    store,
    queue,
    models: createModelRegistry(entries),
    keys: createKeyStore(records),
    rateLimiter: createMemoryRateLimiter(),
    clock: systemClock,
    ids: randomIds,
    logger: captureLogger(logs),
    limits: { eventsPollMs: 20, maxDirectImageBytes: 64 * 1024 },
    allowLocalWebhooks: true,
    ...overrides,
  };
  return {
    dir,
    app: createApp(deps),
    deps,
    store,
    queue,
    signer,
    logs,
    keys: { a: made.a.key, b: made.b.key, pk: made.pk.key, limited: made.limited.key, quota: made.quota.key },
    records,
    bundleDirs,
    async close() {
      for (const e of entries) await e.dispose?.();
      await queue.close();
      await store.close();
      rmSync(dir, { recursive: true, force: true });
    },
  };
}

/** A w×h RGB test pattern as PNG. */
export function testPng(w = 12, h = 10): Uint8Array<ArrayBuffer> {
  const data = new Uint8Array(w * h * 3);
  for (let i = 0; i < data.length; i++) data[i] = (i * 37) % 256;
  return new Uint8Array(encodePng({ width: w, height: h, data }));
}

export function auth(key: string, extra: Record<string, string> = {}): Record<string, string> {
  return { authorization: `Bearer ${key}`, ...extra };
}
