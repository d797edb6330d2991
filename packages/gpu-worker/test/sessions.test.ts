import { mkdtemp, readFile, rm } from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { FsObjectStore } from '../../shared/src/adapters/fs-store.ts';
import { loadBundle } from '../../shared/src/node/bundle.ts';
import { BundleCache } from '../src/bundle-cache.ts';
import { createLogger } from '../src/log.ts';
import { type LoadedModel, ModelRegistry, openBackend, warmUp } from '../src/sessions.ts';
import { tinyBundleDir } from './helpers/bundle.ts';

let bundleDir: string;
let dir: string;
beforeAll(async () => {
  bundleDir = await tinyBundleDir();
  dir = await mkdtemp(path.join(os.tmpdir(), 'diffae-gw-sessions-'));
});
afterAll(() => rm(dir, { recursive: true, force: true }));

describe('sessions', () => {
  it('asks for CUDA then CPU; without the CUDA provider it runs on the CPU after one log line', async () => {
    const lines: string[] = [];
    const logger = createLogger({ write: (l) => lines.push(l) });
    const bundle = await loadBundle(bundleDir);
    const { backend, device } = await openBackend(
      bundle,
      { executionProviders: ['cuda', 'cpu'], intraOpThreads: 1, maxBatch: 4 },
      logger,
    );
    try {
      expect(device).toBe('cpu');
      expect(lines.filter((l) => l.includes('"level":"warn"'))).toHaveLength(1);
      expect(lines[0]).toMatch(/cuda/i);
      expect(await warmUp(backend, bundle.manifest)).toBeGreaterThan(0);
    } finally {
      await backend.dispose();
    }
  });

  it('ModelRegistry: local bundle for its own id, store bundles fetched once, opened once', async () => {
    const store = new FsObjectStore({ root: path.join(dir, 'store') });
    const manifest = JSON.parse(await readFile(path.join(bundleDir, 'manifest.json'), 'utf8'));
    const other = { ...manifest, id: 'other-model', version: '2.0.0' };
    for (const f of Object.values(manifest.files) as { path: string }[]) {
      await store.put(`models/other-model/2.0.0/${f.path}`, await readFile(path.join(bundleDir, f.path)));
    }
    await store.put('models/other-model/2.0.0/manifest.json', JSON.stringify(other));
    const opened: string[] = [];
    const registry = new ModelRegistry({
      cache: new BundleCache({ store, cacheDir: path.join(dir, 'cache') }),
      localDir: bundleDir,
      defaultModel: undefined,
      open: async (d) => {
        opened.push(d);
        const m = JSON.parse(await readFile(path.join(d, 'manifest.json'), 'utf8'));
        return { ref: { id: m.id, version: m.version } } as LoadedModel;
      },
    });
    expect((await registry.get(undefined)).ref).toEqual({ id: 'parity-tiny', version: '0.0.1' });
    expect((await registry.get('parity-tiny@0.0.1')).ref.id).toBe('parity-tiny');
    const [a, b] = await Promise.all([registry.get('other-model'), registry.get('other-model@2.0.0')]);
    expect(a).toBe(b);
    expect(a.ref).toEqual({ id: 'other-model', version: '2.0.0' });
    expect(opened).toEqual([bundleDir, path.join(dir, 'cache', 'other-model', '2.0.0')]);
    await expect(registry.get('missing-model')).rejects.toMatchObject({ code: 'unknown_model' });
  });
});
