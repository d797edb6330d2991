/**
 * Durable JobQueue in one SQLite file (single-machine setup), with SQS semantics: visibility timeouts,
 * a fresh receipt per receive (a stale receipt cannot delete a redelivered message), long polling,
 * redrive to a dead-letter queue after `maxReceives` receives, optional deduplication ids.
 *
 * Several processes may open the same file (edge sends, worker receives): WAL mode, a busy timeout and
 * `BEGIN IMMEDIATE` transactions make every receive claim its messages exclusively. Long polls wake at
 * once for sends in the same process and otherwise poll every `pollIntervalMs`.
 * All queues of a file live in one `messages` table; a dead-letter queue is just another queue name.
 */
import { randomBytes, randomUUID } from 'node:crypto';
import path from 'node:path';
import Database from 'better-sqlite3';
import type { JobQueue, QueueMessage, QueueStats, ReceiveOptions, SendOptions } from '../ports.ts';
import { queueArg } from './args.ts';
import { QueueError } from './errors.ts';
import {
  checkReceipt,
  checkReceive,
  checkSend,
  checkVisibility,
  MAX_VISIBILITY_SECONDS,
} from './queue-limits.ts';

export interface SqliteQueueOptions {
  /** Database file (created if missing). */
  path: string;
  /** Queue name inside the file (default `"jobs"`). */
  queue?: string;
  /** Default visibility timeout in seconds (default 30). */
  visibilityTimeout?: number;
  /** Receives before a message is dead-lettered (default 5); `null` disables redrive. */
  maxReceives?: number | null;
  /** Dead-letter queue name (default `"<queue>-dlq"`). */
  deadLetterQueue?: string;
  /** How long a dedupId is remembered (default 300 s, like SQS FIFO). */
  dedupWindowSeconds?: number;
  /** Long-poll interval for messages sent by other processes (default 100 ms). */
  pollIntervalMs?: number;
  /** How long a write waits for another process's lock (default 5000 ms). */
  busyTimeoutMs?: number;
}

interface Row {
  seq: number;
  id: string;
  body: string;
  receive_count: number;
  first_received_at: number | null;
}

const SCHEMA = `
CREATE TABLE IF NOT EXISTS messages (
  seq INTEGER PRIMARY KEY AUTOINCREMENT,
  id TEXT NOT NULL UNIQUE,
  queue TEXT NOT NULL,
  body TEXT NOT NULL,
  sent_at INTEGER NOT NULL,
  visible_at INTEGER NOT NULL,
  receive_count INTEGER NOT NULL DEFAULT 0,
  first_received_at INTEGER,
  receipt TEXT UNIQUE
);
CREATE INDEX IF NOT EXISTS messages_ready ON messages (queue, visible_at, seq);
CREATE TABLE IF NOT EXISTS dedup (
  queue TEXT NOT NULL,
  dedup_id TEXT NOT NULL,
  message_id TEXT NOT NULL,
  expires_at INTEGER NOT NULL,
  PRIMARY KEY (queue, dedup_id)
);
`;

const QUEUE_NAME = /^[A-Za-z0-9_-]{1,80}$/;

function wrapSqliteError(err: unknown, what: string): never {
  if (err instanceof QueueError) throw err;
  const code = (err as { code?: string } | null)?.code ?? '';
  const transient = code.startsWith('SQLITE_BUSY') || code.startsWith('SQLITE_LOCKED');
  throw new QueueError(transient ? 'queue_unavailable' : 'queue_error', `${what}: ${String(err)}`, {
    cause: err,
  });
}

/** Long polls waiting on each database file in this process, woken by sends through any connection. */
const waitersByFile = new Map<string, Set<() => void>>();

/** One connection to a queue file, shared by the queue handles opened on it (queue and its DLQ). */
class QueueFile {
  readonly db: Database.Database;
  readonly #waiters: Set<() => void>;
  closed = false;

  constructor(file: string, busyTimeoutMs: number) {
    const waiters = waitersByFile.get(file) ?? new Set();
    waitersByFile.set(file, waiters);
    this.#waiters = waiters;
    try {
      this.db = new Database(file, { timeout: busyTimeoutMs });
      this.db.pragma('journal_mode = WAL');
      this.db.pragma('synchronous = FULL');
      this.db.exec(SCHEMA);
    } catch (err) {
      wrapSqliteError(err, `open queue database ${file}`);
    }
  }

  /** Resolves on an in-process send/release, after `ms`, on abort, or on close. */
  wait(ms: number, signal: AbortSignal | undefined): Promise<void> {
    return new Promise((resolve) => {
      const done = () => {
        clearTimeout(timer);
        this.#waiters.delete(done);
        signal?.removeEventListener('abort', done);
        resolve();
      };
      const timer = setTimeout(done, Math.max(1, ms));
      this.#waiters.add(done);
      signal?.addEventListener('abort', done, { once: true });
    });
  }

