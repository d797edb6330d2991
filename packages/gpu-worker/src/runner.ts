/**
 * The queue loop. Long-polls while fewer than `maxJobsInFlight` jobs run, validates each message,
 * renews the visibility of running jobs every third of the timeout, and maps job outcomes to queue
 * actions: finished → delete; transient failure → retry after a backoff; last attempt → failed status,
 * message left to the dead-letter queue; shutdown → stop receiving, let jobs finish within the grace
 * period, then hand the rest back (visibility 0) so another worker takes them.
 */
import { JOB_KINDS, type JobKind, type JobMessage, jobMessage, keys } from '../../shared/src/jobs.ts';
import type { JobQueue, QueueMessage } from '../../shared/src/ports.ts';
import { errorFields, type Logger } from './log.ts';
import { type JobOutcome, type JobServices, processJob } from './process-job.ts';

export interface RunnerOptions {
  queue: JobQueue;
  services: JobServices;
  maxJobsInFlight: number;
  visibilityTimeoutS: number;
  maxReceives: number;
  retryBaseS: number;
  shutdownGraceS: number;
  pollWaitS: number;
  logger: Logger;
}

interface Running {
  jobId: string;
  /**
   * Receipts of every delivery of this job that arrived while it ran (a redelivery after a lapsed
   * visibility, or a duplicate message): heartbeats renew them all, and the outcome settles them all.
   */
  receipts: string[];
  done: Promise<void>;
}

/**
 * Resolves when `arm`'s callback fires or `signal` aborts, whichever comes first, and then removes its
 * abort listener (the runner waits on one long-lived stop signal many times).
 */
function untilAbortedOr(signal: AbortSignal, arm: (done: () => void) => () => void = () => () => {}) {
  return new Promise<void>((resolve) => {
    let disarm = () => {};
    const done = () => {
      signal.removeEventListener('abort', done);
      disarm();
      resolve();
    };
    signal.addEventListener('abort', done, { once: true });
    disarm = arm(done);
    if (signal.aborted) done();
  });
}

const sleep = (ms: number, signal: AbortSignal = new AbortController().signal) =>
  untilAbortedOr(signal, (done) => {
    const t = setTimeout(done, ms);
    return () => clearTimeout(t);
  });

export class Runner {
  readonly #o: RunnerOptions;
  /** Every delivery being processed or settled (what shutdown waits for). */
  readonly #running = new Set<Running>();
  /** Jobs whose handler is still running, by job id (duplicate-delivery detection). */
  readonly #active = new Map<string, Running>();
  readonly #stopReceiving = new AbortController();
  readonly #interruptJobs = new AbortController();
  #loop: Promise<void> | undefined;
  #slotFreed: (() => void) | undefined;
  /** Counts for tests and logs. */
  readonly counters = {
    received: 0,
    succeeded: 0,
    failed: 0,
    cancelled: 0,
    retried: 0,
    deadLettered: 0,
    invalid: 0,
    released: 0,
    skipped: 0,
  };

  constructor(opts: RunnerOptions) {
    this.#o = opts;
  }

  get inFlight(): number {
    return this.#running.size;
  }

  /** Starts the loop; resolves when it has stopped (after `stop`). */
  start(): Promise<void> {
    this.#loop ??= this.#run();
    return this.#loop;
  }

