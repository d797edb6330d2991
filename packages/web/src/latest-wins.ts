/**
 * Debounced "latest wins" runner for slider previews: each `schedule(input)` restarts the debounce
 * timer; when it fires, the previous in-flight run is aborted and a new one starts. A result is only
 * delivered if its run is still the newest, so a slow old response never overwrites a newer one.
 */
export interface LatestWinsOptions<I, O> {
  delayMs: number;
  run(input: I, signal: AbortSignal): Promise<O>;
  onResult(output: O, input: I): void;
  onError(error: unknown, input: I): void;
  /** Called when a run starts / the newest run settles (for a busy indicator). */
  onBusy?(busy: boolean): void;
  setTimer?: (fn: () => void, ms: number) => unknown;
  clearTimer?: (handle: unknown) => void;
}

export interface LatestWins<I> {
  schedule(input: I): void;
  /** Runs now, skipping the debounce. */
  flush(): void;
  /** Drops the pending input and aborts the in-flight run. */
  cancel(): void;
}

export function isAbortError(err: unknown): boolean {
  return err instanceof DOMException ? err.name === 'AbortError' : (err as Error)?.name === 'AbortError';
}

export function createLatestWins<I, O>(opts: LatestWinsOptions<I, O>): LatestWins<I> {
  const setTimer = opts.setTimer ?? ((fn, ms) => setTimeout(fn, ms));
  const clearTimer = opts.clearTimer ?? ((h) => clearTimeout(h as ReturnType<typeof setTimeout>));
  let timer: unknown;
  let pending: { input: I } | undefined;
  let current: AbortController | undefined;
  let generation = 0;

  const start = () => {
    timer = undefined;
    if (!pending) return;
    const { input } = pending;
    pending = undefined;
    current?.abort();
    const controller = new AbortController();
    current = controller;
    const mine = ++generation;
    opts.onBusy?.(true);
    opts.run(input, controller.signal).then(
      (out) => {
        if (mine !== generation) return;
        current = undefined;
        opts.onBusy?.(false);
        opts.onResult(out, input);
      },
      (err) => {
        if (mine !== generation) return;
        current = undefined;
        opts.onBusy?.(false);
        if (!isAbortError(err)) opts.onError(err, input);
      },
    );
  };

  return {
    schedule(input) {
      pending = { input };
      if (timer !== undefined) clearTimer(timer);
      timer = setTimer(start, opts.delayMs);
    },
    flush() {
      if (timer !== undefined) clearTimer(timer);
      start();
    },
    cancel() {
      if (timer !== undefined) clearTimer(timer);
      timer = undefined;
      pending = undefined;
      generation++;
      if (current) {
        current.abort();
        current = undefined;
        opts.onBusy?.(false);
      }
    },
  };
}
