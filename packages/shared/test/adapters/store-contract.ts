/** The ObjectStore contract: every adapter runs these tests (see fs-store.test.ts, s3-store.test.ts). */
import { createHash, randomBytes } from 'node:crypto';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { StorageError } from '../../src/adapters/errors.ts';
import type { ObjectStore } from '../../src/ports.ts';

export interface StoreContractOptions {
  /** Whether `ifNoneMatch: '*'` is enforced (no emulator does; real S3 and the fs store do). */
  enforcesIfNoneMatch: boolean;
  /** Whether Cache-Control round-trips (real S3 and the fs store; fauxqs drops it). */
  keepsCacheControl: boolean;
}

export const INVALID_KEYS = [
  '',
  '/abs',
  'trailing/',
  'a//b',
  '..',
  '../up',
  'a/../b',
  'a/./b',
  '.hidden',
  'dir/.hidden',
  'with space',
  'tab\tkey',
  'nul\u0000key',
  'back\\slash',
  'ümlaut',
  'q?x',
  'h#x',
  'p%2e',
  'x'.repeat(1025),
  `${'s'.repeat(201)}/x`,
];

const sha = (b: Uint8Array) => createHash('sha256').update(b).digest('hex');

async function readAll(stream: ReadableStream<Uint8Array>): Promise<Uint8Array> {
  return new Uint8Array(await new Response(stream).arrayBuffer());
}

async function expectCode(p: Promise<unknown>, code: string): Promise<void> {
  const err = await p.then(
    () => null,
    (e: unknown) => e,
  );
  expect(err, `expected a StorageError ${code}`).toBeInstanceOf(StorageError);
  expect((err as StorageError).code).toBe(code);
}

