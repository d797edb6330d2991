/**
 * One delivery of one job: skip it when it already ended, otherwise run its handler and write the
 * terminal status after every output. The caller (runner.ts) turns the outcome into queue actions.
 */

import type { ImageLimits } from '../../shared/src/image/types.ts';
import { type JobMessage, TERMINAL_STATES } from '../../shared/src/jobs.ts';
import type { ObjectStore } from '../../shared/src/ports.ts';
import type { ProgressEvent } from '../../shared/src/sampler.ts';
import type { BatchClient } from './batcher.ts';
import { CancelWatch } from './cancel.ts';
import { classifyError } from './errors.ts';
import type { InversionCache } from './inversion-cache.ts';
import { handlerFor, type JobContext } from './jobs/index.ts';
import { errorFields, type Logger } from './log.ts';
import { ResultWriter } from './results.ts';
import { defaultSeed } from './seeds.ts';
import type { LoadedModel } from './sessions.ts';
import { readStatus, StageTimer, StatusWriter } from './status.ts';
import { notifyCompletion, type WebhookSender } from './webhook.ts';

export interface JobServices {
  store: ObjectStore;
  models: { get(ref: string | undefined): Promise<LoadedModel> };
  inversionCache: InversionCache;
  imageLimits: ImageLimits;
  progressIntervalMs: number;
  cancelCheckIntervalMs: number;
  logger: Logger;
  webhooks?: WebhookSender;
}

export type JobOutcome =
  /** Finished (succeeded, failed for good, or cancelled): delete the message. */
  | { action: 'delete'; state: string; duplicate?: boolean }
  /** Failed on the last allowed attempt: status written, message left for the dead-letter queue. */
  | { action: 'dead-letter'; code: string }
  /** Transient failure: leave the message to be redelivered. */
  | { action: 'retry'; code: string; message: string }
  /** Shutdown interrupted it: hand the message back at once. */
  | { action: 'release' };

export interface Delivery {
  message: JobMessage;
  receiveCount: number;
  lastAttempt: boolean;
}

export async function processJob(
  d: Delivery,
  services: JobServices,
  shutdown: AbortSignal,
): Promise<JobOutcome> {
  const outcome = await runJob(d, services, shutdown);
  if (outcome.action === 'delete' || outcome.action === 'dead-letter') {
    const logger = services.logger.child({ jobId: d.message.jobId });
    const final = await readStatus(services.store, d.message.jobId).catch(() => null);
    await notifyCompletion(d.message, final, services.webhooks, logger);
  }
  return outcome;
}

async function runJob(d: Delivery, services: JobServices, shutdown: AbortSignal): Promise<JobOutcome> {
  const { message } = d;
  const { store } = services;
  const logger = services.logger.child({
    jobId: message.jobId,
    kind: message.spec.kind,
    attempt: d.receiveCount,
  });
  const existing = await readStatus(store, message.jobId);
  if (existing && TERMINAL_STATES.includes(existing.state)) {
    logger.info('job already finished; dropping the duplicate delivery', { state: existing.state });
    return { action: 'delete', state: existing.state, duplicate: true };
  }
  const status = new StatusWriter(
    store,
    {
      jobId: message.jobId,
      tenant: message.tenant,
      kind: message.spec.kind,
      attempts: d.receiveCount,
      createdAt: message.submittedAt,
    },
    { progressIntervalMs: services.progressIntervalMs, logger },
  );
  const cancel = new CancelWatch(store, message.jobId, {
    intervalMs: services.cancelCheckIntervalMs,
    logger,
  });
  const timer = new StageTimer();
  const started = performance.now();
  let client: BatchClient | undefined;
  try {
    if (await cancel.check()) {
      await status.finish('cancelled', {});
      logger.info('job cancelled before it started');
      return { action: 'delete', state: 'cancelled' };
    }
    await status.running();
    const model = await services.models.get(message.spec.model);
    status.setModel(model.ref);
    client = model.batcher.client(message.jobId);
    const results = new ResultWriter(store, message.jobId);
    const ctx: JobContext = {
      jobId: message.jobId,
      tenant: message.tenant,
      model,
      backend: client,
      store,
      results,
      timer,
      inversionCache: services.inversionCache,
      imageLimits: services.imageLimits,
      seed: message.spec.seed ?? defaultSeed(message.jobId),
      signal: AbortSignal.any([cancel.signal, shutdown]),
      logger,
      onProgress: (p: ProgressEvent) => {
        status.progress({ stage: p.stage, done: p.step, total: p.total });
        cancel.poke();
      },
    };
    await handlerFor(message.spec.kind)(ctx, message.spec);
    const stageMs = timer.snapshot();
    await status.finish('succeeded', { outputs: results.outputs(), stageMs });
    logger.info('job succeeded', {
      ms: Math.round(performance.now() - started),
      stageMs,
      model: model.ref,
      network: client.stats(),
    });
    return { action: 'delete', state: 'succeeded' };
  } catch (err) {
    return await settleFailure(err, { d, status, cancel, timer, shutdown, logger });
  } finally {
    await client?.dispose();
  }
}

async function settleFailure(
  err: unknown,
  s: {
    d: Delivery;
    status: StatusWriter;
    cancel: CancelWatch;
    timer: StageTimer;
    shutdown: AbortSignal;
    logger: Logger;
  },
): Promise<JobOutcome> {
  const { status, logger } = s;
  try {
    if (s.cancel.cancelled) {
      await status.finish('cancelled', { stageMs: s.timer.snapshot() });
      logger.info('job cancelled');
      return { action: 'delete', state: 'cancelled' };
    }
    if (s.shutdown.aborted) {
      logger.warn('job interrupted by shutdown; releasing it');
      return { action: 'release' };
    }
    const c = classifyError(err);
    if (!c.retry || s.d.lastAttempt) {
      const message = c.retry ? `gave up after ${s.d.receiveCount} attempts: ${c.message}` : c.message;
      await status.finish('failed', { stageMs: s.timer.snapshot(), error: { code: c.code, message } });
      logger.warn('job failed', { code: c.code, ...errorFields(err), final: true });
      return c.retry ? { action: 'dead-letter', code: c.code } : { action: 'delete', state: 'failed' };
    }
    logger.warn('job failed; it will be retried', { code: c.code, ...errorFields(err) });
    return { action: 'retry', code: c.code, message: c.message };
  } catch (statusErr) {
    // Not even the status could be written: let the queue redeliver.
    logger.error('cannot record the job outcome', errorFields(statusErr));
    return { action: 'retry', code: 'storage_unavailable', message: String(statusErr) };
  }
}
