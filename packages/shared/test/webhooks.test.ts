import { createHmac } from 'node:crypto';
import { describe, expect, it } from 'vitest';
import { deliverWebhook, signWebhook, verifyWebhook, WEBHOOK_SIGNATURE_HEADER } from '../src/webhooks.ts';

const SECRET = 'whsec_test_0123456789';
const BODY = JSON.stringify({ jobId: 'job_abcdefgh', state: 'succeeded' });

describe('signWebhook / verifyWebhook', () => {
  it('signs t.body with HMAC-SHA256 (checked against node:crypto)', async () => {
    const header = await signWebhook(SECRET, BODY, 1_700_000_000);
    const mac = createHmac('sha256', SECRET).update(`1700000000.${BODY}`).digest('hex');
    expect(header).toBe(`t=1700000000,v1=${mac}`);
  });

  it('accepts a fresh signature and refuses tampering, other secrets and replays', async () => {
    const t = 1_700_000_000;
    const header = await signWebhook(SECRET, BODY, t);
    expect(await verifyWebhook(SECRET, BODY, header, { nowSeconds: t + 10 })).toEqual({
      ok: true,
      timestamp: t,
    });
    expect(await verifyWebhook(SECRET, `${BODY} `, header, { nowSeconds: t })).toMatchObject({
      ok: false,
      reason: 'signature_mismatch',
    });
    expect(await verifyWebhook('another-secret', BODY, header, { nowSeconds: t })).toMatchObject({
      reason: 'signature_mismatch',
    });
    expect(await verifyWebhook(SECRET, BODY, header, { nowSeconds: t + 301 })).toMatchObject({
      reason: 'timestamp_out_of_window',
    });
    expect(
      await verifyWebhook(SECRET, BODY, header, { nowSeconds: t + 1000, toleranceSeconds: 2000 }),
    ).toMatchObject({
      ok: true,
    });
  });

  it('accepts any matching v1 entry (rotation) and reports malformed headers', async () => {
    const t = 1_700_000_000;
    const good = (await signWebhook(SECRET, BODY, t)).split('v1=')[1];
    const rotated = `t=${t},v1=${'0'.repeat(64)},v1=${good}`;
    expect((await verifyWebhook(SECRET, BODY, rotated, { nowSeconds: t })).ok).toBe(true);
    for (const bad of [null, '', 'v1=abc', `t=x,v1=${good}`, `t=${t}`, `t=${t},v1=XYZ`]) {
      expect(await verifyWebhook(SECRET, BODY, bad, { nowSeconds: t })).toMatchObject({
        reason: 'malformed_header',
      });
    }
  });
});

describe('deliverWebhook', () => {
  const noSleep = { sleep: async () => undefined, now: () => 1_700_000_000 };

  it('POSTs the signed JSON body once when the receiver answers 2xx', async () => {
    const seen: { url: string; init: RequestInit }[] = [];
    const result = await deliverWebhook(
      async (url, init) => {
        seen.push({ url, init });
        return new Response(null, { status: 204 });
      },
      'https://example.test/hook',
      { jobId: 'job_abcdefgh' },
      SECRET,
      noSleep,
    );
    expect(result).toEqual({ delivered: true, attempts: 1, status: 204 });
    const headers = seen[0].init.headers as Record<string, string>;
    const verified = await verifyWebhook(
      SECRET,
      String(seen[0].init.body),
      headers[WEBHOOK_SIGNATURE_HEADER],
      {
        nowSeconds: 1_700_000_000,
      },
    );
    expect(verified.ok).toBe(true);
    expect(seen[0].init.method).toBe('POST');
  });

  it('retries 5xx and network errors with exponential backoff, then gives up', async () => {
    const waits: number[] = [];
    let calls = 0;
    const result = await deliverWebhook(
      async () => {
        calls++;
        if (calls === 1) throw new Error('connection refused');
        return new Response('busy', { status: 503 });
      },
      'https://example.test/hook',
      {},
      SECRET,
      { retries: 3, backoffMs: 100, sleep: async (ms) => void waits.push(ms), now: () => 1 },
    );
    expect(result).toEqual({ delivered: false, attempts: 4, status: 503, error: 'HTTP 503' });
    expect(waits).toEqual([100, 200, 400]);
  });

  it('stops at a final 4xx and succeeds after a transient failure', async () => {
    let calls = 0;
    const final = await deliverWebhook(
      async () => {
        calls++;
        return new Response(null, { status: 410 });
      },
      'https://example.test/hook',
      {},
      SECRET,
      noSleep,
    );
    expect(final).toMatchObject({ delivered: false, attempts: 1, status: 410 });
    expect(calls).toBe(1);
    let n = 0;
    const later = await deliverWebhook(
      async () => new Response(null, { status: ++n < 3 ? 500 : 200 }),
      'https://example.test/hook',
      {},
      SECRET,
      noSleep,
    );
    expect(later).toEqual({ delivered: true, attempts: 3, status: 200 });
  });
});
