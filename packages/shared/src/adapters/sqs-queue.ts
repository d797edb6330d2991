/**
 * JobQueue on Amazon SQS (or a compatible server such as fauxqs). Redrive to the dead-letter queue is
 * SQS's own: configure a `RedrivePolicy` with `maxReceiveCount` on the queue.
 */
import {
  ChangeMessageVisibilityCommand,
  DeleteMessageCommand,
  GetQueueAttributesCommand,
  GetQueueUrlCommand,
  type Message,
  type MessageSystemAttributeName,
  type QueueAttributeName,
  ReceiveMessageCommand,
  SendMessageCommand,
  type SendMessageCommandInput,
  SQSClient,
  type SQSClientConfig,
} from '@aws-sdk/client-sqs';
import type { JobQueue, QueueMessage, QueueStats, ReceiveOptions, SendOptions } from '../ports.ts';
import { isAbortError, isTransientAwsError, QueueError } from './errors.ts';
import { checkReceipt, checkReceive, checkSend, checkVisibility } from './queue-limits.ts';

export interface SqsQueueOptions {
  queueUrl: string;
  /** A ready client; otherwise one is built from the fields below. */
  client?: SQSClient;
  /** Destroy `client` on close (default: only a client this queue built). */
  closeClient?: boolean;
  endpoint?: string;
  region?: string;
  credentials?: SQSClientConfig['credentials'];
  /** Dead-letter queue URL; otherwise found through the queue's RedrivePolicy. */
  deadLetterQueueUrl?: string;
}

const RECEIVE_ATTRIBUTES = ['ApproximateReceiveCount', 'ApproximateFirstReceiveTimestamp'] as const;

export function createSqsClient(
  opts: Omit<SqsQueueOptions, 'queueUrl' | 'client' | 'deadLetterQueueUrl'>,
): SQSClient {
  const config: SQSClientConfig = { region: opts.region ?? process.env.AWS_REGION ?? 'us-east-1' };
  if (opts.endpoint !== undefined) config.endpoint = opts.endpoint;
  if (opts.credentials !== undefined) config.credentials = opts.credentials;
  return new SQSClient(config);
}

function wrapSqsError(err: unknown, what: string): never {
  if (err instanceof QueueError) throw err;
  const name = (err as { name?: string } | null)?.name ?? '';
  const message = `${what}: ${(err as Error)?.message ?? String(err)}`;
  if (/ReceiptHandleIsInvalid|MessageNotInflight|InvalidParameterValue.*receipt/i.test(name)) {
    throw new QueueError('receipt_invalid', message, { cause: err });
  }
  if (/NonExistentQueue|QueueDoesNotExist/.test(name))
    throw new QueueError('queue_closed', message, { cause: err });
  throw new QueueError(isTransientAwsError(err) ? 'queue_unavailable' : 'queue_error', message, {
    cause: err,
  });
}

function toQueueMessage(m: Message): QueueMessage | null {
  if (!m.MessageId || !m.ReceiptHandle || m.Body === undefined) return null;
  const attrs = m.Attributes ?? {};
  const msg: QueueMessage = {
    id: m.MessageId,
    body: m.Body,
    receipt: m.ReceiptHandle,
    receiveCount: Number(attrs.ApproximateReceiveCount ?? 1),
  };
  const first = Number(attrs.ApproximateFirstReceiveTimestamp);
  if (Number.isFinite(first) && first > 0) msg.firstReceivedAt = new Date(first);
  return msg;
}

export class SqsQueue implements JobQueue {
  readonly queueUrl: string;
  readonly client: SQSClient;
  readonly isFifo: boolean;
  readonly #ownsClient: boolean;
  #deadLetterQueueUrl: string | undefined;
  #closed = false;

  constructor(opts: SqsQueueOptions) {
    try {
      new URL(opts.queueUrl);
    } catch {
      throw new QueueError('invalid_argument', `not an SQS queue URL: ${JSON.stringify(opts.queueUrl)}`);
    }
    this.queueUrl = opts.queueUrl;
    this.isFifo = opts.queueUrl.endsWith('.fifo');
    this.#ownsClient = opts.closeClient ?? !opts.client;
    this.client = opts.client ?? createSqsClient(opts);
    this.#deadLetterQueueUrl = opts.deadLetterQueueUrl;
  }

  #open(): void {
    if (this.#closed) throw new QueueError('queue_closed', `queue ${this.queueUrl} is closed`);
  }

  async send(body: string, opts: SendOptions = {}): Promise<{ messageId: string }> {
    const { delaySeconds } = checkSend(body, opts);
    this.#open();
    const input: SendMessageCommandInput = { QueueUrl: this.queueUrl, MessageBody: body };
    if (this.isFifo) {
      // FIFO queues take no per-message delay; dedup ids and group ids exist only there.
      input.MessageGroupId = opts.groupId ?? 'default';
      if (opts.dedupId !== undefined) input.MessageDeduplicationId = opts.dedupId;
    } else if (delaySeconds > 0) {
      input.DelaySeconds = delaySeconds;
    }
    try {
      const res = await this.client.send(new SendMessageCommand(input));
      if (!res.MessageId) throw new QueueError('queue_error', 'SQS SendMessage returned no MessageId');
      return { messageId: res.MessageId };
    } catch (err) {
      wrapSqsError(err, `send to ${this.queueUrl}`);
    }
  }

