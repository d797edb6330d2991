import type { ReceiveOptions, SendOptions } from '../ports.ts';
import { queueArg } from './args.ts';
import { QueueError } from './errors.ts';

/** SQS limits, applied by every queue adapter so code that runs locally also runs on AWS. */
export const MAX_MESSAGE_BYTES = 262_144;
export const MAX_DELAY_SECONDS = 900;
export const MAX_WAIT_SECONDS = 20;
export const MAX_RECEIVE_BATCH = 10;
export const MAX_VISIBILITY_SECONDS = 43_200;

export function checkSend(body: unknown, opts: SendOptions = {}): { delaySeconds: number } {
  if (typeof body !== 'string' || body.length === 0) {
    throw new QueueError('message_too_large', 'message body must be a non-empty string');
  }
  const bytes = Buffer.byteLength(body, 'utf8');
  if (bytes > MAX_MESSAGE_BYTES) {
    throw new QueueError(
      'message_too_large',
      `message body is ${bytes} bytes, the limit is ${MAX_MESSAGE_BYTES}`,
    );
  }
  if (opts.dedupId !== undefined && !/^[\x21-\x7e]{1,128}$/.test(opts.dedupId)) {
    throw new QueueError('invalid_argument', 'dedupId must be 1..128 printable ASCII characters');
  }
  return { delaySeconds: queueArg('delaySeconds', opts.delaySeconds ?? 0, 0, MAX_DELAY_SECONDS) };
}

export function checkReceive(opts: ReceiveOptions): void {
  queueArg('max', opts.max, 1, MAX_RECEIVE_BATCH);
  queueArg('waitSeconds', opts.waitSeconds, 0, MAX_WAIT_SECONDS);
  if (opts.visibilityTimeout !== undefined) {
    queueArg('visibilityTimeout', opts.visibilityTimeout, 0, MAX_VISIBILITY_SECONDS);
  }
}

export function checkVisibility(seconds: unknown): number {
  return queueArg('visibility seconds', seconds, 0, MAX_VISIBILITY_SECONDS);
}

export function checkReceipt(receipt: unknown): string {
  if (typeof receipt !== 'string' || receipt.length === 0) {
    throw new QueueError('receipt_invalid', 'receipt must be a non-empty string');
  }
  return receipt;
}
