/** Node: model bundles from folders, served with onnxruntime-web (WASM) like the browser would. */
import { readFile } from 'node:fs/promises';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { type LoadedBundle, loadBundle, openBundleBackend } from '@diffae/shared/node';
import type { AssetSource, ModelEntry } from '../deps.ts';
import { lazyBackend } from '../registry.ts';
import { ORT_ASSETS } from '../routes/assets.ts';
import { serialBackend } from '../serial-backend.ts';

export interface NodeModelOptions {
  /** onnxruntime-web WASM threads (default 1). */
  threads?: number;
  /** Verify every file's SHA-256 on load (default true). */
  verify?: boolean;
}

export function bundleEntry(bundle: LoadedBundle, opts: NodeModelOptions = {}): ModelEntry {
  const backend = lazyBackend(async () =>
    serialBackend(await openBundleBackend(bundle, { runtime: 'web', threads: opts.threads ?? 1 })),
  );
  return {
    manifest: bundle.manifest,
    ...(bundle.classifier ? { classifier: bundle.classifier } : {}),
    backend: backend.get,
    dispose: backend.dispose,
    async file(name) {
      const path = bundle.files[name];
      return path ? new Uint8Array(await readFile(path)) : null;
    },
  };
}

export async function loadBundleEntries(
  dirs: readonly string[],
  opts: NodeModelOptions = {},
): Promise<ModelEntry[]> {
  const entries: ModelEntry[] = [];
  for (const dir of dirs)
    entries.push(bundleEntry(await loadBundle(dir, { verify: opts.verify ?? true }), opts));
  return entries;
}

/** onnxruntime-web's dist folder of the installed package; only allowlisted names are read. */
export function ortDistAssets(): AssetSource {
  const dist = dirname(fileURLToPath(import.meta.resolve('onnxruntime-web')));
  const cache = new Map<string, Promise<Uint8Array | null>>();
  return {
    get(name) {
      if (!Object.hasOwn(ORT_ASSETS, name)) return Promise.resolve(null);
      let pending = cache.get(name);
      if (!pending) {
        pending = readFile(join(dist, name)).then(
          (b) => new Uint8Array(b),
          () => null,
        );
        cache.set(name, pending);
      }
      return pending;
    },
  };
}
