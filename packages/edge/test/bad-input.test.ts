import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { auth, type EdgeFixture, makeEdgeFixture, testPng } from './helpers/edge-fixture.ts';

let f: EdgeFixture;
// Cases are built at collection time, before beforeAll: the upload gets a fixed key.
const image = 'uploads/tenant-a/img_fixture.png';
beforeAll(async () => {
  f = await makeEdgeFixture();
  await f.store.put(image, testPng(), { contentType: 'image/png' });
});
afterAll(async () => f?.close());

/** A PNG whose IHDR claims width × height (header only). */
function pngClaiming(width: number, height: number): Uint8Array<ArrayBuffer> {
  const png = testPng(4, 4).slice();
  new DataView(png.buffer).setUint32(16, width);
  new DataView(png.buffer).setUint32(20, height);
  return png;
}

const png = testPng();
const jpegHead = Uint8Array.from([0xff, 0xd8, 0xff, 0xe0, 0x00, 0x10, 0x4a, 0x46]);

type Case = { name: string; path: string; body: BodyInit; type?: string; status: number; code: string };

const raw = (
  name: string,
  body: Uint8Array<ArrayBuffer>,
  status: number,
  code: string,
  type = 'image/png',
): Case => ({
  name,
  path: '/v1/uploads/direct',
  body,
  type,
  status,
  code,
});
const jsonCase = (name: string, path: string, body: unknown, status: number, code: string): Case => ({
  name,
  path,
  body: typeof body === 'string' ? body : JSON.stringify(body),
  type: 'application/json',
  status,
  code,
});

function cases(): Case[] {
  const z5 = [0, 0, 0, 0, 0];
  return [
    raw('truncated PNG', png.subarray(0, png.length - 20), 400, 'truncated_image'),
    raw('PNG header only', png.subarray(0, 30), 400, 'truncated_image'),
    raw(
      'corrupt PNG data',
      Uint8Array.from(png, (b, i) => (i > 40 && i < png.length - 12 ? b ^ 0x5a : b)),
      400,
      'corrupt_image',
    ),
    raw('decompression bomb (claims 30000×30000)', pngClaiming(30000, 30000), 413, 'image_too_large'),
    raw('enormous width', pngClaiming(100000, 2), 413, 'image_too_large'),
    raw('zero-size PNG', pngClaiming(0, 5), 400, 'corrupt_image'),
    raw('truncated JPEG', jpegHead, 400, 'truncated_image', 'image/jpeg'),
    raw('not an image', new TextEncoder().encode('hello world'), 415, 'unsupported_format'),
    raw('empty body', new Uint8Array(0), 415, 'unsupported_format'),
    raw('PNG sent as JPEG', png, 415, 'content_type_mismatch', 'image/jpeg'),
    raw('wrong content type', png, 415, 'unsupported_media_type', 'text/plain'),
    raw('oversized body', new Uint8Array(200 * 1024), 413, 'body_too_large'),
    {
      name: 'encode: text body',
      path: '/v1/encode',
      body: 'x',
      type: 'text/plain',
      status: 415,
      code: 'unsupported_media_type',
    },
    {
      name: 'encode: corrupt raw image',
      path: '/v1/encode',
      body: png.subarray(0, 50),
      type: 'image/png',
      status: 400,
      code: 'truncated_image',
    },
    jsonCase('malformed JSON', '/v1/encode', '{"image": ', 400, 'malformed_json'),
    jsonCase('JSON NaN literal', '/v1/preview', '{"z":[NaN,0,0,0,0]}', 400, 'malformed_json'),
    jsonCase('infinite latent (1e999)', '/v1/preview', '{"z":[1e999,0,0,0,0]}', 400, 'invalid_request'),
    jsonCase('latent of the wrong width', '/v1/preview', { z: [1, 2] }, 400, 'invalid_latent'),
    jsonCase('both image and z', '/v1/preview', { image, z: z5 }, 400, 'invalid_request'),
    jsonCase(
      'unknown attribute (preview)',
      '/v1/preview',
      { z: z5, edits: [{ attribute: 'Wings', amplitude: 0.2 }] },
      400,
      'unknown_attribute',
    ),
    jsonCase(
      'amplitude too large',
      '/v1/preview',
      { z: z5, edits: [{ attribute: 'Smiling', amplitude: 9 }] },
      400,
      'invalid_request',
    ),
    jsonCase('invalid step count (preview)', '/v1/preview', { z: z5, renderSteps: 37 }, 400, 'invalid_steps'),
    jsonCase('too many preview steps', '/v1/preview', { z: z5, renderSteps: 100 }, 400, 'invalid_steps'),
    jsonCase(
      'duplicate attribute',
      '/v1/preview',
      {
        z: z5,
        edits: [
          { attribute: 'Smiling', amplitude: 0.1 },
          { attribute: 'Smiling', amplitude: 0.2 },
        ],
      },
      400,
      'duplicate_attribute',
    ),
    jsonCase('unknown model', '/v1/preview', { z: z5, model: 'ghost' }, 404, 'unknown_model'),
    jsonCase('bad model ref', '/v1/encode', { image, model: 'UPPER CASE' }, 400, 'invalid_request'),
    jsonCase(
      'image key of another tenant',
      '/v1/encode',
      { image: 'uploads/tenant-b/img_x.png' },
      403,
      'forbidden_key',
    ),
    jsonCase(
      'image key with ..',
      '/v1/encode',
      { image: 'uploads/tenant-a/../tenant-b/x.png' },
      403,
      'forbidden_key',
    ),
    jsonCase(
      'missing upload',
      '/v1/encode',
      { image: 'uploads/tenant-a/img_missing.png' },
      404,
      'image_not_found',
    ),
    jsonCase('job: unknown kind', '/v1/jobs', { kind: 'teleport' }, 400, 'invalid_request'),
    jsonCase(
      'job: invalid step count',
      '/v1/jobs',
      { kind: 'sample', n: 1, renderSteps: 37 },
      400,
      'invalid_request',
    ),
    jsonCase(
      'job: unknown attribute',
      '/v1/jobs',
      { kind: 'manipulate', input: { image }, edits: [{ attribute: 'Wings', amplitude: 0.1 }] },
      400,
      'unknown_attribute',
    ),
    jsonCase('job: extra field', '/v1/jobs', { kind: 'sample', n: 1, evil: true }, 400, 'invalid_request'),
    jsonCase(
      'job: http webhook',
      '/v1/jobs',
      { kind: 'sample', n: 1, webhook: { url: 'http://evil.example/x' } },
      400,
      'invalid_webhook',
    ),
    jsonCase(
      'job: webhook with credentials',
      '/v1/jobs',
      { kind: 'sample', n: 1, webhook: { url: 'https://u:p@hooks.example/' } },
      400,
      'invalid_webhook',
    ),
    jsonCase('job: n too large', '/v1/jobs', { kind: 'sample', n: 1000 }, 400, 'invalid_request'),
    jsonCase('job: JSON array body', '/v1/jobs', [], 400, 'invalid_request'),
    jsonCase(
      'job: latents of a job of another tenant',
      '/v1/jobs',
      { kind: 'vary', n: 1, input: { latents: { z: 'results/job_ABCDEFGHIJ/z.npy' } } },
      403,
      'forbidden_key',
    ),
    jsonCase(
      'upload: too large',
      '/v1/uploads',
      { contentType: 'image/png', bytes: 1e12 },
      413,
      'image_too_large',
    ),
    jsonCase('upload: gif', '/v1/uploads', { contentType: 'image/gif', bytes: 10 }, 400, 'invalid_request'),
  ];
}

