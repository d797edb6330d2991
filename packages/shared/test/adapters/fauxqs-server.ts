/** fauxqs (S3 + SQS emulator) on 127.0.0.1 for adapter tests, plus helpers to create buckets and queues. */
import { CreateBucketCommand, S3Client } from '@aws-sdk/client-s3';
import { CreateQueueCommand, GetQueueAttributesCommand, SQSClient } from '@aws-sdk/client-sqs';
import { buildApp } from 'fauxqs';

export const TEST_CREDENTIALS = { accessKeyId: 'test', secretAccessKey: 'test' };
export const TEST_REGION = 'us-east-1';

export interface Fauxqs {
  endpoint: string;
  s3: S3Client;
  sqs: SQSClient;
  createBucket(name: string): Promise<void>;
  /** A queue with a dead-letter queue after `maxReceiveCount` receives. Returns both URLs. */
  createQueuePair(
    name: string,
    opts: { visibilityTimeout: number; maxReceiveCount: number; fifo?: boolean },
  ): Promise<{ queueUrl: string; dlqUrl: string }>;
  close(): Promise<void>;
}

export async function startFauxqs(): Promise<Fauxqs> {
  const app = buildApp({ logger: false });
  await app.listen({ host: '127.0.0.1', port: 0 });
  const address = app.server.address();
  if (!address || typeof address === 'string') throw new Error('fauxqs did not bind a TCP port');
  const endpoint = `http://127.0.0.1:${address.port}`;
  const common = { endpoint, region: TEST_REGION, credentials: TEST_CREDENTIALS };
  const s3 = new S3Client({
    ...common,
    forcePathStyle: true,
    requestChecksumCalculation: 'WHEN_REQUIRED',
    responseChecksumValidation: 'WHEN_REQUIRED',
  });
  const sqs = new SQSClient(common);
  return {
    endpoint,
    s3,
    sqs,
    async createBucket(name) {
      await s3.send(new CreateBucketCommand({ Bucket: name }));
    },
    async createQueuePair(name, opts) {
      const suffix = opts.fifo ? '.fifo' : '';
      const fifoAttrs: Record<string, string> = opts.fifo ? { FifoQueue: 'true' } : {};
      const dlq = await sqs.send(
        new CreateQueueCommand({ QueueName: `${name}-dlq${suffix}`, Attributes: fifoAttrs }),
      );
      const dlqUrl = dlq.QueueUrl ?? '';
      const arn = await sqs.send(
        new GetQueueAttributesCommand({ QueueUrl: dlqUrl, AttributeNames: ['QueueArn'] }),
      );
      const q = await sqs.send(
        new CreateQueueCommand({
          QueueName: `${name}${suffix}`,
          Attributes: {
            ...fifoAttrs,
            VisibilityTimeout: String(opts.visibilityTimeout),
            RedrivePolicy: JSON.stringify({
              deadLetterTargetArn: arn.Attributes?.QueueArn,
              maxReceiveCount: opts.maxReceiveCount,
            }),
          },
        }),
      );
      return { queueUrl: q.QueueUrl ?? '', dlqUrl };
    },
    async close() {
      s3.destroy();
      sqs.destroy();
      await app.close();
    },
  };
}
