/** ObjectStore wrappers for fault tests: hooks before put, failures on chosen puts. */
import { StorageError } from '../../../shared/src/adapters/errors.ts';
import type { ListOptions, ObjectStore, PutOptions } from '../../../shared/src/ports.ts';

export class HookedStore implements ObjectStore {
  constructor(
    readonly inner: ObjectStore,
    readonly beforePut: (key: string) => Promise<void> | void = () => {},
  ) {}
  async put(key: string, body: Uint8Array | string, opts?: PutOptions): Promise<void> {
    await this.beforePut(key);
    return this.inner.put(key, body, opts);
  }
  get(key: string) {
    return this.inner.get(key);
  }
  getStream(key: string) {
    return this.inner.getStream(key);
  }
  head(key: string) {
    return this.inner.head(key);
  }
  delete(key: string) {
    return this.inner.delete(key);
  }
  list(prefix: string, opts?: ListOptions) {
    return this.inner.list(prefix, opts);
  }
  close() {
    return this.inner.close();
  }
}

/** Fails the first `n` puts whose key matches with a transient `storage_unavailable`. */
export function failingPuts(
  inner: ObjectStore,
  n: number,
  match: (key: string) => boolean,
): HookedStore & { failures: number } {
  const store = new HookedStore(inner, (key) => {
    if (match(key) && store.failures < n) {
      store.failures++;
      throw new StorageError('storage_unavailable', `injected write failure for ${key}`);
    }
  }) as HookedStore & { failures: number };
  store.failures = 0;
  return store;
}
