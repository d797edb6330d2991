import { decodeImage } from '@diffae/shared';
import { createLocalStorageHandler } from '@diffae/shared/adapters';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { jobMessage, keys } from '../../shared/src/jobs.ts';
import { auth, type EdgeFixture, makeEdgeFixture, testPng } from './helpers/edge-fixture.ts';
import { TINY_ATTRIBUTES, TINY_Z } from './helpers/tiny-bundle.ts';

let f: EdgeFixture;
beforeAll(async () => {
  f = await makeEdgeFixture();
});
afterAll(async () => f?.close());

const json = (key: string, body: unknown, extra: Record<string, string> = {}) => ({
  method: 'POST',
  headers: auth(key, { 'content-type': 'application/json', ...extra }),
  body: JSON.stringify(body),
});

async function upload(key = f.keys.a, png = testPng()): Promise<string> {
  const res = await f.app.request('/v1/uploads/direct', {
    method: 'POST',
    headers: auth(key, { 'content-type': 'image/png' }),
    body: png,
  });
  expect(res.status).toBe(201);
  return ((await res.json()) as { key: string }).key;
}

describe('models and assets', () => {
  it('lists models and summarises one', async () => {
    const list = await (await f.app.request('/v1/models')).json();
    expect(list.default).toBe('tiny@1.0.0');
    expect(list.models.map((m: { id: string }) => m.id)).toEqual(['tiny', 'tiny-full']);
    const res = await f.app.request('/v1/models/tiny');
    const m = await res.json();
    expect(m).toMatchObject({
      id: 'tiny',
      imageSize: 8,
      zDim: TINY_Z,
      attributes: TINY_ATTRIBUTES,
      liteEncoder: true,
    });
    expect(m.preview).toEqual({ inversionSteps: 2, renderSteps: 2 });
    expect(m.links.liteEncoder).toBe('/v1/models/tiny@1.0.0/lite-encoder.onnx');
    expect((await (await f.app.request('/v1/models/tiny-full')).json()).preview).toBeNull();
    const missing = await f.app.request('/v1/models/nope');
    expect(missing.status).toBe(404);
    expect((await missing.json()).error.code).toBe('unknown_model');
  });

  it('serves the lite encoder and classifier with ETag, immutable only when version-pinned', async () => {
    const res = await f.app.request('/v1/models/tiny@1.0.0/lite-encoder.onnx');
    expect(res.status).toBe(200);
    expect(res.headers.get('cache-control')).toContain('immutable');
    const etag = res.headers.get('etag') ?? '';
    expect(etag).toMatch(/^"[0-9a-f]{64}"$/);
    expect((await res.arrayBuffer()).byteLength).toBeGreaterThan(50);
    const again = await f.app.request('/v1/models/tiny@1.0.0/lite-encoder.onnx', {
      headers: { 'if-none-match': etag },
    });
    expect(again.status).toBe(304);
    const unpinned = await f.app.request('/v1/models/tiny/classifier.json');
    expect(unpinned.headers.get('cache-control')).not.toContain('immutable');
    expect((await unpinned.json()).attributes).toEqual(TINY_ATTRIBUTES);
    expect((await f.app.request('/v1/models/tiny-full/lite-encoder.onnx')).status).toBe(404);
  });

  it('serves allowlisted onnxruntime-web files and nothing else', async () => {
    const { ortDistAssets } = await import('../src/adapters/node-models.ts');
    const withAssets = (await import('../src/app.ts')).createApp({ ...f.deps, assets: ortDistAssets() });
    const res = await withAssets.request('/v1/assets/ort/ort-wasm-simd-threaded.wasm');
    expect(res.status).toBe(200);
    expect(res.headers.get('content-type')).toBe('application/wasm');
    expect(res.headers.get('access-control-allow-origin')).toBe('*');
    const bytes = new Uint8Array(await res.arrayBuffer());
    expect(Array.from(bytes.subarray(0, 4))).toEqual([0, 0x61, 0x73, 0x6d]);
    for (const bad of ['ort.all.mjs', '..%2Fpackage.json', 'package.json']) {
      expect((await withAssets.request(`/v1/assets/ort/${bad}`)).status).toBe(404);
    }
  });
});

