import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createApiKey, createKeyStore, kindOfKey, parseApiKeys, sha256Hex } from '../src/keys.ts';
import { createMemoryRateLimiter } from '../src/rate-limit.ts';
import { auth, type EdgeFixture, makeEdgeFixture, testPng, WIDGET_ORIGIN } from './helpers/edge-fixture.ts';

let f: EdgeFixture;
beforeAll(async () => {
  f = await makeEdgeFixture();
});
afterAll(async () => f?.close());

const sampleJob = (key: string, headers: Record<string, string> = {}) =>
  f.app.request('/v1/jobs', {
    method: 'POST',
    headers: auth(key, { 'content-type': 'application/json', ...headers }),
    body: JSON.stringify({ kind: 'sample', n: 1 }),
  });

describe('API keys', () => {
  it('creates sk_/pk_ keys whose SHA-256 is the stored hash; parses and rejects configs', async () => {
    const { key, record } = await createApiKey('secret', 'acme');
    expect(kindOfKey(key)).toBe('secret');
    expect(record.hash).toBe(await sha256Hex(key));
    expect(parseApiKeys(JSON.stringify([record]))).toEqual([record]);
    expect(() => parseApiKeys('{')).toThrow(/not valid JSON/);
    expect(() => parseApiKeys(JSON.stringify([{ ...record, kind: 'publishable' }]))).toThrow(/origins/);
    expect(() => parseApiKeys(JSON.stringify([record, record]))).toThrow(/twice/);
    expect(createKeyStore([record]).findByHash(record.hash)?.tenant).toBe('acme');
  });

  it('refuses missing, malformed and unknown keys with 401', async () => {
    const unknown = (await createApiKey('secret', 'x')).key;
    for (const headers of [{}, { authorization: 'Basic abc' }, auth('sk_short'), auth(unknown)]) {
      const res = await f.app.request('/v1/jobs/job_abcdefgh', { headers });
      expect(res.status).toBe(401);
    }
    expect((await f.app.request('/v1/jobs/job_abcdefgh', { headers: { 'x-api-key': unknown } })).status).toBe(
      401,
    );
  });

  it('never logs keys, only hash-prefixed key ids', async () => {
    await sampleJob(f.keys.a);
    const text = JSON.stringify(f.logs);
    for (const key of Object.values(f.keys)) expect(text).not.toContain(key);
    expect(text).toMatch(/key_[0-9a-f]{12}/);
  });
});

