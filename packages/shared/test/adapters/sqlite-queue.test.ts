import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { QueueError } from '../../src/adapters/errors.ts';
import { openQueue } from '../../src/adapters/from-url.ts';
import { openSqliteQueue, SqliteQueue, type SqliteQueueOptions } from '../../src/adapters/sqlite-queue.ts';
import {
  CONTRACT_MAX_RECEIVES,
  CONTRACT_VISIBILITY_SECONDS,
  describeQueueContract,
} from './queue-contract.ts';

const dir = mkdtempSync(path.join(tmpdir(), 'diffae-sqlite-queue-'));
let n = 0;
const freshFile = () => path.join(dir, `q${n++}.db`);

afterAll(() => rmSync(dir, { recursive: true, force: true }));

const contractOptions = {
  visibilityTimeout: CONTRACT_VISIBILITY_SECONDS,
  maxReceives: CONTRACT_MAX_RECEIVES,
};
describeQueueContract('SQLite', async () => openSqliteQueue({ path: freshFile(), ...contractOptions }), {
  dedup: true,
});

describe('SqliteQueue specifics', () => {
  const open = (file: string, extra: Partial<SqliteQueueOptions> = {}) =>
    openSqliteQueue({ path: file, ...contractOptions, ...extra });

  it('keeps messages and in-flight state across close and reopen', async () => {
    const file = freshFile();
    const a = open(file);
    await a.send('in flight');
    await a.receive({ max: 1, waitSeconds: 0, visibilityTimeout: 30 });
    await a.send('survives');
    await a.close();
    const b = open(file);
    expect(await b.stats()).toEqual({ visible: 1, inFlight: 1, delayed: 0 });
    const [m] = await b.receive({ max: 10, waitSeconds: 0 });
    expect(m?.body).toBe('survives');
    await b.close();
    await expect(b.send('x')).rejects.toMatchObject({ code: 'queue_closed' });
  });

  it('shares one file between two connections without double delivery', async () => {
    const file = freshFile();
    const edge = open(file);
    const workerA = open(file, { visibilityTimeout: 30 });
    const workerB = open(file, { visibilityTimeout: 30 });
    const bodies = Array.from({ length: 40 }, (_, i) => `job-${i}`);
    for (const b of bodies) await edge.send(b);
    const take = async (q: SqliteQueue) => {
      const got: string[] = [];
      for (;;) {
        const batch = await q.receive({ max: 3, waitSeconds: 0 });
        if (batch.length === 0) return got;
        got.push(...batch.map((m) => m.body));
      }
    };
    const [fromA, fromB] = await Promise.all([take(workerA), take(workerB)]);
    expect([...fromA, ...fromB].sort()).toEqual([...bodies].sort());
    expect(await edge.stats()).toMatchObject({ visible: 0, inFlight: 40 });
    await Promise.all([edge.close(), workerA.close(), workerB.close()]);
  });

  it('wakes a long poll for a message sent through another connection', async () => {
    const file = freshFile();
    const edge = open(file);
    const worker = open(file, { pollIntervalMs: 50 });
    const started = Date.now();
    const polling = worker.receive({ max: 1, waitSeconds: 5 });
    setTimeout(() => void edge.send('cross-connection'), 200);
    expect((await polling).map((m) => m.body)).toEqual(['cross-connection']);
    expect(Date.now() - started).toBeLessThan(1500);
    await Promise.all([edge.close(), worker.close()]);
  });

  it('returns the first id for a repeated dedupId and forgets it after the window', async () => {
    const q = open(freshFile(), { dedupWindowSeconds: 1 });
    const first = await q.send('a', { dedupId: 'render-42' });
    expect((await q.send('a', { dedupId: 'render-42' })).messageId).toBe(first.messageId);
    await new Promise((r) => setTimeout(r, 1100));
    expect((await q.send('a', { dedupId: 'render-42' })).messageId).not.toBe(first.messageId);
    expect((await q.stats()).visible).toBe(2);
    await q.close();
  });

  it('has no dead-letter queue when redrive is disabled', async () => {
    const q = open(freshFile(), { maxReceives: null });
    expect(await q.deadLetterQueue()).toBeNull();
    expect(await q.describe()).toEqual({});
    await q.send('x');
    for (let i = 1; i <= 4; i++) {
      const [m] = await q.receive({ max: 1, waitSeconds: 0 });
      expect(m?.receiveCount).toBe(i);
      await q.changeVisibility(m?.receipt ?? '', 0);
    }
    await q.close();
  });

  it('opens from a sqlite:// URL and refuses bad ones', async () => {
    const file = freshFile();
    const q = await openQueue(`sqlite://${file}?maxReceives=3&visibilityTimeout=7&queue=renders`);
    expect(q).toBeInstanceOf(SqliteQueue);
    expect((q as SqliteQueue).name).toBe('renders');
    expect(await q.describe?.()).toEqual({ maxReceives: 3 });
    await q.close();
    await expect(openQueue(`sqlite://${file}?maxRecieves=3`)).rejects.toThrow(
      /unknown parameter "maxRecieves"/,
    );
    await expect(openQueue('sqlite://relative/x.db')).rejects.toBeInstanceOf(QueueError);
    expect(() => openSqliteQueue({ path: 'relative.db' })).toThrow(/absolute/);
    expect(() => openSqliteQueue({ path: freshFile(), queue: 'bad name' })).toThrow(/queue name/);
  });
});
