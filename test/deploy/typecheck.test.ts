/** Type-checks sst.config.ts (and infra/) against the installed SST platform types. */
import { execFile } from 'node:child_process';
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { promisify } from 'node:util';
import { expect, it } from 'vitest';
import { assertPlatformInstalled, REPO_ROOT } from './harness/platform.ts';

const run = promisify(execFile);

it('sst.config.ts type-checks against .sst/platform', async () => {
  assertPlatformInstalled();
  const tsc = join(REPO_ROOT, 'node_modules', 'typescript', 'bin', 'tsc');
  const args = [
    tsc,
    '-p',
    join(REPO_ROOT, 'scripts', 'sst', 'tsconfig.sst.json'),
    '--incremental',
    '--tsBuildInfoFile',
    join(REPO_ROOT, '.sst', 'tsc-sst.tsbuildinfo'),
  ];
  const result = await run(process.execPath, args, { cwd: REPO_ROOT }).then(
    () => ({ ok: true, output: '' }),
    (error: Error & { stdout?: string; stderr?: string }) => ({
      ok: false,
      output: `${error.stdout ?? ''}${error.stderr ?? ''}` || error.message,
    }),
  );
  expect(result.output).toBe('');
  expect(result.ok).toBe(true);
}, 180_000);

it('sst.config.ts has no top-level imports (the SST CLI refuses them)', () => {
  const source = readFileSync(join(REPO_ROOT, 'sst.config.ts'), 'utf8');
  const topLevelImports = source.split('\n').filter((line) => /^import[\s{*]/.test(line));
  expect(topLevelImports).toEqual([]);
});