  wake(): void {
    for (const w of [...this.#waiters]) w();
  }

  close(): void {
    this.closed = true;
    this.wake(); // also wakes other connections' polls: harmless, they just look again
    this.db.close();
  }
}

export class SqliteQueue implements JobQueue {
  readonly name: string;
  readonly #file: QueueFile;
  readonly #ownsFile: boolean;
  readonly #visibilityMs: number;
  readonly #maxReceives: number | null;
  readonly #dlqName: string | null;
  readonly #dedupWindowMs: number;
  readonly #pollMs: number;
  readonly #stmt;

  /** Use {@link openSqliteQueue}. */
  constructor(file: QueueFile, ownsFile: boolean, opts: Omit<SqliteQueueOptions, 'path' | 'busyTimeoutMs'>) {
    const name = opts.queue ?? 'jobs';
    if (!QUEUE_NAME.test(name))
      throw new QueueError('invalid_argument', `queue name must match ${QUEUE_NAME}: ${name}`);
    this.name = name;
    this.#file = file;
    this.#ownsFile = ownsFile;
    this.#visibilityMs =
      queueArg('visibilityTimeout', opts.visibilityTimeout ?? 30, 0, MAX_VISIBILITY_SECONDS) * 1000;
    const maxReceives = opts.maxReceives === undefined ? 5 : opts.maxReceives;
    this.#maxReceives = maxReceives === null ? null : queueArg('maxReceives', maxReceives, 1, 1000);
    const dlq = opts.deadLetterQueue ?? `${name}-dlq`;
    if (!QUEUE_NAME.test(dlq) || dlq === name) {
      throw new QueueError(
        'invalid_argument',
        `dead-letter queue name must match ${QUEUE_NAME} and differ: ${dlq}`,
      );
    }
    this.#dlqName = this.#maxReceives === null ? null : dlq;
    this.#dedupWindowMs = queueArg('dedupWindowSeconds', opts.dedupWindowSeconds ?? 300, 1, 86_400) * 1000;
    this.#pollMs = queueArg('pollIntervalMs', opts.pollIntervalMs ?? 100, 5, 10_000);
    const db = file.db;
    this.#stmt = {
      insert: db.prepare(
        'INSERT INTO messages (id, queue, body, sent_at, visible_at) VALUES (?, ?, ?, ?, ?)',
      ),
      dedupFind: db.prepare('SELECT message_id, expires_at FROM dedup WHERE queue = ? AND dedup_id = ?'),
      dedupPut: db.prepare(
        'INSERT OR REPLACE INTO dedup (queue, dedup_id, message_id, expires_at) VALUES (?, ?, ?, ?)',
      ),
      dedupPrune: db.prepare('DELETE FROM dedup WHERE queue = ? AND expires_at <= ?'),
      ready: db.prepare<[string, number, number], Row>(
        `SELECT seq, id, body, receive_count, first_received_at FROM messages
         WHERE queue = ? AND visible_at <= ? ORDER BY visible_at, seq LIMIT ?`,
      ),
      claim: db.prepare(
        `UPDATE messages SET receipt = ?, visible_at = ?, receive_count = receive_count + 1,
         first_received_at = COALESCE(first_received_at, ?) WHERE seq = ?`,
      ),
      deadLetter: db.prepare('UPDATE messages SET queue = ?, receipt = NULL, visible_at = ? WHERE seq = ?'),
      delete: db.prepare('DELETE FROM messages WHERE queue = ? AND receipt = ?'),
      changeVisibility: db.prepare(
        'UPDATE messages SET visible_at = ? WHERE queue = ? AND receipt = ? AND visible_at > ?',
      ),
      nextVisibleAt: db.prepare<[string], { t: number | null }>(
        'SELECT MIN(visible_at) AS t FROM messages WHERE queue = ?',
      ),
      stats: db.prepare<
        [number, number, number, string],
        { visible: number; inFlight: number; delayed: number }
      >(
        `SELECT COALESCE(SUM(visible_at <= ?), 0) AS visible,
                COALESCE(SUM(visible_at > ? AND receive_count > 0), 0) AS inFlight,
                COALESCE(SUM(visible_at > ? AND receive_count = 0), 0) AS delayed
         FROM messages WHERE queue = ?`,
      ),
    };
  }

  #open(): QueueFile {
    if (this.#file.closed) throw new QueueError('queue_closed', `queue ${this.name} is closed`);
    return this.#file;
  }

  async send(body: string, opts: SendOptions = {}): Promise<{ messageId: string }> {
    const { delaySeconds } = checkSend(body, opts);
    const file = this.#open();
    const now = Date.now();
    const run = file.db.transaction((): string => {
      if (opts.dedupId !== undefined) {
        this.#stmt.dedupPrune.run(this.name, now);
        const seen = this.#stmt.dedupFind.get(this.name, opts.dedupId) as { message_id: string } | undefined;
        if (seen) return seen.message_id;
      }
      const id = randomUUID();
      this.#stmt.insert.run(id, this.name, body, now, now + delaySeconds * 1000);
      if (opts.dedupId !== undefined)
        this.#stmt.dedupPut.run(this.name, opts.dedupId, id, now + this.#dedupWindowMs);
      return id;
    });
    let messageId: string;
    try {
      messageId = run.immediate();
    } catch (err) {
      wrapSqliteError(err, `send to ${this.name}`);
    }
    if (delaySeconds === 0) file.wake();
    return { messageId };
  }

  async receive(opts: ReceiveOptions): Promise<QueueMessage[]> {
    checkReceive(opts);
    const visibilityMs =
      opts.visibilityTimeout === undefined ? this.#visibilityMs : opts.visibilityTimeout * 1000;
    const deadline = Date.now() + opts.waitSeconds * 1000;
    for (;;) {
      if (opts.signal?.aborted) return [];
      const file = this.#open();
      const messages = this.#claim(opts.max, visibilityMs);
      const now = Date.now();
      if (messages.length > 0 || now >= deadline) return messages;
      const next = this.#stmt.nextVisibleAt.get(this.name)?.t ?? Number.POSITIVE_INFINITY;
      await file.wait(Math.min(this.#pollMs, deadline - now, next - now), opts.signal);
    }
  }

  /** One `BEGIN IMMEDIATE` transaction: claims up to `max` ready messages, dead-letters exhausted ones. */
  #claim(max: number, visibilityMs: number): QueueMessage[] {
    const run = this.#file.db.transaction((): QueueMessage[] => {
      const now = Date.now();
      const out: QueueMessage[] = [];
      const seen = new Set<number>();
      for (;;) {
        let progressed = false;
        let movedAny = false;
        for (const row of this.#stmt.ready.all(this.name, now, max - out.length)) {
          if (seen.has(row.seq)) continue; // visibilityTimeout 0 keeps a claimed row ready
          seen.add(row.seq);
          progressed = true;
          if (
            this.#dlqName !== null &&
            this.#maxReceives !== null &&
            row.receive_count >= this.#maxReceives
          ) {
            this.#stmt.deadLetter.run(this.#dlqName, now, row.seq);
            movedAny = true;
            continue;
          }
          const receipt = randomBytes(18).toString('base64url');
          this.#stmt.claim.run(receipt, now + visibilityMs, now, row.seq);
          out.push({
            id: row.id,
            body: row.body,
            receipt,
            receiveCount: row.receive_count + 1,
            firstReceivedAt: new Date(row.first_received_at ?? now),
          });
        }
        if (out.length >= max || !progressed || !movedAny) return out;
      }
    });
    try {
      return run.immediate();
    } catch (err) {
      wrapSqliteError(err, `receive from ${this.name}`);
    }
  }

