// Completion webhooks: signed POSTs sent after the terminal status document is written.
import type { JobMessage, JobStatus } from '../../shared/src/jobs.ts';
import { deliverWebhook, type FetchLike } from '../../shared/src/webhooks.ts';
import type { Logger } from './log.ts';

export interface WebhookSender {
  secret: string;
  fetch?: FetchLike;
  retries?: number;
  backoffMs?: number;
}

/** What a receiver gets: the job's final state and where to read its status. No presigned links. */
export function webhookPayload(status: JobStatus) {
  return {
    type: 'job.finished',
    jobId: status.jobId,
    kind: status.kind,
    state: status.state,
    outputs: status.outputs.map((o) => o.name),
    error: status.error,
    finishedAt: status.updatedAt,
  };
}

/**
 * Delivers at least once: a redelivered message whose job already finished sends it again, so a
 * worker killed between the status write and the webhook still notifies. Receivers dedupe by jobId.
 */
export async function notifyCompletion(
  message: JobMessage,
  status: JobStatus | null,
  sender: WebhookSender | undefined,
  logger: Logger,
): Promise<void> {
  if (!message.webhook || !status) return;
  if (!sender) {
    logger.warn('job asked for a webhook but DIFFAE_WEBHOOK_SECRET is not set; not sent');
    return;
  }
  const result = await deliverWebhook(
    sender.fetch ?? fetch,
    message.webhook.url,
    webhookPayload(status),
    sender.secret,
    { retries: sender.retries, backoffMs: sender.backoffMs },
  );
  if (result.delivered)
    logger.info('webhook delivered', { attempts: result.attempts, status: result.status });
  else
    logger.warn('webhook not delivered', {
      attempts: result.attempts,
      status: result.status,
      error: result.error,
    });
}