  async receive(opts: ReceiveOptions): Promise<QueueMessage[]> {
    checkReceive(opts);
    this.#open();
    if (opts.signal?.aborted) return [];
    const command = new ReceiveMessageCommand({
      QueueUrl: this.queueUrl,
      MaxNumberOfMessages: opts.max,
      WaitTimeSeconds: opts.waitSeconds,
      ...(opts.visibilityTimeout !== undefined && { VisibilityTimeout: opts.visibilityTimeout }),
      MessageSystemAttributeNames: [...RECEIVE_ATTRIBUTES] as MessageSystemAttributeName[],
    });
    try {
      const res = await this.client.send(command, opts.signal ? { abortSignal: opts.signal } : {});
      return (res.Messages ?? []).flatMap((m) => toQueueMessage(m) ?? []);
    } catch (err) {
      if (opts.signal?.aborted && isAbortError(err)) return [];
      wrapSqsError(err, `receive from ${this.queueUrl}`);
    }
  }

  async delete(receipt: string): Promise<void> {
    checkReceipt(receipt);
    this.#open();
    try {
      await this.client.send(new DeleteMessageCommand({ QueueUrl: this.queueUrl, ReceiptHandle: receipt }));
    } catch (err) {
      wrapSqsError(err, `delete from ${this.queueUrl}`);
    }
  }

  async changeVisibility(receipt: string, seconds: number): Promise<void> {
    checkReceipt(receipt);
    checkVisibility(seconds);
    this.#open();
    try {
      await this.client.send(
        new ChangeMessageVisibilityCommand({
          QueueUrl: this.queueUrl,
          ReceiptHandle: receipt,
          VisibilityTimeout: seconds,
        }),
      );
    } catch (err) {
      wrapSqsError(err, `changeVisibility on ${this.queueUrl}`);
    }
  }

  async #attributes(names: QueueAttributeName[]): Promise<Partial<Record<string, string>>> {
    this.#open();
    try {
      const res = await this.client.send(
        new GetQueueAttributesCommand({ QueueUrl: this.queueUrl, AttributeNames: names }),
      );
      return res.Attributes ?? {};
    } catch (err) {
      wrapSqsError(err, `attributes of ${this.queueUrl}`);
    }
  }

  /** SQS counts are approximate (eventually consistent on AWS). */
  async stats(): Promise<QueueStats> {
    const a = await this.#attributes([
      'ApproximateNumberOfMessages',
      'ApproximateNumberOfMessagesNotVisible',
      'ApproximateNumberOfMessagesDelayed',
    ]);
    return {
      visible: Number(a.ApproximateNumberOfMessages ?? 0),
      inFlight: Number(a.ApproximateNumberOfMessagesNotVisible ?? 0),
      delayed: Number(a.ApproximateNumberOfMessagesDelayed ?? 0),
    };
  }

  async #redrivePolicy(): Promise<{ deadLetterTargetArn?: unknown; maxReceiveCount?: unknown } | null> {
    const policy = (await this.#attributes(['RedrivePolicy'])).RedrivePolicy;
    if (!policy) return null;
    try {
      return JSON.parse(policy);
    } catch (err) {
      throw new QueueError('queue_error', `unparsable RedrivePolicy of ${this.queueUrl}: ${policy}`, {
        cause: err,
      });
    }
  }

  /** `maxReceives` is the redrive policy's `maxReceiveCount` (AWS sends it as a number or a string). */
  async describe(): Promise<{ maxReceives?: number }> {
    const policy = await this.#redrivePolicy();
    if (!policy) return {};
    const n = Number(policy.maxReceiveCount);
    if (!Number.isInteger(n) || n < 1) {
      throw new QueueError(
        'queue_error',
        `unexpected RedrivePolicy.maxReceiveCount: ${policy.maxReceiveCount}`,
      );
    }
    return { maxReceives: n };
  }

  async deadLetterQueue(): Promise<JobQueue | null> {
    if (this.#deadLetterQueueUrl === undefined) {
      const policy = await this.#redrivePolicy();
      if (!policy) return null;
      const arn = String(policy.deadLetterTargetArn ?? '');
      // arn:aws:sqs:<region>:<account>:<name>
      const [, , , , account, name] = arn.split(':');
      if (!name || !account) throw new QueueError('queue_error', `unexpected deadLetterTargetArn: ${arn}`);
      try {
        const res = await this.client.send(
          new GetQueueUrlCommand({ QueueName: name, QueueOwnerAWSAccountId: account }),
        );
        this.#deadLetterQueueUrl = res.QueueUrl;
      } catch (err) {
        wrapSqsError(err, `resolve dead-letter queue ${arn}`);
      }
    }
    if (!this.#deadLetterQueueUrl) return null;
    return new SqsQueue({ queueUrl: this.#deadLetterQueueUrl, client: this.client });
  }

  /** Destroys the client when this queue built it (DLQ handles share their parent's client). */
  async close(): Promise<void> {
    this.#closed = true;
    if (this.#ownsClient) this.client.destroy();
  }
}
