import { mkdtempSync, readdirSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { pathToFileURL } from 'node:url';
import { FsObjectStore } from '@diffae/shared/adapters';
import { handle } from 'hono/aws-lambda';
import { afterAll, describe, expect, it } from 'vitest';
import { createLambdaApp } from '../src/adapters/lambda.ts';
import { createApiKey } from '../src/keys.ts';
import { tinyBundleFactory } from './helpers/tiny-bundle.ts';

const dir = mkdtempSync(join(tmpdir(), 'diffae-edge-lambda-'));
afterAll(() => rmSync(dir, { recursive: true, force: true }));

describe('Lambda adapter', () => {
  it('copies the bundle from the store into the cache dir and answers API Gateway v2 events', async () => {
    const bundle = tinyBundleFactory(join(dir, 'models'))(join(dir, 'bundle'), {
      id: 'tiny',
      version: '1.2.0',
    });
    const store = new FsObjectStore({ root: join(dir, 'store') });
    for (const name of readdirSync(bundle))
      await store.put(`models/tiny/1.2.0/${name}`, readFileSync(join(bundle, name)));
    const { key, record } = await createApiKey('secret', 'tenant-a');
    const app = await createLambdaApp({
      DIFFAE_STORAGE: pathToFileURL(join(dir, 'store')).href,
      DIFFAE_QUEUE: `sqlite://${join(dir, 'queue.db')}`,
      DIFFAE_API_KEYS: JSON.stringify([record]),
      DIFFAE_MODEL_ID: 'tiny',
      DIFFAE_BUNDLE_CACHE: join(dir, 'cache'),
    });
    expect(readdirSync(join(dir, 'cache', 'tiny', '1.2.0'))).toContain('unet.onnx');
    const event = (method: string, path: string, headers: Record<string, string> = {}, body?: string) => ({
      version: '2.0',
      routeKey: '$default',
      rawPath: path,
      rawQueryString: '',
      headers: { host: 'api.example', ...headers },
      requestContext: {
        http: { method, path, sourceIp: '127.0.0.1', protocol: 'HTTP/1.1', userAgent: 'test' },
        domainName: 'api.example',
        stage: '$default',
      },
      ...(body ? { body, isBase64Encoded: false } : {}),
    });
    const lambda = handle(app) as unknown as (
      e: unknown,
      c: unknown,
    ) => Promise<{ statusCode: number; body: string }>;
    const models = await lambda(event('GET', '/v1/models'), {});
    expect(models.statusCode).toBe(200);
    expect(JSON.parse(models.body).default).toBe('tiny@1.2.0');
    const job = await lambda(
      event(
        'POST',
        '/v1/jobs',
        { authorization: `Bearer ${key}`, 'content-type': 'application/json' },
        JSON.stringify({ kind: 'sample', n: 1 }),
      ),
      {},
    );
    expect(job.statusCode).toBe(202);
  });
});
