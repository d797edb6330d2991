/** Render jobs: submit (idempotent), status, server-sent events, result links, cancel. */

import { resolveAttribute } from '@diffae/shared';
import type { Context, Handler } from 'hono';
import { streamSSE } from 'hono/streaming';
import {
  type JobInput,
  type JobMessage,
  type JobSpec,
  type JobStatus,
  jobMessage,
  keys,
  TERMINAL_STATES,
} from '../../../shared/src/jobs.ts';
import type { AppContext, AppEnv, Caller } from '../context.ts';
import { modelOr404 } from '../context.ts';
import type { ModelEntry } from '../deps.ts';
import { ApiError } from '../errors.ts';
import { readJson } from '../http.ts';
import {
  authorizedStatus,
  claimIdempotencyKey,
  readStatus,
  releaseIdempotencyKey,
  writeOwner,
} from '../job-records.ts';
import { type JobAccepted, type JobResult, jobSubmission } from '../schemas.ts';
import { assertTenantUpload, readTenantImage } from '../stored-images.ts';

const DIRECTION_PREFIX = 'direction:';

export function jobLinks(id: string): JobAccepted['links'] {
  const self = `/v1/jobs/${id}`;
  return { self, events: `${self}/events`, result: `${self}/result`, cancel: `${self}/cancel` };
}

function inputsOf(spec: JobSpec): JobInput[] {
  switch (spec.kind) {
    case 'reconstruct':
    case 'manipulate':
    case 'vary':
      return [spec.input];
    case 'interpolate':
      return [spec.a, spec.b];
    case 'direction':
      return [...spec.positives, ...spec.negatives];
    case 'sample':
      return [];
  }
}

function checkWebhook(url: string, allowLocal: boolean): void {
  const u = new URL(url);
  const local = u.protocol === 'http:' && (u.hostname === '127.0.0.1' || u.hostname === 'localhost');
  if (u.username || u.password)
    throw new ApiError(400, 'invalid_webhook', 'webhook URLs must not carry credentials');
  if (u.protocol !== 'https:' && !(allowLocal && local)) {
    throw new ApiError(
      400,
      'invalid_webhook',
      allowLocal
        ? 'webhook URLs must be https:// (or http://127.0.0.1 in local mode)'
        : 'webhook URLs must be https://',
    );
  }
}

function checkEdits(entry: ModelEntry, spec: JobSpec): void {
  if (spec.kind !== 'manipulate') return;
  for (const e of spec.edits) {
    if (e.attribute.startsWith(DIRECTION_PREFIX)) {
      if (!/^[A-Za-z0-9_-]{1,64}$/.test(e.attribute.slice(DIRECTION_PREFIX.length))) {
        throw new ApiError(
          400,
          'unknown_attribute',
          `custom directions are named "direction:<name>" with letters, digits, _ and -`,
        );
      }
      continue;
    }
    if (!entry.classifier)
      throw new ApiError(400, 'no_classifier', `model ${entry.manifest.id} has no attribute classifier`);
    resolveAttribute(entry.classifier, e.attribute);
  }
}

async function checkInputs(ctx: AppContext, caller: Caller, spec: JobSpec): Promise<void> {
  for (const input of inputsOf(spec)) {
    if ('image' in input) {
      await readTenantImage(ctx, caller, input.image);
      continue;
    }
    for (const key of [input.latents.z, input.latents.xT].filter((k): k is string => k !== undefined)) {
      const m = /^results\/([^/]+)\//.exec(key);
      if (!m) {
        assertTenantUpload(caller, key);
        continue;
      }
      await authorizedStatus(ctx.deps.store, caller, m[1]).catch(() => {
        throw new ApiError(403, 'forbidden_key', `${key} is not a result of one of your jobs`);
      });
    }
  }
}