describe('uploads', () => {
  it('stores a direct upload under the tenant prefix with its dimensions', async () => {
    const res = await f.app.request('/v1/uploads/direct', {
      method: 'POST',
      headers: auth(f.keys.a, { 'content-type': 'image/png' }),
      body: testPng(12, 10),
    });
    const body = await res.json();
    expect(res.status).toBe(201);
    expect(body).toMatchObject({ contentType: 'image/png', width: 12, height: 10 });
    expect(body.key).toMatch(/^uploads\/tenant-a\/img_[A-Za-z0-9]+\.png$/);
    expect(await f.store.head(body.key)).toMatchObject({ bytes: body.bytes });
  });

  it('presigns a PUT that the local storage route accepts, then the image is usable', async () => {
    const png = testPng(16, 16);
    const res = await f.app.request(
      '/v1/uploads',
      json(f.keys.a, { contentType: 'image/png', bytes: png.length }),
    );
    expect(res.status).toBe(201);
    const body = await res.json();
    expect(body.key).toMatch(/^uploads\/tenant-a\//);
    expect(body.expiresIn).toBe(900);
    expect(new Date(body.upload.expiresAt).getTime()).toBeGreaterThan(Date.now());
    const local = createLocalStorageHandler(f.store, f.signer);
    const put = await local(
      new Request(body.upload.url, { method: 'PUT', headers: body.upload.headers, body: png }),
    );
    expect(put.status).toBe(200);
    const enc = await f.app.request('/v1/encode', json(f.keys.a, { image: body.key }));
    expect(enc.status).toBe(200);
  });
});

describe('encode and preview', () => {
  it('encodes a raw image with the lite encoder and scores attributes; a repeat hits the cache', async () => {
    const png = testPng(20, 14);
    const req = () => ({
      method: 'POST',
      headers: auth(f.keys.a, { 'content-type': 'image/png' }),
      body: png,
    });
    const first = await (await f.app.request('/v1/encode', req())).json();
    expect(first.encoder).toBe('lite');
    expect(first.z).toHaveLength(TINY_Z);
    expect(first.z.every(Number.isFinite)).toBe(true);
    expect(Object.keys(first.scores)).toEqual(TINY_ATTRIBUTES);
    expect(first.cached).toBe(false);
    const second = await (await f.app.request('/v1/encode', req())).json();
    expect(second.cached).toBe(true);
    expect(second.z).toEqual(first.z);
  });

  it('falls back to the full encoder when the bundle has no lite encoder', async () => {
    const key = await upload();
    const body = await (
      await f.app.request('/v1/encode', json(f.keys.a, { image: key, model: 'tiny-full' }))
    ).json();
    expect(body.encoder).toBe('full');
    expect(body.model).toEqual({ id: 'tiny-full', version: '1.0.0' });
  });

  it('previews an edit as a PNG; moving the slider reuses the cached inversion', async () => {
    const key = await upload(f.keys.a, testPng(9, 9));
    const first = await (
      await f.app.request('/v1/preview', json(f.keys.a, { image: key, edits: [] }))
    ).json();
    expect(first.preview.available).toBe(true);
    expect(first.preview.image).toMatch(/^data:image\/png;base64,/);
    const png = Uint8Array.from(atob(first.preview.image.split(',')[1]), (ch) => ch.charCodeAt(0));
    expect(decodeImage(png)).toMatchObject({ width: 8, height: 8 });
    expect(first.cached).toEqual({ encode: false, inversion: false });

    const edited = await (
      await f.app.request(
        '/v1/preview',
        json(f.keys.a, { image: key, edits: [{ attribute: 'Smiling', amplitude: 0.5 }], format: 'base64' }),
      )
    ).json();
    expect(edited.cached).toEqual({ encode: true, inversion: true });
    expect(edited.preview.format).toBe('base64');
    expect(edited.z).not.toEqual(first.z);
    expect(edited.scores.Smiling).toBeGreaterThan(first.scores.Smiling);
  });

  it('renders from z alone, and says so when the model allows no decoded previews', async () => {
    const z = Array.from({ length: TINY_Z }, (_, i) => i / 5);
    const fromZ = await (
      await f.app.request(
        '/v1/preview',
        json(f.keys.a, { z, edits: [{ attribute: 'Beard', amplitude: 0.3 }] }),
      )
    ).json();
    expect(fromZ.preview).toMatchObject({ available: true, inversionSteps: null, renderSteps: 2 });
    const none = await (await f.app.request('/v1/preview', json(f.keys.a, { z, model: 'tiny-full' }))).json();
    expect(none.preview.available).toBe(false);
    expect(none.preview.reason).toMatch(/no decoded previews/);
    expect(none.z).toEqual(z.map(Math.fround));
  });
});

describe('jobs', () => {
  async function submit(key: string, body: unknown, extra: Record<string, string> = {}) {
    return f.app.request('/v1/jobs', json(key, body, extra));
  }

  it('queues a job: 202 with links, a queued status document and a valid queue message', async () => {
    const image = await upload();
    const res = await submit(f.keys.a, {
      kind: 'manipulate',
      input: { image },
      edits: [{ attribute: 'Smiling', amplitude: 0.3 }],
      webhook: { url: 'https://hooks.example/diffae' },
    });
    expect(res.status).toBe(202);
    const body = await res.json();
    expect(body.status).toBe('queued');
    expect(body.links).toEqual({
      self: `/v1/jobs/${body.id}`,
      events: `/v1/jobs/${body.id}/events`,
      result: `/v1/jobs/${body.id}/result`,
      cancel: `/v1/jobs/${body.id}/cancel`,
    });
    const status = await (await f.app.request(`/v1/jobs/${body.id}`, { headers: auth(f.keys.a) })).json();
    expect(status).toMatchObject({ jobId: body.id, tenant: 'tenant-a', state: 'queued', kind: 'manipulate' });
    const [msg] = await f.queue.receive({ max: 1, waitSeconds: 0 });
    const parsed = jobMessage.parse(JSON.parse(msg.body));
    expect(parsed).toMatchObject({
      jobId: body.id,
      tenant: 'tenant-a',
      webhook: { url: 'https://hooks.example/diffae' },
    });
    expect(parsed.spec.model).toBe('tiny@1.0.0');
    await f.queue.delete(msg.receipt);
  });

  it('honours Idempotency-Key: same body → same job, other body → 409', async () => {
    const body = { kind: 'sample', n: 2 };
    const first = await (await submit(f.keys.a, body, { 'idempotency-key': 'order-1' })).json();
    const replay = await submit(f.keys.a, { n: 2, kind: 'sample' }, { 'idempotency-key': 'order-1' });
    expect(replay.status).toBe(202);
    expect(replay.headers.get('idempotent-replayed')).toBe('true');
    expect((await replay.json()).id).toBe(first.id);
    const conflict = await submit(f.keys.a, { kind: 'sample', n: 3 }, { 'idempotency-key': 'order-1' });
    expect(conflict.status).toBe(409);
    expect((await conflict.json()).error.code).toBe('idempotency_conflict');
    // Another tenant's identical key is independent.
    const other = await (await submit(f.keys.b, body, { 'idempotency-key': 'order-1' })).json();
    expect(other.id).not.toBe(first.id);
    expect((await f.queue.stats()).visible).toBe(2);
  });

  it('isolates tenants: other tenants get 404 for status, events, result and cancel', async () => {
    const { id } = await (await submit(f.keys.a, { kind: 'sample', n: 1 })).json();
    for (const [path, method] of [
      [`/v1/jobs/${id}`, 'GET'],
      [`/v1/jobs/${id}/events`, 'GET'],
      [`/v1/jobs/${id}/result`, 'GET'],
      [`/v1/jobs/${id}/cancel`, 'POST'],
    ] as const) {
      const res = await f.app.request(path, { method, headers: auth(f.keys.b) });
      expect(res.status, path).toBe(404);
      expect((await res.json()).error.code).toBe('job_not_found');
    }
    const image = await upload(f.keys.a);
    const stolen = await submit(f.keys.b, { kind: 'reconstruct', input: { image } });
    expect(stolen.status).toBe(403);
    expect((await stolen.json()).error.code).toBe('forbidden_key');
  });

  it('returns presigned result links for a succeeded job and refuses unfinished ones', async () => {
    const { id } = await (await submit(f.keys.a, { kind: 'sample', n: 1 })).json();
    const early = await f.app.request(`/v1/jobs/${id}/result`, { headers: auth(f.keys.a) });
    expect(early.status).toBe(409);
    const status = await (await f.app.request(`/v1/jobs/${id}`, { headers: auth(f.keys.a) })).json();
    const outKey = keys.output(id, 'sample_0.png');
    await f.store.put(outKey, testPng(8, 8), { contentType: 'image/png' });
    const { links: _links, ...doc } = status;
    await f.store.put(
      keys.status(id),
      JSON.stringify({
        ...doc,
        state: 'succeeded',
        outputs: [{ name: 'sample_0.png', key: outKey, contentType: 'image/png', bytes: 10 }],
      }),
    );
    const res = await f.app.request(`/v1/jobs/${id}/result`, { headers: auth(f.keys.a) });
    expect(res.status).toBe(200);
    const result = await res.json();
    expect(result.expiresIn).toBe(900);
    expect(result.outputs[0]).toMatchObject({ name: 'sample_0.png', contentType: 'image/png' });
    const local = createLocalStorageHandler(f.store, f.signer);
    const got = await local(new Request(result.outputs[0].url));
    expect(got.status).toBe(200);
    expect(got.headers.get('content-type')).toBe('image/png');
  });

  it('cancels a running job by writing the cancel marker; finished jobs answer 409', async () => {
    const { id } = await (await submit(f.keys.a, { kind: 'sample', n: 1 })).json();
    const res = await f.app.request(`/v1/jobs/${id}/cancel`, { method: 'POST', headers: auth(f.keys.a) });
    expect(res.status).toBe(202);
    expect(await res.json()).toEqual({ id, status: 'queued', cancelRequested: true });
    expect(await f.store.head(keys.cancel(id))).not.toBeNull();
    const doc = JSON.parse(new TextDecoder().decode((await f.store.get(keys.status(id))) as Uint8Array));
    await f.store.put(keys.status(id), JSON.stringify({ ...doc, state: 'cancelled' }));
    expect(
      (await f.app.request(`/v1/jobs/${id}/cancel`, { method: 'POST', headers: auth(f.keys.a) })).status,
    ).toBe(409);
  });

  it('streams progress and status events until the job ends', async () => {
    const { id } = await (await submit(f.keys.a, { kind: 'sample', n: 1 })).json();
    const res = await f.app.request(`/v1/jobs/${id}/events`, { headers: auth(f.keys.a) });
    expect(res.status).toBe(200);
    expect(res.headers.get('content-type')).toContain('text/event-stream');
    const reader = (res.body as ReadableStream<Uint8Array>).getReader();
    const decoder = new TextDecoder();
    let text = '';
    const readUntil = async (needle: string) => {
      while (!text.includes(needle)) {
        const { done, value } = await reader.read();
        if (done) throw new Error(`stream ended before ${needle}: ${text}`);
        text += decoder.decode(value, { stream: true });
      }
    };
    await readUntil('"state":"queued"');
    const doc = JSON.parse(new TextDecoder().decode((await f.store.get(keys.status(id))) as Uint8Array));
    await f.store.put(keys.progress(id), JSON.stringify({ stage: 'render', done: 3, total: 10 }));
    await readUntil('"done":3');
    await f.store.put(keys.status(id), JSON.stringify({ ...doc, state: 'succeeded' }));
    await readUntil('event: end');
    while (!(await reader.read()).done) {}
    const events = text
      .split('\n')
      .filter((l) => l.startsWith('event: '))
      .map((l) => l.slice(7));
    expect(events).toEqual(['status', 'progress', 'status', 'end']);
  });
});
