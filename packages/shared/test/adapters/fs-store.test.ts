import { mkdtempSync, readdirSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { StorageError } from '../../src/adapters/errors.ts';
import { FsObjectStore } from '../../src/adapters/fs-store.ts';
import { LocalSigner } from '../../src/adapters/local-signer.ts';
import { createLocalStorageHandler } from '../../src/adapters/local-storage-route.ts';
import { serveFetch } from './fetch-server.ts';
import { describeStoreContract } from './store-contract.ts';

const SECRET = 'test-secret-0123456789abcdef';
const dirs: string[] = [];
let server: { baseUrl: string; close(): Promise<void> };
/** The store the HTTP route serves; each test's store points the route at its own root. */
let served: FsObjectStore | undefined;

function newRoot(): string {
  const dir = mkdtempSync(path.join(tmpdir(), 'diffae-fs-store-'));
  dirs.push(dir);
  return dir;
}

beforeAll(async () => {
  server = await serveFetch((req) => {
    if (!served) throw new Error('no store served');
    return createLocalStorageHandler(served, new LocalSigner(SECRET, server.baseUrl))(req);
  });
});

afterAll(async () => {
  await server.close();
  for (const d of dirs) rmSync(d, { recursive: true, force: true });
});

function makeStore(): FsObjectStore {
  const store = new FsObjectStore({ root: newRoot(), signer: new LocalSigner(SECRET, server.baseUrl) });
  served = store;
  return store;
}

describeStoreContract('filesystem', async () => makeStore(), {
  enforcesIfNoneMatch: true,
  keepsCacheControl: true,
});

async function codeOf(p: Promise<unknown>): Promise<string | undefined> {
  return p.then(
    () => undefined,
    (e: unknown) => (e instanceof StorageError ? e.code : `not a StorageError: ${String(e)}`),
  );
}

describe('FsObjectStore specifics', () => {
  it('keeps plain files on disk, hides sidecars and leaves no temp files', async () => {
    const store = makeStore();
    await store.put('models/m1/manifest.json', '{}', { contentType: 'application/json' });
    await store.put('models/m1/manifest.json', '{"v":2}', { contentType: 'application/json' });
    const dir = path.join(store.root, 'models', 'm1');
    expect(readdirSync(dir).sort()).toEqual(['.manifest.json.meta.json', 'manifest.json']);
    expect((await store.list('models/')).keys).toEqual(['models/m1/manifest.json']);
    await store.delete('models/m1/manifest.json');
    expect(readdirSync(store.root)).toEqual([]); // empty folders pruned
  });

  it('reads files copied in by hand (no metadata)', async () => {
    const store = makeStore();
    writeFileSync(path.join(store.root, 'dropped.onnx'), new Uint8Array([1, 2, 3]));
    expect(await store.head('dropped.onnx')).toMatchObject({ bytes: 3 });
    expect((await store.head('dropped.onnx'))?.contentType).toBeUndefined();
    expect(Array.from((await store.get('dropped.onnx')) ?? [])).toEqual([1, 2, 3]);
  });

  it('refuses an object that is also a prefix, with key_conflict', async () => {
    const store = makeStore();
    await store.put('a/b', 'x');
    expect(await codeOf(store.put('a', 'y'))).toBe('key_conflict');
    expect(await codeOf(store.put('a/b/c', 'z'))).toBe('key_conflict');
    expect(await store.get('a')).toBeNull();
    expect(new TextDecoder().decode((await store.get('a/b')) ?? undefined)).toBe('x');
  });

  it('refuses a relative root and presigning without a signer', async () => {
    expect(() => new FsObjectStore({ root: 'relative/dir' })).toThrow(/absolute/);
    const store = new FsObjectStore({ root: newRoot() });
    expect(await codeOf(store.presignGet('k', { expiresIn: 60 }))).toBe('not_supported');
  });
});

describe('LocalSigner and the local storage route', () => {
  it('rejects forged, re-targeted and expired signatures', () => {
    const signer = new LocalSigner(SECRET, 'http://edge.local');
    const now = Date.now();
    const url = signer.sign({ method: 'GET', key: 'results/r1.png', expires: Math.floor(now / 1000) + 60 });
    expect(signer.verifyUrl('GET', url, now)).toMatchObject({ key: 'results/r1.png', method: 'GET' });
    expect(signer.verifyUrl('HEAD', url, now).method).toBe('GET');
    const code = (f: () => unknown) => {
      try {
        f();
        return 'accepted';
      } catch (e) {
        return (e as StorageError).code;
      }
    };
    const forged = new URL(url);
    forged.searchParams.set('sig', `${forged.searchParams.get('sig')?.slice(0, -2)}AA`);
    expect(code(() => signer.verifyUrl('GET', forged, now))).toBe('signature_invalid');
    expect(code(() => signer.verifyUrl('GET', url.replace('r1.png', 'r2.png'), now))).toBe(
      'signature_invalid',
    );
    expect(code(() => signer.verifyUrl('PUT', url, now))).toBe('signature_invalid');
    expect(
      code(() =>
        new LocalSigner('another-secret-0123456789', 'http://edge.local').verifyUrl('GET', url, now),
      ),
    ).toBe('signature_invalid');
    const later = new URL(url);
    later.searchParams.set('expires', String(Math.floor(now / 1000) + 3600));
    expect(code(() => signer.verifyUrl('GET', later, now))).toBe('signature_invalid');
    expect(code(() => signer.verifyUrl('GET', url, now + 61_000))).toBe('signature_expired');
    expect(() => new LocalSigner('short', 'http://x')).toThrow(/16 bytes/);
  });

  it('enforces method, content type, size limit and expiry over HTTP', async () => {
    const store = makeStore();
    const put = await store.presignPut('uploads/x.jpg', {
      expiresIn: 60,
      contentType: 'image/jpeg',
      maxBytes: 1000,
    });
    expect(put.maxBytesEnforced).toBe(true);
    const status = async (url: string, init?: RequestInit) => (await fetch(url, init)).status;
    expect(
      await status(put.url, { method: 'PUT', headers: { 'content-type': 'image/png' }, body: 'x' }),
    ).toBe(403);
    expect(await status(put.url, { method: 'PUT', headers: put.headers, body: new Uint8Array(1001) })).toBe(
      413,
    );
    expect(await store.head('uploads/x.jpg')).toBeNull();
    expect(await status(put.url, { method: 'PUT', headers: put.headers, body: new Uint8Array(1000) })).toBe(
      200,
    );
    expect(await status(put.url)).toBe(403); // a PUT grant is not a GET grant
    const get = await store.presignGet('uploads/x.jpg', { expiresIn: 60 });
    const res = await fetch(get.url);
    expect(res.headers.get('content-type')).toBe('image/jpeg');
    expect((await res.arrayBuffer()).byteLength).toBe(1000);
    expect(await status(get.url, { method: 'DELETE' })).toBe(403);
    const missing = await store.presignGet('uploads/none.jpg', { expiresIn: 60 });
    expect(await status(missing.url)).toBe(404);
    const signer = new LocalSigner(SECRET, server.baseUrl);
    const expired = signer.sign({
      method: 'GET',
      key: 'uploads/x.jpg',
      expires: Math.floor(Date.now() / 1000) - 1,
    });
    const expiredRes = await fetch(expired);
    expect(expiredRes.status).toBe(403);
    expect(((await expiredRes.json()) as { error: { code: string } }).error.code).toBe('signature_expired');
  });
});
