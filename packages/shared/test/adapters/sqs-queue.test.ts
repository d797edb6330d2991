import { randomUUID } from 'node:crypto';
import { CreateQueueCommand } from '@aws-sdk/client-sqs';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { openQueue } from '../../src/adapters/from-url.ts';
import { SqsQueue } from '../../src/adapters/sqs-queue.ts';
import { type Fauxqs, startFauxqs, TEST_CREDENTIALS, TEST_REGION } from './fauxqs-server.ts';
import {
  CONTRACT_MAX_RECEIVES,
  CONTRACT_VISIBILITY_SECONDS,
  describeQueueContract,
} from './queue-contract.ts';

let fauxqs: Fauxqs;

beforeAll(async () => {
  fauxqs = await startFauxqs();
});

afterAll(async () => {
  await fauxqs.close();
});

async function makeQueue(fifo = false): Promise<SqsQueue> {
  const { queueUrl } = await fauxqs.createQueuePair(`q-${randomUUID().slice(0, 8)}`, {
    visibilityTimeout: CONTRACT_VISIBILITY_SECONDS,
    maxReceiveCount: CONTRACT_MAX_RECEIVES,
    fifo,
  });
  return new SqsQueue({
    queueUrl,
    endpoint: fauxqs.endpoint,
    region: TEST_REGION,
    credentials: TEST_CREDENTIALS,
  });
}

// Standard queue: SQS ignores MessageDeduplicationId there. fauxqs resolves a stale-receipt delete
// without deleting (the contract accepts that or receipt_invalid); real SQS documents that such a delete
// may or may not remove the message.
describeQueueContract('SQS on fauxqs', () => makeQueue(), { dedup: false });

describe('SqsQueue specifics', () => {
  it('deduplicates on FIFO queues', async () => {
    const q = await makeQueue(true);
    expect(q.isFifo).toBe(true);
    await q.send('render', { dedupId: 'job-7' });
    await q.send('render', { dedupId: 'job-7' });
    await q.send('other', { dedupId: 'job-8' });
    // One message group: delivered in order, the next only after the previous is deleted.
    const bodies: string[] = [];
    for (;;) {
      const [m] = await q.receive({ max: 10, waitSeconds: 1, visibilityTimeout: 30 });
      if (!m) break;
      bodies.push(m.body);
      await q.delete(m.receipt);
    }
    expect(bodies).toEqual(['render', 'other']);
    await q.close();
  });

  it('finds its dead-letter queue through the RedrivePolicy, or takes one given', async () => {
    const { queueUrl, dlqUrl } = await fauxqs.createQueuePair(`q-${randomUUID().slice(0, 8)}`, {
      visibilityTimeout: 1,
      maxReceiveCount: 3,
    });
    const common = { endpoint: fauxqs.endpoint, region: TEST_REGION, credentials: TEST_CREDENTIALS };
    const q = new SqsQueue({ queueUrl, ...common });
    const dlq = (await q.deadLetterQueue()) as SqsQueue;
    expect(new URL(dlq.queueUrl).pathname).toBe(new URL(dlqUrl).pathname);
    const given = new SqsQueue({ queueUrl, ...common, deadLetterQueueUrl: 'http://x/1/given' });
    expect(((await given.deadLetterQueue()) as SqsQueue).queueUrl).toBe('http://x/1/given');
    await Promise.all([q.close(), given.close()]);
  });

  it("describes the redrive policy's maxReceiveCount, and nothing without a policy", async () => {
    const common = { endpoint: fauxqs.endpoint, region: TEST_REGION, credentials: TEST_CREDENTIALS };
    const { queueUrl } = await fauxqs.createQueuePair(`q-${randomUUID().slice(0, 8)}`, {
      visibilityTimeout: 1,
      maxReceiveCount: 7,
    });
    const withPolicy = new SqsQueue({ queueUrl, ...common });
    expect(await withPolicy.describe()).toEqual({ maxReceives: 7 });
    const bare = await fauxqs.sqs.send(
      new CreateQueueCommand({ QueueName: `q-${randomUUID().slice(0, 8)}` }),
    );
    const without = new SqsQueue({ queueUrl: bare.QueueUrl ?? '', ...common });
    expect(await without.describe()).toEqual({});
    expect(await without.deadLetterQueue()).toBeNull();
    await Promise.all([withPolicy.close(), without.close()]);
  });

  it('opens from an http(s) queue URL and from sqs://name', async () => {
    const name = `q-${randomUUID().slice(0, 8)}`;
    const { queueUrl } = await fauxqs.createQueuePair(name, { visibilityTimeout: 1, maxReceiveCount: 2 });
    const byUrl = await openQueue(`${queueUrl}?endpoint=${fauxqs.endpoint}&region=${TEST_REGION}`, {
      credentials: TEST_CREDENTIALS,
    });
    expect((byUrl as SqsQueue).queueUrl).toBe(queueUrl);
    await byUrl.send('via url');
    const byName = await openQueue(`sqs://${name}?endpoint=${fauxqs.endpoint}&region=${TEST_REGION}`, {
      credentials: TEST_CREDENTIALS,
    });
    const [m] = await byName.receive({ max: 1, waitSeconds: 1 });
    expect(m?.body).toBe('via url');
    await Promise.all([byUrl.close(), byName.close()]);
    await expect(openQueue(`${queueUrl}?bogus=1`)).rejects.toThrow(/unknown parameter "bogus"/);
  });
});
