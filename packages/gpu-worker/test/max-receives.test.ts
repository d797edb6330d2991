import { describe, expect, it } from 'vitest';
import { openSqliteQueue } from '../../shared/src/adapters/sqlite-queue.ts';
import { SqsQueue } from '../../shared/src/adapters/sqs-queue.ts';
import type { JobQueue } from '../../shared/src/ports.ts';
import { createLogger } from '../src/log.ts';
import { reconcileMaxReceives } from '../src/max-receives.ts';

interface Line {
  level: string;
  msg: string;
  [field: string]: unknown;
}

async function reconcile(queue: Pick<JobQueue, 'describe'>, configured: number) {
  const lines: Line[] = [];
  const logger = createLogger({ level: 'debug', write: (l) => lines.push(JSON.parse(l)) });
  const maxReceives = await reconcileMaxReceives(queue, configured, logger);
  return { maxReceives, lines };
}

describe('reconcileMaxReceives', () => {
  it('keeps the configured value, silently, when the queue agrees', async () => {
    const queue = openSqliteQueue({ path: ':memory:', maxReceives: 4 });
    expect(await reconcile(queue, 4)).toEqual({ maxReceives: 4, lines: [] });
    await queue.close();
  });

  it("logs one error naming both values and takes the queue's when they differ", async () => {
    const queue = openSqliteQueue({ path: ':memory:', maxReceives: 3 });
    const { maxReceives, lines } = await reconcile(queue, 7);
    expect(maxReceives).toBe(3);
    expect(lines).toHaveLength(1);
    expect(lines[0]).toMatchObject({ level: 'error', configuredMaxReceives: 7, queueMaxReceives: 3 });
    expect(lines[0]?.msg).toMatch(/DIFFAE_MAX_RECEIVES=7 .*maxReceiveCount=3/);
    await queue.close();
  });

  it('warns that poison messages stay when the queue has no redrive policy', async () => {
    const queue = openSqliteQueue({ path: ':memory:', maxReceives: null });
    const { maxReceives, lines } = await reconcile(queue, 5);
    expect(maxReceives).toBe(5);
    expect(lines).toHaveLength(1);
    expect(lines[0]).toMatchObject({ level: 'warn', maxReceives: 5 });
    expect(lines[0]?.msg).toMatch(/never reach a dead-letter queue/);
    await queue.close();
  });

  it('keeps the configured value for an adapter without describe', async () => {
    // A queue adapter that does not implement the optional method: nothing else of it is used.
    expect(await reconcile({}, 6)).toEqual({ maxReceives: 6, lines: [] });
  });

  it('keeps the configured value with a warning when the queue cannot be asked', async () => {
    // A closed SQS handle refuses every call before any request is made.
    const queue = new SqsQueue({ queueUrl: 'http://127.0.0.1:9/000000000000/jobs', region: 'us-east-1' });
    await queue.close();
    const { maxReceives, lines } = await reconcile(queue, 5);
    expect(maxReceives).toBe(5);
    expect(lines).toHaveLength(1);
    expect(lines[0]).toMatchObject({ level: 'warn', errorCode: 'queue_closed' });
  });
});
