import { randomUUID } from 'node:crypto';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { openStore } from '../../src/adapters/from-url.ts';
import { S3ObjectStore } from '../../src/adapters/s3-store.ts';
import { type Fauxqs, startFauxqs, TEST_CREDENTIALS, TEST_REGION } from './fauxqs-server.ts';
import { describeStoreContract } from './store-contract.ts';

const BUCKET = 'diffae-test';
let fauxqs: Fauxqs;

beforeAll(async () => {
  fauxqs = await startFauxqs();
  await fauxqs.createBucket(BUCKET);
});

afterAll(async () => {
  await fauxqs.close();
});

function makeStore(prefix = `run-${randomUUID().slice(0, 8)}/`): S3ObjectStore {
  return new S3ObjectStore({
    bucket: BUCKET,
    prefix,
    endpoint: fauxqs.endpoint,
    region: TEST_REGION,
    forcePathStyle: true,
    credentials: TEST_CREDENTIALS,
  });
}

// Each test gets its own prefix in one bucket, which also exercises the `s3://bucket/prefix/` rooting.
describeStoreContract('S3 on fauxqs', async () => makeStore(), {
  enforcesIfNoneMatch: false,
  keepsCacheControl: false,
});

describe('S3ObjectStore specifics', () => {
  it('roots keys under its prefix and lists them without it', async () => {
    const store = makeStore('tenant-a/');
    const other = makeStore('tenant-b/');
    await store.put('results/r.png', 'a');
    expect(await other.get('results/r.png')).toBeNull();
    expect((await store.list('results/')).keys).toEqual(['results/r.png']);
    const root = makeStore('');
    expect((await root.list('tenant-a/')).keys).toEqual(['tenant-a/results/r.png']);
    await Promise.all([store.close(), other.close(), root.close()]);
  });

  it('presigned PUT URLs sign the content type and carry no checksum parameter', async () => {
    const store = makeStore();
    const put = await store.presignPut('uploads/a.png', {
      expiresIn: 300,
      contentType: 'image/png',
      maxBytes: 10,
    });
    const url = new URL(put.url);
    expect(url.searchParams.get('X-Amz-SignedHeaders')).toContain('content-type');
    expect([...url.searchParams.keys()].filter((k) => /checksum/i.test(k))).toEqual([]);
    expect(url.searchParams.get('X-Amz-Expires')).toBe('300');
    expect(put.maxBytesEnforced).toBe(false);
    await store.close();
  });

  it('validates bucket names and prefixes', () => {
    expect(() => new S3ObjectStore({ bucket: 'Bad_Bucket' })).toThrow(/bucket name/);
    expect(() => new S3ObjectStore({ bucket: 'ok-bucket', prefix: 'no-slash' })).toThrow(/end with/);
    expect(() => new S3ObjectStore({ bucket: 'ok-bucket', prefix: '../x/' })).toThrow(/storage key/);
  });

  it('maps an unreachable endpoint to storage_unavailable', async () => {
    const store = new S3ObjectStore({
      bucket: BUCKET,
      endpoint: 'http://127.0.0.1:9',
      forcePathStyle: true,
      region: TEST_REGION,
      credentials: TEST_CREDENTIALS,
    });
    const err = await store.get('k').catch((e: unknown) => e);
    expect((err as { code?: string }).code).toBe('storage_unavailable');
    await store.close();
  });

  it('opens from an s3:// URL', async () => {
    const store = await openStore(
      `s3://${BUCKET}/from-url/x?endpoint=${fauxqs.endpoint}&region=${TEST_REGION}`,
      {
        credentials: TEST_CREDENTIALS,
      },
    );
    expect(store).toBeInstanceOf(S3ObjectStore);
    expect((store as S3ObjectStore).prefix).toBe('from-url/x/');
    await store.put('k', 'v');
    const root = makeStore('');
    expect(await root.get('from-url/x/k')).not.toBeNull();
    await Promise.all([store.close(), root.close()]);
  });
});
