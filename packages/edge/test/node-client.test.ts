import { mkdirSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { pathToFileURL } from 'node:url';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { keys } from '../../shared/src/jobs.ts';
import { type EdgeServer, startEdgeServer } from '../src/adapters/node.ts';
import { ApiError, createClient } from '../src/client.ts';
import { createApiKey } from '../src/keys.ts';
import { captureLogger, type LogLine, testPng } from './helpers/edge-fixture.ts';
import { tinyBundleFactory } from './helpers/tiny-bundle.ts';

let dir = '';
let server: EdgeServer;
let apiKey = '';
const logs: LogLine[] = [];

beforeAll(async () => {
  dir = mkdtempSync(join(tmpdir(), 'diffae-edge-node-'));
  const bundle = tinyBundleFactory(join(dir, 'models'))(join(dir, 'bundle'), { id: 'tiny' });
  mkdirStatic(join(dir, 'static'));
  const { key, record } = await createApiKey('secret', 'tenant-a');
  apiKey = key;
  server = await startEdgeServer({
    port: 0,
    storageUrl: pathToFileURL(join(dir, 'store')).href,
    queueUrl: `sqlite://${join(dir, 'queue.db')}`,
    bundleDirs: [bundle],
    apiKeys: JSON.stringify([record]),
    staticDir: join(dir, 'static'),
    logger: captureLogger(logs),
    limits: { eventsPollMs: 20 },
  });
});
afterAll(async () => {
  await server?.close();
  rmSync(dir, { recursive: true, force: true });
});

function mkdirStatic(path: string): void {
  mkdirSync(path, { recursive: true });
  writeFileSync(join(path, 'index.html'), '<!doctype html><title>demo</title>');
}

describe('typed client against the Node adapter on 127.0.0.1', () => {
  it('listens on a free port and serves static files and the OpenAPI document', async () => {
    expect(server.url).toMatch(/^http:\/\/127\.0\.0\.1:\d+$/);
    expect(await (await fetch(`${server.url}/index.html`)).text()).toContain('demo');
    const client = createClient({ baseUrl: server.url });
    expect((await client.openApi()).openapi).toBe('3.1.0');
    expect((await client.listModels()).models[0].id).toBe('tiny');
  });

  it('uploads (direct and presigned through the local storage route), encodes and previews', async () => {
    const client = createClient({ baseUrl: server.url, apiKey });
    const direct = await client.uploadDirect(testPng(), 'image/png');
    expect(direct.key).toMatch(/^uploads\/tenant-a\//);
    const large = await client.uploadLarge(testPng(30, 20), 'image/png');
    expect((await server.store.head(large))?.bytes).toBeGreaterThan(0);
    const enc = await client.encode({ key: large });
    expect(enc.z).toHaveLength(5);
    const raw = await client.encode({ bytes: testPng(), contentType: 'image/png' });
    expect(raw.imageSha256).toMatch(/^[0-9a-f]{64}$/);
    const preview = await client.preview({
      image: direct.key,
      edits: [{ attribute: 'Smiling', amplitude: 0.2 }],
    });
    expect(preview.preview.available).toBe(true);
  });

  it('submits a job, follows its events and reads result links; errors are ApiError', async () => {
    const client = createClient({ baseUrl: server.url, apiKey });
    const job = await client.submitJob({ kind: 'sample', n: 1 }, { idempotencyKey: 'k1' });
    expect((await client.submitJob({ kind: 'sample', n: 1 }, { idempotencyKey: 'k1' })).id).toBe(job.id);
    const seen: string[] = [];
    const events = (async () => {
      for await (const e of client.jobEvents(job.id)) seen.push(e.event);
    })();
    const status = await client.getJob(job.id);
    const { links: _l, ...doc } = status;
    const out = keys.output(job.id, 'a.png');
    await server.store.put(out, testPng(), { contentType: 'image/png' });
    await server.store.put(
      keys.status(job.id),
      JSON.stringify({
        ...doc,
        state: 'succeeded',
        outputs: [{ name: 'a.png', key: out, contentType: 'image/png', bytes: 1 }],
      }),
    );
    await events;
    expect(seen.at(-1)).toBe('end');
    const result = await client.getJobResult(job.id);
    const download = await fetch(result.outputs[0].url);
    expect(download.status).toBe(200);
    expect(new Uint8Array(await download.arrayBuffer())).toEqual(testPng());
    const err = await client.cancelJob(job.id).catch((e: unknown) => e);
    expect(err).toBeInstanceOf(ApiError);
    expect(err).toMatchObject({ status: 409, code: 'job_finished' });
    const noKey = await createClient({ baseUrl: server.url })
      .getJob(job.id)
      .catch((e: unknown) => e);
    expect(noKey).toMatchObject({ status: 401, code: 'missing_api_key' });
  });
});
