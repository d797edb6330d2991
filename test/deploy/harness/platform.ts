import { existsSync, readFileSync } from 'node:fs';
import { dirname, join, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';

/** The harness mirrors SST internals (build, RPC methods, data sources) of exactly this version. */
export const SST_VERSION = '4.17.1';

export const REPO_ROOT = resolve(dirname(fileURLToPath(import.meta.url)), '../../..');
export const CONFIG_PATH = join(REPO_ROOT, 'sst.config.ts');
export const PLATFORM_DIR = join(REPO_ROOT, '.sst', 'platform');

export interface ProviderLockEntry {
  name: string;
  package: string;
  version: string;
  alias: string;
}

export class PlatformMissingError extends Error {
  override name = 'PlatformMissingError';
}

/** Throws a message that says how to fix it when `.sst/platform` is absent, partial or another version. */
export function assertPlatformInstalled(platformDir: string = PLATFORM_DIR): void {
  const fix = 'run scripts/sst/install-platform.sh';
  const required = ['config.d.ts', 'version', 'src/shim/run.js', 'node_modules/@pulumi/pulumi/package.json'];
  const missing = required.filter((file) => !existsSync(join(platformDir, file)));
  if (missing.length > 0) {
    throw new PlatformMissingError(
      `SST platform is not installed at ${platformDir} (missing ${missing.join(', ')}): ${fix}`,
    );
  }
  const version = readFileSync(join(platformDir, 'version'), 'utf8').trim();
  if (version !== SST_VERSION) {
    throw new PlatformMissingError(
      `SST platform ${version} is installed, the deploy tests need ${SST_VERSION}: ${fix}`,
    );
  }
}

/** Providers `sst install` recorded; each becomes a global in the config (`aws`, `cloudflare`, …). */
export function providerLock(): ProviderLockEntry[] {
  const lockPath = join(REPO_ROOT, '.sst', 'provider-lock.json');
  if (!existsSync(lockPath)) {
    throw new PlatformMissingError(`${lockPath} is missing: run scripts/sst/install-platform.sh`);
  }
  return JSON.parse(readFileSync(lockPath, 'utf8')) as ProviderLockEntry[];
}
