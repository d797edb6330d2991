import { describe, expect, it } from 'vitest';
import { createLatestWins } from '../src/latest-wins.ts';

/** Manual clock: timers fire only when `tick` passes them. */
function manualTimers() {
  let now = 0;
  const timers = new Map<number, { at: number; fn: () => void }>();
  let next = 1;
  return {
    setTimer: (fn: () => void, ms: number) => {
      const id = next++;
      timers.set(id, { at: now + ms, fn });
      return id;
    },
    clearTimer: (id: unknown) => void timers.delete(id as number),
    tick(ms: number) {
      now += ms;
      for (const [id, t] of [...timers]) {
        if (t.at <= now) {
          timers.delete(id);
          t.fn();
        }
      }
    },
  };
}

function deferred<T>() {
  let resolve!: (v: T) => void;
  const promise = new Promise<T>((r) => {
    resolve = r;
  });
  return { promise, resolve };
}

describe('createLatestWins', () => {
  it('debounces: only the last input within the delay runs', async () => {
    const clock = manualTimers();
    const runs: number[] = [];
    const lw = createLatestWins<number, number>({
      delayMs: 120,
      run: async (i) => {
        runs.push(i);
        return i;
      },
      onResult: () => {},
      onError: (e) => {
        throw e;
      },
      ...clock,
    });
    lw.schedule(1);
    clock.tick(100);
    lw.schedule(2);
    clock.tick(100);
    lw.schedule(3);
    expect(runs).toEqual([]);
    clock.tick(120);
    expect(runs).toEqual([3]);
  });

  it('aborts the older run and never delivers its late result', async () => {
    const clock = manualTimers();
    const pending = new Map<number, ReturnType<typeof deferred<string>>>();
    const signals = new Map<number, AbortSignal>();
    const results: string[] = [];
    const lw = createLatestWins<number, string>({
      delayMs: 10,
      run: (i, signal) => {
        signals.set(i, signal);
        const d = deferred<string>();
        pending.set(i, d);
        return d.promise;
      },
      onResult: (o) => results.push(o),
      onError: () => {},
      ...clock,
    });
    lw.schedule(1);
    clock.tick(10);
    lw.schedule(2);
    clock.tick(10);
    expect(signals.get(1)?.aborted).toBe(true);
    expect(signals.get(2)?.aborted).toBe(false);
    pending.get(2)?.resolve('second');
    pending.get(1)?.resolve('first (late)');
    await new Promise((r) => setTimeout(r, 0));
    expect(results).toEqual(['second']);
  });

  it('reports errors except aborts, and cancel() drops pending work', async () => {
    const clock = manualTimers();
    const errors: unknown[] = [];
    let calls = 0;
    const lw = createLatestWins<number, void>({
      delayMs: 5,
      run: async (i) => {
        calls++;
        if (i === 1) throw new DOMException('aborted', 'AbortError');
        throw new Error(`bad ${i}`);
      },
      onResult: () => {},
      onError: (e) => errors.push((e as Error).message),
      ...clock,
    });
    lw.schedule(1);
    clock.tick(5);
    await new Promise((r) => setTimeout(r, 0));
    lw.schedule(2);
    clock.tick(5);
    await new Promise((r) => setTimeout(r, 0));
    lw.schedule(3);
    lw.cancel();
    clock.tick(5);
    await new Promise((r) => setTimeout(r, 0));
    expect(errors).toEqual(['bad 2']);
    expect(calls).toBe(2);
  });
});
