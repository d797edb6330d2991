/**
 * The JobQueue contract: every adapter runs these tests (sqlite-queue.test.ts, sqs-queue.test.ts).
 * Each test gets a fresh queue with a 1 s visibility timeout and redrive after 2 receives.
 */
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { QueueError } from '../../src/adapters/errors.ts';
import type { JobQueue, QueueMessage } from '../../src/ports.ts';

export const CONTRACT_VISIBILITY_SECONDS = 1;
export const CONTRACT_MAX_RECEIVES = 2;

export interface QueueContractOptions {
  /** Whether `dedupId` suppresses a second send (SQLite, FIFO SQS) or is ignored (standard SQS). */
  dedup: boolean;
}

const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));

async function queueCode(p: Promise<unknown>): Promise<string | undefined> {
  return p.then(
    () => undefined,
    (e: unknown) => (e instanceof QueueError ? e.code : `not a QueueError: ${String(e)}`),
  );
}

/**
 * Receives until `count` messages arrived or `ms` passed (SQS may split a batch). A long visibility
 * timeout keeps messages received early from coming back and being counted twice.
 */
async function receiveAll(queue: JobQueue, count: number, ms = 3000): Promise<QueueMessage[]> {
  const out: QueueMessage[] = [];
  const deadline = Date.now() + ms;
  while (out.length < count && Date.now() < deadline) {
    const max = Math.min(10, count - out.length);
    out.push(...(await queue.receive({ max, waitSeconds: 1, visibilityTimeout: 30 })));
  }
  return out;
}

