/** Runs the config for one stage in a child process (run-config.ts) and returns what it registered. */
import { execFile } from 'node:child_process';
import { mkdtemp, readFile, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { promisify } from 'node:util';
import { REPO_ROOT } from './platform.ts';
import type { RunResult } from './run-config.ts';

const run = promisify(execFile);
const RUNNER = join(REPO_ROOT, 'test', 'deploy', 'harness', 'run-config.ts');

/** Secret values the runs see, as `sst secret set` would provide them. */
export const TEST_SECRETS = {
  DiffaeApiKeys: JSON.stringify([{ hash: 'a'.repeat(64), tenant: 'ci', kind: 'secret' }]),
  DiffaeWebhookSecret: 'whsec-test',
};

export interface SynthInput {
  stage: string;
  /** Stage options (DIFFAE_*); the parent's DIFFAE_* and SST_* variables are not inherited. */
  env?: Record<string, string>;
}

function childEnv(extra: Record<string, string>): NodeJS.ProcessEnv {
  const inherited = Object.fromEntries(
    Object.entries(process.env).filter(([key]) => !key.startsWith('DIFFAE_') && !key.startsWith('SST_')),
  );
  const secrets = Object.fromEntries(
    Object.entries(TEST_SECRETS).map(([name, value]) => [`SST_SECRET_${name}`, value]),
  );
  return { ...inherited, ...secrets, ...extra };
}

export async function synthesize({ stage, env = {} }: SynthInput): Promise<RunResult> {
  const dir = await mkdtemp(join(tmpdir(), 'diffae-sst-result-'));
  const resultPath = join(dir, 'result.json');
  try {
    await run(process.execPath, ['--import', 'tsx', RUNNER, stage, resultPath], {
      cwd: REPO_ROOT,
      env: childEnv(env),
      maxBuffer: 16 * 1024 * 1024,
    }).catch((error: Error & { stderr?: string }) => {
      throw new Error(`running sst.config.ts for stage ${stage} failed:\n${error.stderr || error.message}`);
    });
    return JSON.parse(await readFile(resultPath, 'utf8')) as RunResult;
  } finally {
    await rm(dir, { recursive: true, force: true });
  }
}