  async delete(receipt: string): Promise<void> {
    checkReceipt(receipt);
    try {
      this.#stmt.delete.run(this.name, receipt);
    } catch (err) {
      wrapSqliteError(err, `delete from ${this.name}`);
    }
  }

  async changeVisibility(receipt: string, seconds: number): Promise<void> {
    checkReceipt(receipt);
    checkVisibility(seconds);
    const file = this.#open();
    const now = Date.now();
    let changes: number;
    try {
      changes = this.#stmt.changeVisibility.run(now + seconds * 1000, this.name, receipt, now).changes;
    } catch (err) {
      wrapSqliteError(err, `changeVisibility on ${this.name}`);
    }
    if (changes === 0) {
      throw new QueueError(
        'receipt_invalid',
        `receipt is stale or its message is no longer in flight (${this.name})`,
      );
    }
    if (seconds === 0) file.wake();
  }

  async stats(): Promise<QueueStats> {
    this.#open();
    const now = Date.now();
    try {
      const row = this.#stmt.stats.get(now, now, now, this.name);
      return { visible: row?.visible ?? 0, inFlight: row?.inFlight ?? 0, delayed: row?.delayed ?? 0 };
    } catch (err) {
      wrapSqliteError(err, `stats of ${this.name}`);
    }
  }

  async describe(): Promise<{ maxReceives?: number }> {
    return this.#maxReceives === null ? {} : { maxReceives: this.#maxReceives };
  }

  async deadLetterQueue(): Promise<JobQueue | null> {
    if (this.#dlqName === null) return null;
    return new SqliteQueue(this.#open(), false, {
      queue: this.#dlqName,
      maxReceives: null,
      visibilityTimeout: this.#visibilityMs / 1000,
      pollIntervalMs: this.#pollMs,
    });
  }

  /** Closes the file when this handle opened it; DLQ handles share it and close with their parent. */
  async close(): Promise<void> {
    if (this.#ownsFile && !this.#file.closed) this.#file.close();
  }
}

export function openSqliteQueue(opts: SqliteQueueOptions): SqliteQueue {
  if (typeof opts.path !== 'string' || !(path.isAbsolute(opts.path) || opts.path === ':memory:')) {
    throw new QueueError('invalid_argument', `SQLite queue path must be absolute: ${String(opts.path)}`);
  }
  const busy = queueArg('busyTimeoutMs', opts.busyTimeoutMs ?? 5000, 0, 600_000);
  const file = new QueueFile(opts.path === ':memory:' ? opts.path : path.resolve(opts.path), busy);
  try {
    return new SqliteQueue(file, true, opts);
  } catch (err) {
    file.close();
    throw err;
  }
}