export function describeQueueContract(
  name: string,
  makeQueue: () => Promise<JobQueue>,
  opts: QueueContractOptions,
): void {
  describe(`JobQueue contract: ${name}`, () => {
    let queue: JobQueue;
    beforeEach(async () => {
      queue = await makeQueue();
    });
    afterEach(async () => {
      await queue.close();
    });

    it('sends, receives and deletes', async () => {
      const sent = await Promise.all(['a', 'b', 'c'].map((b) => queue.send(JSON.stringify({ job: b }))));
      expect(new Set(sent.map((s) => s.messageId)).size).toBe(3);
      const got = await receiveAll(queue, 3);
      expect(got.map((m) => JSON.parse(m.body).job).sort()).toEqual(['a', 'b', 'c']);
      expect(got.map((m) => m.id).sort()).toEqual(sent.map((s) => s.messageId).sort());
      for (const m of got) {
        expect(m.receiveCount).toBe(1);
        // Back to the short timeout, so the check below would see them return if delete did nothing.
        await queue.changeVisibility(m.receipt, CONTRACT_VISIBILITY_SECONDS);
        expect(m.receipt.length).toBeGreaterThan(0);
        expect(m.firstReceivedAt).toBeInstanceOf(Date);
      }
      expect(await queue.stats()).toMatchObject({ visible: 0, inFlight: 3 });
      for (const m of got) await queue.delete(m.receipt);
      expect(await queue.stats()).toMatchObject({ visible: 0, inFlight: 0 });
      await sleep(CONTRACT_VISIBILITY_SECONDS * 1000 + 200);
      expect(await queue.receive({ max: 10, waitSeconds: 0 })).toEqual([]);
    });

    it('redelivers after the visibility timeout with a new receipt; the stale receipt deletes nothing', async () => {
      const { messageId } = await queue.send('work');
      const [first] = await queue.receive({ max: 1, waitSeconds: 1 });
      expect(first?.id).toBe(messageId);
      expect(await queue.receive({ max: 1, waitSeconds: 0 })).toEqual([]); // hidden
      const [second] = await queue.receive({ max: 1, waitSeconds: 3 });
      expect(second?.id).toBe(messageId);
      expect(second?.receiveCount).toBe(2);
      expect(second?.receipt).not.toBe(first?.receipt);
      // Stale receipt: resolves (SQLite; fauxqs) or is refused, but must not delete the redelivered message.
      const staleCode = await queueCode(queue.delete(first?.receipt ?? ''));
      expect([undefined, 'receipt_invalid']).toContain(staleCode);
      expect(await queueCode(queue.changeVisibility(first?.receipt ?? '', 0))).toBe('receipt_invalid');
      expect(await queue.stats()).toMatchObject({ inFlight: 1 });
      await queue.delete(second?.receipt ?? '');
      expect(await queue.stats()).toMatchObject({ visible: 0, inFlight: 0 });
    });

    it('keeps a message hidden while changeVisibility heartbeats, and releases it with 0', async () => {
      await queue.send('long job');
      const [m] = await queue.receive({ max: 1, waitSeconds: 1 });
      if (!m) throw new Error('no message');
      for (let i = 0; i < 3; i++) {
        await sleep(500);
        // Back to the short timeout, so the check below would see them return if delete did nothing.
        await queue.changeVisibility(m.receipt, CONTRACT_VISIBILITY_SECONDS);
      }
      // 1.5 s after receive, past the 1 s timeout: still hidden thanks to the heartbeats.
      expect(await queue.receive({ max: 1, waitSeconds: 0 })).toEqual([]);
      await queue.changeVisibility(m.receipt, 0);
      const [again] = await queue.receive({ max: 1, waitSeconds: 1 });
      expect(again?.id).toBe(m.id);
      expect(again?.receiveCount).toBe(2);
      await queue.delete(again?.receipt ?? '');
    });

    it('moves a message to the dead-letter queue after maxReceives receives', async () => {
      const { messageId } = await queue.send('poison');
      for (let n = 1; n <= CONTRACT_MAX_RECEIVES; n++) {
        const [m] = await queue.receive({ max: 1, waitSeconds: 1 });
        expect(m?.receiveCount).toBe(n);
        await queue.changeVisibility(m?.receipt ?? '', 0); // fail fast instead of waiting out the timeout
      }
      expect(await queue.receive({ max: 1, waitSeconds: 1 })).toEqual([]);
      const dlq = await queue.deadLetterQueue();
      if (!dlq) throw new Error('expected a dead-letter queue');
      const [dead] = await dlq.receive({ max: 1, waitSeconds: 2 });
      expect(dead?.id).toBe(messageId);
      expect(dead?.body).toBe('poison');
      await dlq.delete(dead?.receipt ?? '');
      expect(await queue.stats()).toMatchObject({ visible: 0, inFlight: 0 });
    });

    it('returns from a long poll as soon as a message arrives', async () => {
      const started = Date.now();
      const polling = queue.receive({ max: 1, waitSeconds: 10 });
      await sleep(300);
      await queue.send('wake up');
      const got = await polling;
      expect(got.map((m) => m.body)).toEqual(['wake up']);
      expect(Date.now() - started).toBeLessThan(2500);
    });

    it('ends a long poll with [] when the signal aborts', async () => {
      const controller = new AbortController();
      const started = Date.now();
      const polling = queue.receive({ max: 1, waitSeconds: 10, signal: controller.signal });
      setTimeout(() => controller.abort(), 200);
      expect(await polling).toEqual([]);
      expect(Date.now() - started).toBeLessThan(1500);
      expect(await queue.receive({ max: 1, waitSeconds: 1, signal: AbortSignal.abort() })).toEqual([]);
    });

    it('counts visible, in-flight and delayed messages; delayed ones arrive later', async () => {
      await queue.send('one');
      await queue.send('two');
      await queue.send('later', { delaySeconds: 1 });
      const [m] = await queue.receive({ max: 1, waitSeconds: 1, visibilityTimeout: 10 });
      expect(m).toBeDefined();
      expect(await queue.stats()).toMatchObject({ visible: 1, inFlight: 1, delayed: 1 });
      const rest = await receiveAll(queue, 2, 4000);
      expect(rest.map((x) => x.body).sort()).toEqual(['later', m?.body === 'one' ? 'two' : 'one'].sort());
    });

    it('rejects bad arguments with clear codes', async () => {
      expect(await queueCode(queue.send(''))).toBe('message_too_large');
      expect(await queueCode(queue.send('x'.repeat(262_145)))).toBe('message_too_large');
      expect(await queueCode(queue.send('x', { delaySeconds: 901 }))).toBe('invalid_argument');
      expect(await queueCode(queue.receive({ max: 0, waitSeconds: 0 }))).toBe('invalid_argument');
      expect(await queueCode(queue.receive({ max: 11, waitSeconds: 0 }))).toBe('invalid_argument');
      expect(await queueCode(queue.receive({ max: 1, waitSeconds: 21 }))).toBe('invalid_argument');
      expect(await queueCode(queue.changeVisibility('', 1))).toBe('receipt_invalid');
      expect(await queueCode(queue.changeVisibility('not-a-receipt', 1))).toBe('receipt_invalid');
      await queue.send('x'.repeat(262_144)); // exactly the limit is fine
    });

    it(`dedupId ${opts.dedup ? 'suppresses a repeated send' : 'is ignored'}`, async () => {
      await queue.send('job-1', { dedupId: 'job-1' });
      await queue.send('job-1', { dedupId: 'job-1' });
      const got = await receiveAll(queue, 2, 1500);
      expect(got.length).toBe(opts.dedup ? 1 : 2);
    });
  });
}
