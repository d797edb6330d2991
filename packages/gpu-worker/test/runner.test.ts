/** The queue loop against a real SQLite queue and filesystem store, with the tiny bundle. */
import path from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { openSqliteQueue, type SqliteQueue } from '../../shared/src/adapters/sqlite-queue.ts';
import type { JobStatus } from '../../shared/src/jobs.ts';
import { type JobSpec, keys } from '../../shared/src/jobs.ts';
import { createLogger, silentLogger } from '../src/log.ts';
import type { JobServices } from '../src/process-job.ts';
import { Runner } from '../src/runner.ts';
import { readStatus } from '../src/status.ts';
import { failingPuts, HookedStore } from './helpers/stores.ts';
import { until } from './helpers/until.ts';
import { createWorld, message, type World } from './helpers/world.ts';

let world: World;
let photo: string;
beforeAll(async () => {
  world = await createWorld();
  photo = await world.upload('p.png', 'imgs_align_sandy.png');
});
afterAll(() => world?.close());

const MAX_RECEIVES = 3;
let queueCount = 0;

function openQueue(): SqliteQueue {
  return openSqliteQueue({
    path: path.join(world.dir, `queue-${queueCount++}.db`),
    maxReceives: MAX_RECEIVES,
    visibilityTimeout: 30,
    pollIntervalMs: 10,
  });
}

function startRunner(queue: SqliteQueue, services: JobServices): Runner {
  const runner = new Runner({
    queue,
    services,
    maxJobsInFlight: 2,
    visibilityTimeoutS: 30,
    maxReceives: MAX_RECEIVES,
    retryBaseS: 0,
    shutdownGraceS: 5,
    pollWaitS: 1,
    logger: process.env.DEBUG_WORKER ? createLogger({ level: 'debug' }) : silentLogger,
  });
  void runner.start();
  return runner;
}

async function finalStatus(jobId: string): Promise<JobStatus> {
  return until(`terminal status of ${jobId}`, async () => {
    const s = await readStatus(world.store, jobId);
    return s && ['succeeded', 'failed', 'cancelled'].includes(s.state) ? s : undefined;
  });
}

const reconstruct: JobSpec = {
  kind: 'reconstruct',
  input: { image: 'uploads/t1/p.png' },
  inversionSteps: 2,
  renderSteps: 2,
};

describe('Runner', () => {
  it('runs a job, deletes its message, and drops a duplicate delivery once the job has finished', async () => {
    const queue = openQueue();
    let statusWrites = 0;
    const store = new HookedStore(world.store, (key) => {
      if (key.endsWith('/status.json')) statusWrites++;
    });
    const runner = startRunner(queue, world.services({ store }));
    const msg = message(reconstruct);
    await queue.send(JSON.stringify(msg));
    const status = await finalStatus(msg.jobId);
    expect(status.state).toBe('succeeded');
    const image = await world.store.get(keys.output(msg.jobId, 'image.png'));
    await until('message deleted', async () => (await queue.stats()).inFlight === 0);
    await queue.send(JSON.stringify(msg)); // at-least-once: the same job again
    await until('duplicate skipped', async () => runner.counters.skipped === 1);
    await runner.stop();
    expect(runner.counters.succeeded).toBe(1);
    expect(statusWrites).toBe(2); // running, succeeded: nothing for the duplicate
    expect(await world.store.get(keys.output(msg.jobId, 'image.png'))).toEqual(image);
    expect(await queue.stats()).toMatchObject({ visible: 0, inFlight: 0 });
    expect(photo).toBeDefined();
  });

  it('poison message (invalid job) → failed status invalid_job, message deleted', async () => {
    const queue = openQueue();
    const runner = startRunner(queue, world.services());
    const jobId = 'poison-job-01';
    await queue.send(
      JSON.stringify({ jobId, tenant: 't1', spec: { kind: 'vary', n: 999 }, submittedAt: 'now' }),
    );
    await queue.send('not json at all');
    const status = await finalStatus(jobId);
    expect(status.state).toBe('failed');
    expect(status.error?.code).toBe('invalid_job');
    expect(status.error?.message).toMatch(/spec/);
    await until(
      'both settled',
      async () => (await queue.stats()).visible + (await queue.stats()).inFlight === 0,
    );
    await runner.stop();
    expect(runner.counters.invalid).toBe(2);
    expect(await (await queue.deadLetterQueue())?.stats()).toMatchObject({ visible: 0 });
  });

  it('a job that keeps failing transiently is retried, then failed on the last receive and dead-lettered', async () => {
    const queue = openQueue();
    let attempts = 0;
    const runner = startRunner(
      queue,
      world.services({
        models: {
          get: async () => {
            attempts++;
            throw new Error('GPU fell off the bus');
          },
        },
      }),
    );
    const msg = message(reconstruct);
    await queue.send(JSON.stringify(msg));
    const status = await finalStatus(msg.jobId);
    expect(status.state).toBe('failed');
    expect(status.error?.code).toBe('internal_error');
    expect(status.error?.message).toMatch(/gave up after 3 attempts: GPU fell off the bus/);
    expect(status.attempts).toBe(MAX_RECEIVES);
    const dlq = await queue.deadLetterQueue();
    // The next receive moves the exhausted message to the dead-letter queue.
    await until('dead-lettered', async () => ((await dlq?.stats())?.visible ?? 0) === 1);
    await runner.stop();
    expect(attempts).toBe(MAX_RECEIVES);
    expect(runner.counters.retried).toBe(MAX_RECEIVES - 1);
  });

  it('a storage write failure is retried through redelivery and then succeeds', async () => {
    const queue = openQueue();
    const store = failingPuts(world.store, 2, (key) => key.endsWith('/image.png'));
    const runner = startRunner(queue, world.services({ store }));
    const msg = message(reconstruct);
    await queue.send(JSON.stringify(msg));
    const status = await finalStatus(msg.jobId);
    await runner.stop();
    expect(store.failures).toBe(2);
    expect(status.state).toBe('succeeded');
    expect(status.attempts).toBe(3);
    expect(status.outputs.map((o) => o.name)).toEqual(['image.png', 'z.npy', 'xT.npy']);
  });

  it('cancellation through the queue: a cancel marker ends the job as cancelled and deletes it', async () => {
    const queue = openQueue();
    const runner = startRunner(queue, world.services());
    const msg = message({ ...reconstruct, inversionSteps: 20, renderSteps: 20 } as JobSpec);
    await world.store.put(keys.cancel(msg.jobId), '');
    await queue.send(JSON.stringify(msg));
    const status = await finalStatus(msg.jobId);
    await runner.stop();
    expect(status.state).toBe('cancelled');
    expect(runner.counters.cancelled).toBe(1);
    expect(await queue.stats()).toMatchObject({ visible: 0, inFlight: 0 });
  });

  it('packs concurrent jobs into shared UNet runs', async () => {
    const queue = openQueue();
    const runner = startRunner(queue, world.services());
    const before = world.model.batcher.stats().runs.eps;
    const msgs = [0, 1].map((i) =>
      message({ kind: 'vary', input: { image: photo }, n: 1, renderSteps: 5, seed: i }),
    );
    for (const m of msgs) await queue.send(JSON.stringify(m));
    for (const m of msgs) expect((await finalStatus(m.jobId)).state).toBe('succeeded');
    await runner.stop();
    const after = world.model.batcher.stats().runs.eps;
    expect(after.rows - before.rows).toBe(10);
    // 10 rows in (ideally) 5 runs of 2; allow a step or two to miss the window on a busy machine.
    expect(after.calls - before.calls).toBeLessThanOrEqual(7);
  });
});
