/**
 * The worker as a child process (src/main.ts) on a filesystem store and a SQLite queue: graceful
 * SIGTERM, release after the grace period, and SIGKILL fault injection.
 */
import { type ChildProcess, spawn } from 'node:child_process';
import { mkdtemp, readFile, rm } from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { FsObjectStore } from '../../shared/src/adapters/fs-store.ts';
import { openSqliteQueue, type SqliteQueue } from '../../shared/src/adapters/sqlite-queue.ts';
import type { JobSpec } from '../../shared/src/jobs.ts';
import { readStatus } from '../src/status.ts';
import { PHOTOS, tinyBundleDir } from './helpers/bundle.ts';
import { until } from './helpers/until.ts';
import { message } from './helpers/world.ts';

const MAIN = path.resolve(import.meta.dirname, '../src/main.ts');

let dir: string;
let bundleDir: string;
let store: FsObjectStore;
beforeAll(async () => {
  bundleDir = await tinyBundleDir();
  dir = await mkdtemp(path.join(os.tmpdir(), 'diffae-gw-proc-'));
  store = new FsObjectStore({ root: path.join(dir, 'store') });
  await store.put('uploads/t1/p.png', await readFile(path.join(PHOTOS, 'imgs_align_sandy.png')));
});
afterAll(() => rm(dir, { recursive: true, force: true }));

interface Worker {
  child: ChildProcess;
  lines: string[];
  exited: Promise<number | null>;
}

function startWorker(queueFile: string, env: Record<string, string> = {}): Worker {
  const child = spawn(process.execPath, ['--import', 'tsx', MAIN], {
    cwd: path.resolve(import.meta.dirname, '..'),
    env: {
      ...process.env,
      DIFFAE_STORAGE: `file://${path.join(dir, 'store')}`,
      DIFFAE_QUEUE: `sqlite://${queueFile}?maxReceives=10&pollIntervalMs=20`,
      DIFFAE_BUNDLE_DIR: bundleDir,
      DIFFAE_CACHE_DIR: path.join(dir, 'cache'),
      DIFFAE_EXECUTION_PROVIDERS: 'cpu',
      DIFFAE_INTRA_OP_THREADS: '1',
      DIFFAE_VISIBILITY_TIMEOUT: '3',
      DIFFAE_POLL_WAIT_S: '1',
      DIFFAE_RETRY_BASE_S: '0',
      DIFFAE_PROGRESS_INTERVAL_MS: '0',
      DIFFAE_MAX_JOBS_IN_FLIGHT: '2',
      ...env,
    },
    stdio: ['ignore', 'pipe', 'pipe'],
  });
  const lines: string[] = [];
  let buf = '';
  child.stdout?.on('data', (d: Buffer) => {
    buf += d.toString();
    const parts = buf.split('\n');
    buf = parts.pop() ?? '';
    lines.push(...parts);
  });
  child.stderr?.on('data', (d: Buffer) => lines.push(`stderr: ${d.toString()}`));
  const exited = new Promise<number | null>((resolve) => child.on('exit', (code) => resolve(code)));
  return { child, lines, exited };
}

const logged = (w: Worker, msg: string) => w.lines.filter((l) => l.includes(`"msg":"${msg}"`));
const longJob = (steps: number): JobSpec => ({
  kind: 'reconstruct',
  input: { image: 'uploads/t1/p.png' },
  inversionSteps: steps,
  renderSteps: steps,
});
const stateOf = async (jobId: string) => (await readStatus(store, jobId))?.state;

function queue(name: string): SqliteQueue {
  return openSqliteQueue({ path: path.join(dir, name), maxReceives: 10 });
}

describe('worker process', () => {
  it('SIGTERM: stops receiving, lets the running job finish within the grace period, exits 0', async () => {
    const qFile = path.join(dir, 'term.db');
    const q = queue('term.db');
    const w = startWorker(qFile, { DIFFAE_SHUTDOWN_GRACE_S: '60' });
    const msg = message(longJob(30));
    await q.send(JSON.stringify(msg));
    await until('job running', async () => (await stateOf(msg.jobId)) === 'running');
    w.child.kill('SIGTERM');
    expect(await w.exited).toBe(0);
    expect(await stateOf(msg.jobId)).toBe('succeeded');
    expect(await q.stats()).toMatchObject({ visible: 0, inFlight: 0 });
    await q.close();
  });

  it('SIGTERM past the grace period: the unfinished job is released for another worker, exit 0', async () => {
    const qFile = path.join(dir, 'release.db');
    const q = queue('release.db');
    const w = startWorker(qFile, { DIFFAE_SHUTDOWN_GRACE_S: '0.2' });
    const msg = message(longJob(200));
    await q.send(JSON.stringify(msg));
    await until('job running', async () => (await stateOf(msg.jobId)) === 'running');
    w.child.kill('SIGTERM');
    expect(await w.exited).toBe(0);
    expect(logged(w, 'job interrupted by shutdown; releasing it')).toHaveLength(1);
    expect(await stateOf(msg.jobId)).toBe('running');
    expect((await q.stats()).visible).toBe(1); // visible again at once, not after the timeout
    await q.close();
  });

  it('kill -9 mid-job, several times: after restarts every job succeeds exactly once', async () => {
    const qFile = path.join(dir, 'kill.db');
    const q = queue('kill.db');
    const jobs = Array.from({ length: 4 }, () => message(longJob(25)));
    for (const m of jobs) await q.send(JSON.stringify(m));
    const workers: Worker[] = [];
    for (let kill = 0; kill < 3; kill++) {
      const w = startWorker(qFile);
      workers.push(w);
      // Kill while some job is mid-way (running status written, more steps to go).
      await until('a job running', async () => {
        for (const m of jobs) if ((await stateOf(m.jobId)) === 'running') return true;
        return false;
      });
      await new Promise((r) => setTimeout(r, 150));
      w.child.kill('SIGKILL');
      await w.exited;
    }
    const last = startWorker(qFile);
    workers.push(last);
    await until(
      'all jobs finished',
      async () => {
        for (const m of jobs) if ((await stateOf(m.jobId)) !== 'succeeded') return false;
        return true;
      },
      { ms: 80_000 },
    );
    last.child.kill('SIGTERM');
    expect(await last.exited).toBe(0);
    const lines = workers.flatMap((w) => w.lines);
    for (const m of jobs) {
      const successes = lines.filter(
        (l) => l.includes('"msg":"job succeeded"') && l.includes(`"jobId":"${m.jobId}"`),
      );
      expect(successes.length, `success lines of ${m.jobId}`).toBe(1);
    }
    // The kills interrupted work: some job needed more than one delivery.
    const attempts = await Promise.all(
      jobs.map(async (m) => (await readStatus(store, m.jobId))?.attempts ?? 0),
    );
    expect(Math.max(...attempts)).toBeGreaterThan(1);
    expect(await q.stats()).toMatchObject({ visible: 0, inFlight: 0 });
    expect(await (await q.deadLetterQueue())?.stats()).toMatchObject({ visible: 0 });
    await q.close();
  }, 120_000);
});