  /** Graceful stop: no more receives, in-flight jobs get the grace period, then are released. */
  async stop(): Promise<void> {
    const { logger, shutdownGraceS } = this.#o;
    if (!this.#stopReceiving.signal.aborted) {
      logger.info('shutting down', { inFlight: this.#running.size, graceS: shutdownGraceS });
      this.#stopReceiving.abort();
    }
    await this.#loop;
    const all = () => Promise.all([...this.#running.values()].map((r) => r.done));
    const graceOver = sleep(shutdownGraceS * 1000).then(() => 'timeout' as const);
    if ((await Promise.race([all().then(() => 'done' as const), graceOver])) === 'timeout') {
      logger.warn('grace period over; releasing unfinished jobs', { jobs: [...this.#active.keys()] });
      this.#interruptJobs.abort();
      await all();
    }
    logger.info('stopped', this.counters);
  }

  async #run(): Promise<void> {
    const { queue, logger } = this.#o;
    const stop = this.#stopReceiving.signal;
    let backoffMs = 0;
    while (!stop.aborted) {
      const free = this.#o.maxJobsInFlight - this.#running.size;
      if (free <= 0) {
        await untilAbortedOr(stop, (done) => {
          this.#slotFreed = done;
          return () => {};
        });
        continue;
      }
      let messages: QueueMessage[];
      try {
        messages = await queue.receive({
          max: Math.min(10, free),
          waitSeconds: this.#o.pollWaitS,
          visibilityTimeout: this.#o.visibilityTimeoutS,
          signal: stop,
        });
        backoffMs = 0;
      } catch (err) {
        if (stop.aborted) break;
        backoffMs = Math.min(30_000, Math.max(500, backoffMs * 2));
        logger.warn('receive failed; backing off', { backoffMs, ...errorFields(err) });
        await sleep(backoffMs, stop);
        continue;
      }
      for (const m of messages) this.#accept(m);
    }
  }

  #accept(m: QueueMessage): void {
    this.counters.received++;
    const parsed = this.#parse(m);
    if (parsed === null) return;
    const already = this.#active.get(parsed.jobId);
    if (already) {
      already.receipts.push(m.receipt);
      this.#o.logger.warn('duplicate delivery of a running job', { jobId: parsed.jobId });
      return;
    }
    const entry: Running = { jobId: parsed.jobId, receipts: [m.receipt], done: Promise.resolve() };
    this.#running.add(entry);
    this.#active.set(parsed.jobId, entry);
    entry.done = this.#execute(entry, m, parsed).finally(() => {
      this.#running.delete(entry);
      this.#slotFreed?.();
      this.#slotFreed = undefined;
    });
  }

  /** Valid message → its job; invalid (poison) → failed status `invalid_job` when possible, deleted. */
  #parse(m: QueueMessage): JobMessage | null {
    let body: unknown;
    let problem: string;
    try {
      body = JSON.parse(m.body);
      const r = jobMessage.safeParse(body);
      if (r.success) return r.data;
      problem = r.error.issues.map((i) => `${i.path.join('.') || '(message)'}: ${i.message}`).join('; ');
    } catch {
      problem = 'message body is not JSON';
    }
    this.counters.invalid++;
    const b = (typeof body === 'object' && body !== null ? body : {}) as Record<string, unknown>;
    const spec = (typeof b.spec === 'object' && b.spec !== null ? b.spec : {}) as Record<string, unknown>;
    const jobId = typeof b.jobId === 'string' && /^[A-Za-z0-9_-]{8,64}$/.test(b.jobId) ? b.jobId : undefined;
    const kind = JOB_KINDS.find((k) => k === spec.kind) as JobKind | undefined;
    this.#o.logger.warn('invalid job message; dropping it', { messageId: m.id, jobId, problem });
    void (async () => {
      try {
        if (jobId && kind) {
          const now = new Date().toISOString();
          const doc = {
            jobId,
            tenant: typeof b.tenant === 'string' ? b.tenant : 'unknown',
            kind,
            state: 'failed',
            progress: { stage: 'queued', done: 0, total: 0 },
            stageMs: {},
            outputs: [],
            error: { code: 'invalid_job', message: problem },
            attempts: m.receiveCount,
            createdAt: typeof b.submittedAt === 'string' ? b.submittedAt : now,
            updatedAt: now,
          };
          await this.#o.services.store.put(keys.status(jobId), JSON.stringify(doc), {
            contentType: 'application/json',
          });
        }
        await this.#o.queue.delete(m.receipt);
      } catch (err) {
        this.#o.logger.warn('could not settle an invalid message', { messageId: m.id, ...errorFields(err) });
      }
    })();
    return null;
  }

  async #execute(entry: Running, m: QueueMessage, message: JobMessage): Promise<void> {
    const { queue, visibilityTimeoutS, logger } = this.#o;
    const heartbeat = setInterval(
      () => {
        for (const receipt of entry.receipts) {
          queue
            .changeVisibility(receipt, visibilityTimeoutS)
            .catch((err) =>
              logger.warn('visibility heartbeat failed', { jobId: entry.jobId, ...errorFields(err) }),
            );
        }
      },
      (visibilityTimeoutS * 1000) / 3,
    );
    let outcome: JobOutcome;
    try {
      outcome = await processJob(
        { message, receiveCount: m.receiveCount, lastAttempt: m.receiveCount >= this.#o.maxReceives },
        this.#o.services,
        this.#interruptJobs.signal,
      );
    } catch (err) {
      outcome = { action: 'retry', code: 'internal_error', message: String(err) };
      logger.error('job processing crashed', { jobId: entry.jobId, ...errorFields(err) });
    } finally {
      clearInterval(heartbeat);
      // From here on a new delivery of this job is a retry, not a duplicate of a running job.
      this.#active.delete(entry.jobId);
    }
    await this.#settle(entry, m, outcome);
  }

  async #settle(entry: Running, m: QueueMessage, outcome: JobOutcome): Promise<void> {
    const { queue, logger } = this.#o;
    let apply: (receipt: string) => Promise<void>;
    switch (outcome.action) {
      case 'delete':
        if (outcome.duplicate) this.counters.skipped++;
        else if (outcome.state === 'succeeded') this.counters.succeeded++;
        else if (outcome.state === 'cancelled') this.counters.cancelled++;
        else this.counters.failed++;
        apply = (r) => queue.delete(r);
        break;
      case 'dead-letter':
        this.counters.deadLettered++;
        // Visible at once: the next receive moves it to the dead-letter queue.
        apply = (r) => queue.changeVisibility(r, 0);
        break;
      case 'retry': {
        this.counters.retried++;
        const delay = Math.min(300, Math.round(this.#o.retryBaseS * 2 ** (m.receiveCount - 1)));
        apply = (r) => queue.changeVisibility(r, delay);
        break;
      }
      case 'release':
        this.counters.released++;
        apply = (r) => queue.changeVisibility(r, 0);
        break;
    }
    for (const receipt of entry.receipts) {
      try {
        await apply(receipt);
      } catch (err) {
        // The message reappears after its visibility timeout; the status document decides then.
        logger.warn('queue update failed', {
          jobId: entry.jobId,
          action: outcome.action,
          ...errorFields(err),
        });
      }
    }
  }
}
