import { mkdtemp, readdir, readFile, rm } from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { FsObjectStore } from '../../shared/src/adapters/fs-store.ts';
import { loadBundle } from '../../shared/src/node/bundle.ts';
import { BundleCache, compareVersions } from '../src/bundle-cache.ts';
import { tinyBundleDir } from './helpers/bundle.ts';

let dir: string;
let store: FsObjectStore;
let source: string;

async function publish(version: string, tamper = false): Promise<void> {
  const manifest = JSON.parse(await readFile(path.join(source, 'manifest.json'), 'utf8'));
  manifest.version = version;
  for (const file of Object.values(manifest.files) as { path: string }[]) {
    const bytes = await readFile(path.join(source, file.path));
    if (tamper && file.path === 'unet.onnx') bytes[bytes.length - 1] ^= 1;
    await store.put(`models/${manifest.id}/${version}/${file.path}`, bytes);
  }
  await store.put(`models/${manifest.id}/${version}/manifest.json`, JSON.stringify(manifest));
}

beforeAll(async () => {
  source = await tinyBundleDir();
  dir = await mkdtemp(path.join(os.tmpdir(), 'diffae-gw-cache-'));
  store = new FsObjectStore({ root: path.join(dir, 'store') });
  await publish('0.9.0');
  await publish('0.10.0');
  await publish('1.0.0-rc.1');
  await publish('0.11.0', true);
});
afterAll(() => rm(dir, { recursive: true, force: true }));

describe('BundleCache', () => {
  it('orders versions by semver', () => {
    expect(['0.10.0', '1.0.0-rc.1', '0.9.0', '1.0.0'].sort(compareVersions)).toEqual([
      '0.9.0',
      '0.10.0',
      '1.0.0-rc.1',
      '1.0.0',
    ]);
  });

  it('resolves an id to the newest version, or to the latest pointer when there is one', async () => {
    const cache = new BundleCache({ store, cacheDir: path.join(dir, 'c0') });
    expect(await cache.resolve('parity-tiny')).toEqual({ id: 'parity-tiny', version: '1.0.0-rc.1' });
    await store.put('models/parity-tiny/latest', '0.9.0\n');
    expect(await cache.resolve('parity-tiny')).toEqual({ id: 'parity-tiny', version: '0.9.0' });
    await store.delete('models/parity-tiny/latest');
    await expect(cache.resolve('nothing-here')).rejects.toMatchObject({ code: 'unknown_model' });
  });

  it('downloads, verifies and atomically installs a bundle; concurrent fetches share one copy', async () => {
    const cacheDir = path.join(dir, 'c1');
    const a = new BundleCache({ store, cacheDir });
    const b = new BundleCache({ store, cacheDir }); // as if another process
    const ref = { id: 'parity-tiny', version: '0.10.0' };
    const [d1, d2, d3] = await Promise.all([a.fetch(ref), a.fetch(ref), b.fetch(ref)]);
    expect(d1).toBe(path.join(cacheDir, 'parity-tiny', '0.10.0'));
    expect(new Set([d1, d2, d3]).size).toBe(1);
    const loaded = await loadBundle(d1, { verify: true });
    expect(loaded.manifest.version).toBe('0.10.0');
    expect(await readdir(path.join(cacheDir, '.tmp'))).toEqual([]);
  });

  it('refuses a bundle whose file does not match its sha256 and leaves nothing behind', async () => {
    const cacheDir = path.join(dir, 'c2');
    const cache = new BundleCache({ store, cacheDir });
    await expect(cache.fetch({ id: 'parity-tiny', version: '0.11.0' })).rejects.toThrow(
      /unet.onnx failed verification/,
    );
    expect(await readdir(path.join(cacheDir, '.tmp'))).toEqual([]);
    await expect(readdir(path.join(cacheDir, 'parity-tiny', '0.11.0'))).rejects.toThrow();
  });
});