describe('publishable keys and CORS', () => {
  const origin = { origin: WIDGET_ORIGIN };

  it('work from a listed origin on widget routes, with CORS headers', async () => {
    const res = await f.app.request('/v1/encode', {
      method: 'POST',
      headers: auth(f.keys.pk, { ...origin, 'content-type': 'image/png' }),
      body: testPng(),
    });
    expect(res.status).toBe(200);
    expect(res.headers.get('access-control-allow-origin')).toBe(WIDGET_ORIGIN);
    const job = await sampleJob(f.keys.pk, origin);
    expect(job.status).toBe(202);
    const { id } = await job.json();
    expect((await f.app.request(`/v1/jobs/${id}`, { headers: auth(f.keys.pk, origin) })).status).toBe(200);
    // EventSource cannot send headers: publishable keys may use ?key=.
    const events = await f.app.request(`/v1/jobs/${id}/events?key=${f.keys.pk}`, { headers: origin });
    expect(events.status).toBe(200);
    await events.body?.cancel();
  });

  it('are refused from other origins and without an origin', async () => {
    const other = await f.app.request('/v1/preview', {
      method: 'POST',
      headers: auth(f.keys.pk, { origin: 'https://evil.example', 'content-type': 'application/json' }),
      body: JSON.stringify({ z: [0, 0, 0, 0, 0] }),
    });
    expect(other.status).toBe(403);
    expect((await other.json()).error.code).toBe('origin_not_allowed');
    expect(other.headers.get('access-control-allow-origin')).toBeNull();
    expect((await sampleJob(f.keys.pk)).status).toBe(403);
  });

  it('count a same-origin request without an Origin header as coming from the server itself', async () => {
    const { id } = await (await sampleJob(f.keys.pk, origin)).json();
    const sameOrigin = await f.app.request(`${WIDGET_ORIGIN}/v1/jobs/${id}`, {
      headers: auth(f.keys.pk, { 'sec-fetch-site': 'same-origin' }),
    });
    expect(sameOrigin.status).toBe(200);
    const crossSite = await f.app.request(`https://evil.example/v1/jobs/${id}`, {
      headers: auth(f.keys.pk, { 'sec-fetch-site': 'same-origin' }),
    });
    expect((await crossSite.json()).error.code).toBe('origin_not_allowed');
  });

  it('may read results of and cancel their own jobs only', async () => {
    const { id } = await (await sampleJob(f.keys.pk, origin)).json();
    const result = await f.app.request(`/v1/jobs/${id}/result`, { headers: auth(f.keys.pk, origin) });
    expect(result.status).toBe(409); // queued: no outputs yet, but authorised
    const cancel = await f.app.request(`/v1/jobs/${id}/cancel`, {
      method: 'POST',
      headers: auth(f.keys.pk, origin),
    });
    expect(cancel.status).toBe(202);
    const { id: secretJob } = await (await sampleJob(f.keys.a)).json();
    const foreign = await f.app.request(`/v1/jobs/${secretJob}/result`, { headers: auth(f.keys.pk, origin) });
    expect(foreign.status).toBe(404);
    const foreignCancel = await f.app.request(`/v1/jobs/${secretJob}/cancel`, {
      method: 'POST',
      headers: auth(f.keys.pk, origin),
    });
    expect(foreignCancel.status).toBe(404);
  });

  it('see only their own jobs, not other jobs of the tenant; secret keys may not go in URLs', async () => {
    const { id } = await (await sampleJob(f.keys.a)).json();
    expect(
      (await f.app.request(`/v1/jobs/${id}`, { headers: auth(f.keys.pk, { origin: WIDGET_ORIGIN }) })).status,
    ).toBe(404);
    const inUrl = await f.app.request(`/v1/jobs/${id}/events?key=${f.keys.a}`);
    expect((await inUrl.json()).error.code).toBe('secret_key_in_url');
  });

  it('answers preflights for listed origins and public routes only', async () => {
    const pre = (path: string, o: string) =>
      f.app.request(path, {
        method: 'OPTIONS',
        headers: { origin: o, 'access-control-request-method': 'POST' },
      });
    const ok = await pre('/v1/preview', WIDGET_ORIGIN);
    expect(ok.status).toBe(204);
    expect(ok.headers.get('access-control-allow-origin')).toBe(WIDGET_ORIGIN);
    expect(ok.headers.get('access-control-allow-headers')).toContain('authorization');
    expect((await pre('/v1/preview', 'https://evil.example')).status).toBe(403);
    expect((await pre('/v1/models', 'https://evil.example')).headers.get('access-control-allow-origin')).toBe(
      '*',
    );
  });
});

describe('rate limits and quotas', () => {
  it('answers 429 with Retry-After once the bucket is empty', async () => {
    const get = () => f.app.request('/v1/jobs/job_abcdefgh', { headers: auth(f.keys.limited) });
    expect((await get()).status).toBe(404);
    expect((await get()).status).toBe(404);
    const limited = await get();
    expect(limited.status).toBe(429);
    expect((await limited.json()).error.code).toBe('rate_limited');
    expect(Number(limited.headers.get('retry-after'))).toBeGreaterThanOrEqual(1);
  });

  it('counts jobs per day per key', async () => {
    expect((await sampleJob(f.keys.quota)).status).toBe(202);
    const over = await sampleJob(f.keys.quota);
    expect(over.status).toBe(429);
    expect((await over.json()).error.code).toBe('quota_exceeded');
  });

  it('token bucket refills with time and the quota resets on the next UTC day', () => {
    const rl = createMemoryRateLimiter();
    const limit = { requestsPerMinute: 60, burst: 1 };
    expect(rl.take('k', limit, 0).allowed).toBe(true);
    expect(rl.take('k', limit, 500)).toMatchObject({ allowed: false, retryAfterS: 1 });
    expect(rl.take('k', limit, 1000).allowed).toBe(true);
    expect(rl.takeJob('k', 1, 0)).toBe(true);
    expect(rl.takeJob('k', 1, 1000)).toBe(false);
    expect(rl.takeJob('k', 1, 86_400_000)).toBe(true);
  });
});
