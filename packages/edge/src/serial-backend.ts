/**
 * Runs one network call at a time on a shared backend: concurrent requests to one onnxruntime-web
 * session are not safe, and on a small CPU they would only compete for the same cores.
 */
import type { DiffAEBackend } from '@diffae/shared';

export function serialBackend(inner: DiffAEBackend): DiffAEBackend {
  let tail: Promise<unknown> = Promise.resolve();
  function serial<A extends unknown[], R>(fn: (...args: A) => Promise<R>): (...args: A) => Promise<R> {
    return (...args) => {
      const result = tail.then(() => fn(...args));
      tail = result.catch(() => undefined);
      return result;
    };
  }
  const backend: DiffAEBackend = {
    encode: serial((x) => inner.encode(x)),
    eps: serial((x, t, z) => inner.eps(x, t, z)),
    dispose: () => inner.dispose(),
    ...(inner.info ? { info: inner.info } : {}),
  };
  if (inner.liteEncode) {
    const lite = inner.liteEncode.bind(inner);
    backend.liteEncode = serial((x) => lite(x));
  }
  if (inner.latentEps) {
    const latent = inner.latentEps.bind(inner);
    backend.latentEps = serial((x, t) => latent(x, t));
  }
  return backend;
}
