/**
 * The tiny random-weight bundle of `diffae_toolkit.parity_fixture` (32 px, z 32, latent DPM and
 * classifier), generated once into the OS temp dir and shared by every test file of the run. The folder
 * name carries a hash of the toolkit's Python sources, so a change to the exporter regenerates it.
 */
import { execFile } from 'node:child_process';
import { createHash, randomBytes } from 'node:crypto';
import { existsSync, readdirSync, readFileSync, statSync } from 'node:fs';
import { mkdir, rename, rm } from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';
import { promisify } from 'node:util';

const REPO = path.resolve(import.meta.dirname, '../../../..');
const TOOLKIT = path.join(REPO, 'models/diffae_toolkit');

function hashSources(dir: string, hash: ReturnType<typeof createHash>): void {
  for (const name of readdirSync(dir).sort()) {
    const p = path.join(dir, name);
    if (statSync(p).isDirectory()) {
      if (name !== '__pycache__') hashSources(p, hash);
    } else if (name.endsWith('.py')) hash.update(name).update(readFileSync(p));
  }
}

function sourceHash(dir: string): string {
  const hash = createHash('sha256');
  hashSources(dir, hash);
  return hash.digest('hex').slice(0, 12);
}

/** Fixtures of older toolkit sources, unused for an hour. */
async function removeStaleFixtures(keep: string): Promise<void> {
  const parent = path.dirname(keep);
  for (const name of readdirSync(parent)) {
    const p = path.join(parent, name);
    if (!name.startsWith('diffae-gpu-worker-fixture-') || p === keep || name.endsWith('.lock')) continue;
    if (Date.now() - statSync(p).mtimeMs > 3_600_000) await rm(p, { recursive: true, force: true });
  }
}

export async function tinyBundleDir(): Promise<string> {
  const root = path.join(os.tmpdir(), `diffae-gpu-worker-fixture-${sourceHash(TOOLKIT)}`);
  const bundle = path.join(root, 'bundle');
  const ready = () => existsSync(path.join(bundle, 'manifest.json'));
  if (ready()) return bundle;
  // Test files run in parallel processes: one generates (holder of the lock folder), the others wait.
  const lock = `${root}.lock`;
  try {
    await mkdir(lock);
  } catch {
    const deadline = Date.now() + 180_000;
    while (!ready()) {
      if (Date.now() > deadline) throw new Error(`timed out waiting for ${bundle} (stale ${lock}?)`);
      await new Promise((r) => setTimeout(r, 200));
    }
    return bundle;
  }
  const tmp = `${root}.tmp-${randomBytes(4).toString('hex')}`;
  try {
    await promisify(execFile)('/usr/bin/python3', ['-m', 'diffae_toolkit.parity_fixture', '--out', tmp], {
      cwd: REPO,
      env: { ...process.env, PYTHONPATH: path.join(REPO, 'models') },
      timeout: 180_000,
    });
    await rename(tmp, root);
    await removeStaleFixtures(root);
  } finally {
    await rm(tmp, { recursive: true, force: true });
    await rm(lock, { recursive: true, force: true });
  }
  return bundle;
}

export const PHOTOS = '/work/shared/data/photos';
