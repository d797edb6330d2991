import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { pathToFileURL } from 'node:url';
import { afterAll, describe, expect, it } from 'vitest';
import { localSignerFromEnv, openStore, queueFromEnv, storeFromEnv } from '../../src/adapters/from-url.ts';
import { FsObjectStore } from '../../src/adapters/fs-store.ts';
import { SqliteQueue } from '../../src/adapters/sqlite-queue.ts';

const dir = mkdtempSync(path.join(tmpdir(), 'diffae-from-url-'));
afterAll(() => rmSync(dir, { recursive: true, force: true }));

describe('openStore / openQueue from URLs and environment', () => {
  it('opens a file:// store, with presigning when the signing env is set', async () => {
    const root = path.join(dir, 'store');
    const plain = await openStore(pathToFileURL(root).href);
    expect(plain).toBeInstanceOf(FsObjectStore);
    expect((plain as FsObjectStore).root).toBe(root);
    await expect(plain.presignGet?.('k', { expiresIn: 60 })).rejects.toMatchObject({ code: 'not_supported' });

    const env = {
      DIFFAE_STORAGE: pathToFileURL(root).href,
      DIFFAE_LOCAL_SIGNING_SECRET: 'an-edge-and-worker-shared-secret',
      DIFFAE_PUBLIC_URL: 'http://127.0.0.1:8787/',
    };
    const signed = await storeFromEnv(env);
    const get = await signed.presignGet?.('results/r.png', { expiresIn: 60 });
    expect(get?.url).toMatch(/^http:\/\/127\.0\.0\.1:8787\/v1\/local-storage\/results\/r\.png\?/);
  });

  it('opens the queue named by DIFFAE_QUEUE', async () => {
    const q = await queueFromEnv({ DIFFAE_QUEUE: `sqlite://${path.join(dir, 'q.db')}?maxReceives=none` });
    expect(q).toBeInstanceOf(SqliteQueue);
    expect(await q.deadLetterQueue()).toBeNull();
    await q.close();
  });

  it('explains missing or malformed configuration', async () => {
    await expect(storeFromEnv({})).rejects.toThrow(/DIFFAE_STORAGE is not set/);
    await expect(queueFromEnv({})).rejects.toThrow(/DIFFAE_QUEUE is not set/);
    await expect(openStore('gs://bucket/x')).rejects.toThrow(/unsupported storage URL scheme gs:/);
    await expect(openStore('not a url')).rejects.toThrow(/not a URL/);
    await expect(openStore('file:///tmp/x?mode=1')).rejects.toThrow(/unknown parameter "mode"/);
    await expect(openStore('s3://UPPER/x')).rejects.toThrow(/bucket name/);
    expect(() => localSignerFromEnv({ DIFFAE_LOCAL_SIGNING_SECRET: 'x'.repeat(20) })).toThrow(/both/);
    expect(localSignerFromEnv({})).toBeUndefined();
  });
});
