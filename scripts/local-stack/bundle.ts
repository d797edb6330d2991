/**
 * The bundle the stack serves: the embedded default when it has been built, otherwise a tiny
 * random-weight bundle from the Python parity fixture (made once, then reused), so the stack runs
 * before the default model is trained.
 */
import { spawn } from 'node:child_process';
import { existsSync } from 'node:fs';
import path from 'node:path';
import { DEFAULT_BUNDLE_DIR, REPO_ROOT } from './paths.ts';

export const PYTHON = process.env.DIFFAE_PYTHON ?? '/usr/bin/python3';

export function hasManifest(dir: string): boolean {
  return existsSync(path.join(dir, 'manifest.json'));
}

function run(cmd: string, args: string[], env: NodeJS.ProcessEnv): Promise<void> {
  return new Promise((resolve, reject) => {
    const child = spawn(cmd, args, { env, stdio: ['ignore', 'ignore', 'pipe'] });
    let stderr = '';
    child.stderr.on('data', (d) => {
      stderr = (stderr + String(d)).slice(-4000);
    });
    child.on('error', (err) => reject(new Error(`cannot run ${cmd}: ${err.message}`)));
    child.on('exit', (code) =>
      code === 0 ? resolve() : reject(new Error(`${cmd} ${args.join(' ')} exited with ${code}:\n${stderr}`)),
    );
  });
}

/** `parity_fixture --out <cacheDir>` once; returns its float32 bundle folder. */
export async function ensureFixtureBundle(cacheDir: string): Promise<string> {
  const bundle = path.join(cacheDir, 'bundle');
  if (hasManifest(bundle)) return bundle;
  await run(PYTHON, ['-m', 'diffae_toolkit.parity_fixture', '--out', cacheDir, '--overwrite'], {
    ...process.env,
    PYTHONPATH: path.join(REPO_ROOT, 'models'),
  });
  if (!hasManifest(bundle)) throw new Error(`the parity fixture wrote no bundle to ${bundle}`);
  return bundle;
}

export interface ResolvedBundle {
  dir: string;
  /** True when the random-weight fixture stands in for the default model. */
  fixture: boolean;
}

export async function resolveBundle(opts: {
  bundleDir?: string;
  fixtureCacheDir: string;
}): Promise<ResolvedBundle> {
  if (opts.bundleDir) {
    if (!hasManifest(opts.bundleDir)) throw new Error(`no manifest.json in bundle folder ${opts.bundleDir}`);
    return { dir: opts.bundleDir, fixture: false };
  }
  if (hasManifest(DEFAULT_BUNDLE_DIR)) return { dir: DEFAULT_BUNDLE_DIR, fixture: false };
  return { dir: await ensureFixtureBundle(opts.fixtureCacheDir), fixture: true };
}