export function describeStoreContract(
  name: string,
  makeStore: () => Promise<ObjectStore>,
  opts: StoreContractOptions,
): void {
  describe(`ObjectStore contract: ${name}`, () => {
    let store: ObjectStore;
    beforeEach(async () => {
      store = await makeStore();
    });
    afterEach(async () => {
      await store.close();
    });

    it('puts, gets and heads strings and bytes with metadata', async () => {
      const before = Date.now();
      await store.put('jobs/a.json', '{"ok":true}', {
        contentType: 'application/json',
        cacheControl: 'no-store',
      });
      await store.put('jobs/b.bin', new Uint8Array([0, 1, 2, 255]));
      expect(new TextDecoder().decode((await store.get('jobs/a.json')) ?? undefined)).toBe('{"ok":true}');
      expect(Array.from((await store.get('jobs/b.bin')) ?? [])).toEqual([0, 1, 2, 255]);
      const info = await store.head('jobs/a.json');
      expect(info).toMatchObject({ bytes: 11, contentType: 'application/json' });
      expect(info?.cacheControl).toBe(opts.keepsCacheControl ? 'no-store' : undefined);
      expect(info?.lastModified).toBeInstanceOf(Date);
      expect(info?.lastModified.getTime()).toBeGreaterThan(before - 5000);
      expect((await store.head('jobs/b.bin'))?.bytes).toBe(4);
    });

    it('returns null for missing keys and deletes idempotently', async () => {
      expect(await store.get('missing/key')).toBeNull();
      expect(await store.head('missing/key')).toBeNull();
      expect(await store.getStream('missing/key')).toBeNull();
      await store.put('gone/x', 'x');
      await store.delete('gone/x');
      expect(await store.get('gone/x')).toBeNull();
      expect(await store.head('gone/x')).toBeNull();
      await store.delete('gone/x');
      await store.delete('never/existed');
    });

    it('overwrites body, metadata and etag', async () => {
      await store.put('o/k', 'first', { contentType: 'text/plain' });
      const first = await store.head('o/k');
      await store.put('o/k', 'second-longer', { contentType: 'application/json' });
      expect(new TextDecoder().decode((await store.get('o/k')) ?? undefined)).toBe('second-longer');
      const second = await store.head('o/k');
      expect(second).toMatchObject({ bytes: 13, contentType: 'application/json' });
      expect(second?.etag).toBeDefined();
      expect(second?.etag).not.toBe(first?.etag);
    });

    it('lists by string prefix in sorted pages', async () => {
      const keys = ['p/b/c', 'p/a', 'p/b-d', 'p/c', 'p/b/a/deep', 'p/ba', 'q/x', 'p2'];
      for (const k of keys) await store.put(k, k);
      const all: string[] = [];
      let cursor: string | undefined;
      let pages = 0;
      do {
        const page = await store.list('p/', { limit: 2, ...(cursor !== undefined && { cursor }) });
        expect(page.keys.length).toBeLessThanOrEqual(2);
        all.push(...page.keys);
        cursor = page.cursor;
        pages++;
      } while (cursor !== undefined && pages < 10);
      const expected = keys.filter((k) => k.startsWith('p/')).sort();
      expect(all).toEqual(expected);
      expect(pages).toBe(3);
      expect((await store.list('p/b')).keys).toEqual(['p/b-d', 'p/b/a/deep', 'p/b/c', 'p/ba']);
      expect((await store.list('')).keys).toEqual([...keys].sort());
      expect((await store.list('p')).keys).toEqual([...expected, 'p2'].sort());
      expect(await store.list('nothing/')).toEqual({ keys: [] });
      await expectCode(store.list('p/', { limit: 0 }), 'invalid_argument');
    });

    it('rejects invalid keys on every operation', async () => {
      for (const key of INVALID_KEYS) {
        await expectCode(store.put(key, 'x'), 'invalid_key');
        await expectCode(store.get(key), 'invalid_key');
        await expectCode(store.head(key), 'invalid_key');
        await expectCode(store.delete(key), 'invalid_key');
      }
      await expectCode(store.list('../'), 'invalid_key');
      await expectCode(store.list('/abs'), 'invalid_key');
      // Allowed punctuation round-trips.
      await store.put('ok/A-z_0.9=+,@', 'fine');
      expect((await store.list('ok/')).keys).toEqual(['ok/A-z_0.9=+,@']);
    });

    it('keeps random binary bodies intact, also through getStream', async () => {
      const body = new Uint8Array(randomBytes(300_000));
      await store.put('bin/random', body, { contentType: 'application/octet-stream' });
      expect(sha((await store.get('bin/random')) ?? new Uint8Array())).toBe(sha(body));
      const stream = await store.getStream('bin/random');
      expect(stream).not.toBeNull();
      expect(sha(await readAll(stream as ReadableStream<Uint8Array>))).toBe(sha(body));
      await store.put('bin/empty', new Uint8Array(0));
      expect((await store.get('bin/empty'))?.byteLength).toBe(0);
    });

    it('stores a 12 MiB object (multipart path on S3)', async () => {
      const body = new Uint8Array(randomBytes(12 * 1024 * 1024));
      await store.put('big/12mib.bin', body);
      expect((await store.head('big/12mib.bin'))?.bytes).toBe(body.byteLength);
      expect(sha((await store.get('big/12mib.bin')) ?? new Uint8Array())).toBe(sha(body));
    });

    it('never shows a reader part of an overwrite', async () => {
      const size = 256 * 1024;
      const a = new Uint8Array(size).fill(0x41);
      const b = new Uint8Array(size).fill(0x42);
      await store.put('atomic/x', a);
      let stop = false;
      const reads: Promise<void>[] = [];
      const reader = async () => {
        while (!stop) {
          const got = await store.get('atomic/x');
          expect(got?.byteLength).toBe(size);
          const first = got?.[0];
          expect(got?.every((v) => v === first)).toBe(true);
        }
      };
      reads.push(reader(), reader());
      for (let i = 0; i < 8; i++) await store.put('atomic/x', i % 2 ? a : b);
      stop = true;
      await Promise.all(reads);
    });

    it(`create-only puts (ifNoneMatch) ${opts.enforcesIfNoneMatch ? 'are enforced' : 'are accepted'}`, async () => {
      await store.put('once/k', 'first', { ifNoneMatch: '*' });
      const second = store.put('once/k', 'second', { ifNoneMatch: '*' });
      if (opts.enforcesIfNoneMatch) {
        await expectCode(second, 'precondition_failed');
        expect(new TextDecoder().decode((await store.get('once/k')) ?? undefined)).toBe('first');
      } else {
        await second; // emulators ignore If-None-Match; real S3 answers 412 (mapped to precondition_failed)
      }
    });

    it('presigns a PUT and a GET that work over HTTP', async () => {
      if (!store.presignPut || !store.presignGet)
        throw new Error('store must support presigning in this suite');
      const body = new Uint8Array(randomBytes(50_000));
      const put = await store.presignPut('uploads/u1.png', { expiresIn: 60, contentType: 'image/png' });
      expect(put.url).not.toMatch(/x-amz-checksum|x-amz-sdk-checksum/i);
      expect(put.method).toBe('PUT');
      expect(put.expiresAt.getTime()).toBeGreaterThan(Date.now() + 50_000);
      const res = await fetch(put.url, { method: 'PUT', headers: put.headers, body });
      expect(res.status, await res.clone().text()).toBe(200);
      expect(sha((await store.get('uploads/u1.png')) ?? new Uint8Array())).toBe(sha(body));
      expect((await store.head('uploads/u1.png'))?.contentType).toBe('image/png');

      const get = await store.presignGet('uploads/u1.png', { expiresIn: 60 });
      const got = await fetch(get.url);
      expect(got.status).toBe(200);
      expect(sha(new Uint8Array(await got.arrayBuffer()))).toBe(sha(body));
      await expectCode(store.presignGet('uploads/u1.png', { expiresIn: 604_801 }), 'invalid_argument');
      await expectCode(store.presignPut('../x', { expiresIn: 60, contentType: 'image/png' }), 'invalid_key');
    });
  });
}
