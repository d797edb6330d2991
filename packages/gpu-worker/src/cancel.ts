/**
 * Cancellation: the edge writes `results/{jobId}/cancel`; the worker looks for it at the start and
 * then between steps, at most once per interval, and aborts the job's signal when it appears.
 */
import { keys } from '../../shared/src/jobs.ts';
import type { ObjectStore } from '../../shared/src/ports.ts';
import { errorFields, type Logger } from './log.ts';

export class CancelledError extends Error {
  override readonly name = 'AbortError';
  constructor() {
    super('the job was cancelled');
  }
}

export class CancelWatch {
  readonly #controller = new AbortController();
  readonly #store: ObjectStore;
  readonly #key: string;
  readonly #intervalMs: number;
  readonly #logger: Logger;
  #lastCheck = Number.NEGATIVE_INFINITY;
  #checking = false;

  constructor(store: ObjectStore, jobId: string, opts: { intervalMs: number; logger: Logger }) {
    this.#store = store;
    this.#key = keys.cancel(jobId);
    this.#intervalMs = opts.intervalMs;
    this.#logger = opts.logger;
  }

  get signal(): AbortSignal {
    return this.#controller.signal;
  }

  get cancelled(): boolean {
    return this.#controller.signal.aborted;
  }

  /** Looks for the marker now; aborts and returns true when it is there. */
  async check(): Promise<boolean> {
    this.#lastCheck = performance.now();
    if (!this.cancelled && (await this.#store.head(this.#key)) !== null)
      this.#controller.abort(new CancelledError());
    return this.cancelled;
  }

  /** Called between steps: starts a check when the interval has passed and none is running. */
  poke(): void {
    if (this.cancelled || this.#checking || performance.now() - this.#lastCheck < this.#intervalMs) return;
    this.#checking = true;
    this.check()
      .catch((err) => this.#logger.warn('cancel check failed', errorFields(err)))
      .finally(() => {
        this.#checking = false;
      });
  }
}