function initialStatus(
  jobId: string,
  tenant: string,
  spec: JobSpec,
  entry: ModelEntry,
  at: string,
): JobStatus {
  return {
    jobId,
    tenant,
    kind: spec.kind,
    state: 'queued',
    progress: { stage: 'queued', done: 0, total: 0 },
    stageMs: {},
    outputs: [],
    model: { id: entry.manifest.id, version: entry.manifest.version },
    attempts: 0,
    createdAt: at,
    updatedAt: at,
  };
}

function accepted(c: Context<AppEnv>, id: string, status: JobStatus['state'], replayed: boolean): Response {
  const body: JobAccepted = { id, status, links: jobLinks(id) };
  c.header('Location', body.links.self);
  if (replayed) c.header('Idempotent-Replayed', 'true');
  return c.json(body, 202);
}

export function jobHandlers(ctx: AppContext) {
  const { store, queue, logger } = ctx.deps;
  const jobIdParam = (c: Context<AppEnv>) => c.req.param('id') ?? '';

  const submitJob: Handler<AppEnv> = async (c) => {
    const caller = c.get('caller');
    const body = await readJson(c, jobSubmission, ctx.limits.maxJsonBytes);
    const { webhook, ...rest } = body as JobSpec & { webhook?: { url: string } };
    if (webhook) checkWebhook(webhook.url, ctx.deps.allowLocalWebhooks ?? false);
    const entry = modelOr404(ctx, rest.model);
    // Jobs are pinned to the exact version the edge validated them against.
    const spec = { ...rest, model: `${entry.manifest.id}@${entry.manifest.version}` } as JobSpec;
    checkEdits(entry, spec);
    await checkInputs(ctx, caller, spec);

    const jobId = ctx.deps.ids.next('job');
    const idempotencyKey = c.req.header('idempotency-key');
    if (idempotencyKey !== undefined) {
      const claim = await claimIdempotencyKey(store, caller.tenant, idempotencyKey, body, jobId);
      if (claim.kind === 'replay') {
        const status = await readStatus(store, claim.jobId);
        return accepted(c, claim.jobId, status?.state ?? 'queued', true);
      }
    }
    const quota = caller.record.quota?.jobsPerDay;
    if (quota !== undefined && !ctx.deps.rateLimiter.takeJob(caller.keyId, quota, ctx.deps.clock.now())) {
      if (idempotencyKey !== undefined) await releaseIdempotencyKey(store, caller.tenant, idempotencyKey);
      throw new ApiError(
        429,
        'quota_exceeded',
        `this key may submit ${quota} jobs per day (UTC); the quota is used up`,
      );
    }
    const submittedAt = new Date(ctx.deps.clock.now()).toISOString();
    const message: JobMessage = jobMessage.parse({
      jobId,
      tenant: caller.tenant,
      spec,
      submittedAt,
      ...(webhook ? { webhook } : {}),
    });
    // Status first: the worker may pick the message up at once and overwrites it with `running`.
    await writeOwner(store, jobId, caller);
    await store.put(
      keys.status(jobId),
      JSON.stringify(initialStatus(jobId, caller.tenant, spec, entry, submittedAt)),
      {
        contentType: 'application/json',
      },
    );
    try {
      await queue.send(JSON.stringify(message), { dedupId: jobId });
    } catch (err) {
      const failed = {
        ...initialStatus(jobId, caller.tenant, spec, entry, submittedAt),
        state: 'failed' as const,
        error: { code: 'queue_unavailable', message: 'the job could not be queued' },
      };
      await store
        .put(keys.status(jobId), JSON.stringify(failed), { contentType: 'application/json' })
        .catch(() => undefined);
      if (idempotencyKey !== undefined)
        await releaseIdempotencyKey(store, caller.tenant, idempotencyKey).catch(() => undefined);
      logger.error('queue send failed', { jobId, error: err instanceof Error ? err.message : String(err) });
      throw new ApiError(503, 'queue_unavailable', 'the job queue is unavailable; retry later');
    }
    logger.info('job queued', {
      jobId,
      kind: spec.kind,
      model: spec.model,
      keyId: caller.keyId,
      tenant: caller.tenant,
    });
    return accepted(c, jobId, 'queued', false);
  };

  const getJob: Handler<AppEnv> = async (c) => {
    const id = jobIdParam(c);
    const status = await authorizedStatus(store, c.get('caller'), id);
    return c.json({ ...status, links: jobLinks(id) });
  };

  const jobEvents: Handler<AppEnv> = async (c) => {
    const id = jobIdParam(c);
    await authorizedStatus(store, c.get('caller'), id);
    const { clock } = ctx.deps;
    return streamSSE(c, async (stream) => {
      const aborted = new AbortController();
      stream.onAbort(() => aborted.abort());
      const deadline = clock.now() + ctx.limits.eventsMaxMs;
      let lastStatus = '';
      let lastProgress = '';
      let seq = 0;
      while (!aborted.signal.aborted) {
        const status = await readStatus(store, id);
        const progressBytes = await store.get(keys.progress(id));
        const progress = progressBytes ? new TextDecoder().decode(progressBytes) : '';
        if (progress && progress !== lastProgress) {
          lastProgress = progress;
          await stream.writeSSE({ event: 'progress', data: progress.replace(/\n/g, ' '), id: String(++seq) });
        }
        const statusText = status ? JSON.stringify(status) : '';
        if (status && statusText !== lastStatus) {
          lastStatus = statusText;
          await stream.writeSSE({ event: 'status', data: statusText, id: String(++seq) });
        }
        if (status && TERMINAL_STATES.includes(status.state)) {
          await stream.writeSSE({ event: 'end', data: JSON.stringify({ state: status.state }) });
          return;
        }
        if (clock.now() >= deadline) {
          await stream.writeSSE({
            event: 'end',
            data: JSON.stringify({ state: status?.state ?? null, reason: 'timeout' }),
          });
          return;
        }
        await clock.sleep(ctx.limits.eventsPollMs, aborted.signal).catch(() => undefined);
      }
    });
  };

  const getJobResult: Handler<AppEnv> = async (c) => {
    const id = jobIdParam(c);
    const status = await authorizedStatus(store, c.get('caller'), id);
    if (status.state !== 'succeeded') {
      throw new ApiError(
        409,
        'job_not_succeeded',
        `job ${id} is ${status.state}; results exist only for succeeded jobs`,
      );
    }
    if (!store.presignGet) throw new ApiError(501, 'not_supported', 'this server cannot presign downloads');
    const presignGet = store.presignGet.bind(store);
    const expiresIn = ctx.limits.presignExpiresS;
    const outputs = await Promise.all(
      status.outputs.map(async (o) => {
        const signed = await presignGet(o.key, { expiresIn });
        return {
          name: o.name,
          contentType: o.contentType,
          bytes: o.bytes,
          url: signed.url,
          expiresAt: signed.expiresAt.toISOString(),
        };
      }),
    );
    const body: JobResult = { id, outputs, expiresIn };
    return c.json(body);
  };

  const cancelJob: Handler<AppEnv> = async (c) => {
    const id = jobIdParam(c);
    const caller = c.get('caller');
    const status = await authorizedStatus(store, caller, id);
    if (TERMINAL_STATES.includes(status.state)) {
      throw new ApiError(409, 'job_finished', `job ${id} already ended (${status.state})`);
    }
    const requestedAt = new Date(ctx.deps.clock.now()).toISOString();
    await store.put(keys.cancel(id), JSON.stringify({ requestedAt, keyId: caller.keyId }), {
      contentType: 'application/json',
    });
    logger.info('job cancel requested', { jobId: id, keyId: caller.keyId });
    return c.json({ id, status: status.state, cancelRequested: true as const }, 202);
  };

  return { submitJob, getJob, jobEvents, getJobResult, cancelJob };
}
