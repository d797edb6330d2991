/** A model registry over a fixed set of entries (whatever the adapter loaded at start). */
import type { DiffAEBackend } from '@diffae/shared';
import type { ModelEntry, ModelRegistry } from './deps.ts';

/** Version strings compared numerically on their x.y.z part (pre-release tags sort after, rarely matters here). */
export function compareVersions(a: string, b: string): number {
  const pa = a.split(/[.+-]/).map(Number);
  const pb = b.split(/[.+-]/).map(Number);
  for (let i = 0; i < 3; i++) if ((pa[i] ?? 0) !== (pb[i] ?? 0)) return (pa[i] ?? 0) - (pb[i] ?? 0);
  return a < b ? -1 : a > b ? 1 : 0;
}

/** `defaultRef`: "id" or "id@version"; default: the first entry. */
export function createModelRegistry(entries: readonly ModelEntry[], defaultRef?: string): ModelRegistry {
  const list = [...entries];
  const get = (ref: string | undefined): ModelEntry | undefined => {
    if (ref === undefined) return defaultRef !== undefined ? get(defaultRef) : list[0];
    const [id, version] = ref.split('@');
    const matches = list.filter(
      (e) => e.manifest.id === id && (version === undefined || e.manifest.version === version),
    );
    return matches.sort((a, b) => compareVersions(b.manifest.version, a.manifest.version))[0];
  };
  return { list: () => list, get };
}

/**
 * Memoises a backend factory so the first request creates it and later ones share it (a failure is
 * retried); `dispose` releases it only if it was created.
 */
export function lazyBackend(create: () => Promise<DiffAEBackend>): {
  get: () => Promise<DiffAEBackend>;
  dispose: () => Promise<void>;
} {
  let pending: Promise<DiffAEBackend> | undefined;
  return {
    get: () => {
      pending ??= create().catch((err) => {
        pending = undefined;
        throw err;
      });
      return pending;
    },
    dispose: async () => {
      const created = pending;
      pending = undefined;
      if (created) await (await created.catch(() => undefined))?.dispose();
    },
  };
}
