import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { JobMessage } from '../../shared/src/jobs.ts';
import { verifyWebhook, WEBHOOK_SIGNATURE_HEADER } from '../../shared/src/webhooks.ts';
import { processJob } from '../src/process-job.ts';
import { createWorld, type World } from './helpers/world.ts';

const SECRET = 'whsec_test_secret';

interface Received {
  url: string;
  body: string;
  signature: string | null;
}

function recordingFetch(received: Received[], statuses: number[]) {
  return async (url: string, init: RequestInit) => {
    received.push({
      url,
      body: String(init.body),
      signature: new Headers(init.headers).get(WEBHOOK_SIGNATURE_HEADER),
    });
    return new Response(null, { status: statuses.shift() ?? 200 });
  };
}

function sampleMessage(jobId: string): JobMessage {
  return {
    jobId,
    tenant: 't1',
    spec: { kind: 'sample', n: 1, renderSteps: 2, latentSteps: 2, seed: 7 },
    submittedAt: new Date().toISOString(),
    webhook: { url: 'https://hooks.example/diffae' },
  };
}

describe('completion webhooks', () => {
  let world: World;
  beforeAll(async () => {
    world = await createWorld();
  });
  afterAll(async () => world?.close());

  it('are signed, retried on 5xx, and sent again for a redelivered finished job', async () => {
    const received: Received[] = [];
    const webhooks = { secret: SECRET, fetch: recordingFetch(received, [503]), backoffMs: 0 };
    const services = world.services({ webhooks });
    const message = sampleMessage('job_webhook_0001');
    const shutdown = new AbortController().signal;
    const outcome = await processJob({ message, receiveCount: 1, lastAttempt: false }, services, shutdown);
    expect(outcome).toMatchObject({ action: 'delete', state: 'succeeded' });
    expect(received).toHaveLength(2); // a 503, then delivered
    const last = received[1];
    expect(last.url).toBe('https://hooks.example/diffae');
    const verified = await verifyWebhook(SECRET, last.body, last.signature ?? '');
    expect(verified.ok).toBe(true);
    expect(JSON.parse(last.body)).toMatchObject({ jobId: message.jobId, state: 'succeeded', kind: 'sample' });
    expect((await verifyWebhook('another-secret', last.body, last.signature ?? '')).ok).toBe(false);

    const again = await processJob({ message, receiveCount: 2, lastAttempt: false }, services, shutdown);
    expect(again).toMatchObject({ action: 'delete', duplicate: true });
    expect(received).toHaveLength(3);
  });

  it('are not sent without a secret or when the job asked for none', async () => {
    const received: Received[] = [];
    const shutdown = new AbortController().signal;
    const plain = { ...sampleMessage('job_webhook_0002'), webhook: undefined };
    const services = world.services({ webhooks: { secret: SECRET, fetch: recordingFetch(received, []) } });
    await processJob({ message: plain, receiveCount: 1, lastAttempt: false }, services, shutdown);
    await processJob(
      { message: sampleMessage('job_webhook_0003'), receiveCount: 1, lastAttempt: false },
      world.services(),
      shutdown,
    );
    expect(received).toHaveLength(0);
  });
});
