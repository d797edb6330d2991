/** Default clock, id generator and logger for Web-standard runtimes. */
import type { Clock, IdGenerator, Logger } from './deps.ts';

export const systemClock: Clock = {
  now: () => Date.now(),
  sleep: (ms, signal) =>
    new Promise<void>((resolve, reject) => {
      if (signal?.aborted) return reject(signal.reason);
      const timer = setTimeout(() => {
        signal?.removeEventListener('abort', onAbort);
        resolve();
      }, ms);
      const onAbort = () => {
        clearTimeout(timer);
        reject(signal?.reason);
      };
      signal?.addEventListener('abort', onAbort, { once: true });
    }),
};

const ALPHABET = '0123456789abcdefghijklmnopqrstuvwxyzABCDEFGHIJKLMNOPQRSTUVWXYZ';

/** `<prefix>_` + 22 base62 characters (≈131 random bits). */
export const randomIds: IdGenerator = {
  next(prefix) {
    const bytes = crypto.getRandomValues(new Uint8Array(22));
    let out = `${prefix}_`;
    for (const b of bytes) out += ALPHABET[b % 62];
    return out;
  },
};

/** One JSON line per event on stdout/stderr. Callers pass key ids, never keys. */
export function jsonLogger(
  base: Record<string, unknown> = {},
  minLevel: 'info' | 'warn' | 'error' = 'info',
): Logger {
  const order = { info: 0, warn: 1, error: 2 } as const;
  const write = (level: keyof typeof order, message: string, fields?: Record<string, unknown>) => {
    if (order[level] < order[minLevel]) return;
    const line = JSON.stringify({ time: new Date().toISOString(), level, message, ...base, ...fields });
    if (level === 'info') console.log(line);
    else console.error(line);
  };
  return {
    info: (m, f) => write('info', m, f),
    warn: (m, f) => write('warn', m, f),
    error: (m, f) => write('error', m, f),
  };
}
