/**
 * Start-up check that the worker's last attempt (DIFFAE_MAX_RECEIVES) is the receive after which the
 * queue dead-letters a message. If they differ, jobs are either marked failed while SQS still redelivers
 * them (then deleted as finished duplicates, never reaching the DLQ) or dead-lettered before the worker
 * writes a failed status. The queue is what moves messages, so its value wins.
 */
import type { JobQueue } from '../../shared/src/ports.ts';
import { errorFields, type Logger } from './log.ts';

/** The maxReceives the runner should use: the queue's when it states one, else `configured`. */
export async function reconcileMaxReceives(
  queue: Pick<JobQueue, 'describe'>,
  configured: number,
  logger: Logger,
): Promise<number> {
  if (!queue.describe) return configured;
  let queueValue: number | undefined;
  try {
    ({ maxReceives: queueValue } = await queue.describe());
  } catch (err) {
    logger.warn('cannot read the queue redrive policy; keeping DIFFAE_MAX_RECEIVES', {
      maxReceives: configured,
      ...errorFields(err),
    });
    return configured;
  }
  if (queueValue === undefined) {
    logger.warn('the queue has no redrive policy: poison messages will never reach a dead-letter queue', {
      maxReceives: configured,
    });
    return configured;
  }
  if (queueValue !== configured) {
    logger.error(
      `DIFFAE_MAX_RECEIVES=${configured} differs from the queue's maxReceiveCount=${queueValue}; using ${queueValue}`,
      { configuredMaxReceives: configured, queueMaxReceives: queueValue },
    );
  }
  return queueValue;
}