describe('bad input never reaches the 500 handler', () => {
  it.each(cases().map((c) => [c.name, c] as const))('%s', async (_name, c) => {
    const headers: Record<string, string> = auth(f.keys.a);
    if (c.type) headers['content-type'] = c.type;
    const res = await f.app.request(c.path, { method: 'POST', headers, body: c.body });
    const body = await res.json();
    expect({ status: res.status, code: body.error?.code }).toEqual({ status: c.status, code: c.code });
    expect(body.error.message.length).toBeGreaterThan(10);
    expect(f.logs.filter((l) => l.level === 'error')).toEqual([]);
  });

  it('other bad requests: invalid job id, unknown route, bad Idempotency-Key', async () => {
    const bad = await f.app.request('/v1/jobs/..%2F..', { headers: auth(f.keys.a) });
    expect(bad.status).toBe(400);
    expect((await f.app.request('/v1/nothing')).status).toBe(404);
    const idem = await f.app.request('/v1/jobs', {
      method: 'POST',
      headers: auth(f.keys.a, { 'content-type': 'application/json', 'idempotency-key': 'a b' }),
      body: JSON.stringify({ kind: 'sample', n: 1 }),
    });
    expect((await idem.json()).error.code).toBe('invalid_idempotency_key');
  });

  it('unknown failures answer 500 with a generic message and are logged', async () => {
    const broken = await makeEdgeFixture();
    try {
      broken.deps.store.get = async () => {
        throw new Error('disk on fire: /secret/path');
      };
      const { createApp } = await import('../src/app.ts');
      const app = createApp(broken.deps);
      const res = await app.request('/v1/jobs/job_abcdefgh', { headers: auth(broken.keys.a) });
      expect(res.status).toBe(500);
      const body = await res.json();
      expect(body.error.code).toBe('internal_error');
      expect(body.error.message).not.toContain('disk on fire');
      expect(broken.logs.some((l) => l.level === 'error')).toBe(true);
    } finally {
      await broken.close();
    }
  });
});
