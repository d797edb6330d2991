import { describe, expect, it } from 'vitest';
import type { Tensor } from '../../shared/src/tensor.ts';
import { BatchingBackend } from '../src/batcher.ts';
import { FakeBackend } from './fake-backend.ts';

const S = 2;
const Z = 4;

function image(value: number, rows = 1): Tensor {
  return { data: new Float32Array(rows * 3 * S * S).fill(value), shape: [rows, 3, S, S] };
}
function latent(value: number, rows = 1): Tensor {
  return { data: new Float32Array(rows * Z).fill(value), shape: [rows, Z] };
}
function expectedEps(x: number, t: number, z: number): number {
  return Math.fround(0.1 * x + t / 1000 + 0.01 * z);
}

describe('BatchingBackend', () => {
  it('packs concurrent eps calls of different jobs at different timesteps into one run and splits the results', async () => {
    const fake = new FakeBackend(Z);
    const batcher = new BatchingBackend(fake, { maxBatch: 8, waitMs: 10_000 });
    const clients = [batcher.client('a'), batcher.client('b'), batcher.client('c')];
    const outs = await Promise.all(
      clients.map((c, i) => c.eps(image(i + 1), new Float32Array([100 * (i + 1)]), latent(i))),
    );
    expect(fake.calls).toEqual([{ kind: 'eps', rows: 3, t: [100, 200, 300] }]);
    outs.forEach((o, i) => {
      expect(o.shape).toEqual([1, 3, S, S]);
      expect(o.data[0]).toBeCloseTo(expectedEps(i + 1, 100 * (i + 1), i), 6);
    });
    expect(clients[1].stats().eps).toEqual({ calls: 1, rows: 1 });
  });

  it('never makes a lone job wait for the batching timeout', async () => {
    const batcher = new BatchingBackend(new FakeBackend(Z), { maxBatch: 8, waitMs: 60_000 });
    const job = batcher.client('solo');
    const started = performance.now();
    for (let step = 0; step < 5; step++) await job.eps(image(1), new Float32Array([step]), latent(0));
    expect(performance.now() - started).toBeLessThan(1000);
  });

  it('waits at most waitMs for a client that is busy elsewhere, then runs the partial batch', async () => {
    const batcher = new BatchingBackend(new FakeBackend(Z), { maxBatch: 8, waitMs: 30 });
    batcher.client('idle');
    const busy = batcher.client('busy');
    const started = performance.now();
    await busy.eps(image(1), new Float32Array([1]), latent(0));
    const waited = performance.now() - started;
    expect(waited).toBeGreaterThanOrEqual(25);
    expect(waited).toBeLessThan(1000);
  });

  it('runs at once when an idle client leaves', async () => {
    const batcher = new BatchingBackend(new FakeBackend(Z), { maxBatch: 8, waitMs: 60_000 });
    const idle = batcher.client('idle');
    const busy = batcher.client('busy');
    const result = busy.eps(image(1), new Float32Array([1]), latent(0));
    await new Promise((r) => setTimeout(r, 20));
    await idle.dispose();
    await expect(result).resolves.toMatchObject({ shape: [1, 3, S, S] });
  });

  it('caps runs at maxBatch rows', async () => {
    const fake = new FakeBackend(Z);
    const batcher = new BatchingBackend(fake, { maxBatch: 2, waitMs: 1 });
    const clients = Array.from({ length: 5 }, (_, i) => batcher.client(`j${i}`));
    await Promise.all(clients.map((c, i) => c.eps(image(i), new Float32Array([i]), latent(0))));
    expect(fake.calls.map((c) => c.rows)).toEqual([2, 2, 1]);
    expect(fake.calls.flatMap((c) => c.t)).toEqual([0, 1, 2, 3, 4]);
  });

  it('is fair: a job sending full batches cannot starve a one-row job', async () => {
    const fake = new FakeBackend(Z, { delayMs: 1 });
    const batcher = new BatchingBackend(fake, { maxBatch: 4, waitMs: 5 });
    const big = batcher.client('big');
    const small = batcher.client('small');
    const steps = 8;
    let smallDoneAtRun = -1;
    const runBig = async () => {
      for (let s = 0; s < steps; s++) await big.eps(image(1, 4), new Float32Array(4).fill(500), latent(0, 4));
    };
    const runSmall = async () => {
      for (let s = 0; s < steps; s++) await small.eps(image(2), new Float32Array([7]), latent(0));
      smallDoneAtRun = fake.calls.length;
    };
    await Promise.all([runBig(), runSmall()]);
    // Batches cannot mix (4 + 1 > 4), so runs alternate: the small job finishes within 2·steps runs.
    expect(fake.calls).toHaveLength(2 * steps);
    expect(smallDoneAtRun).toBeLessThanOrEqual(2 * steps);
    const pattern = fake.calls.map((c) => (c.rows === 4 ? 'B' : 's')).join('');
    expect(pattern).not.toMatch(/BBB/);
    expect(pattern.slice(0, 2 * steps - 2)).not.toMatch(/ss/);
  });

  it('fills batches round-robin across callers and rotates the lead', async () => {
    const fake = new FakeBackend(Z, { delayMs: 30 });
    const batcher = new BatchingBackend(fake, { maxBatch: 3, waitMs: 5 });
    const a = batcher.client('a');
    const b = batcher.client('b');
    const first = a.eps(image(1), new Float32Array([0]), latent(0));
    await new Promise((r) => setTimeout(r, 15)); // a's first run is now in flight
    // While it runs, a queues three one-row requests and b one: the next run is led by b (the lead
    // rotates) and takes b, a, a: one request per client per pass, not a, a, a.
    const rest = [1, 2, 3].map((t) => a.eps(image(1), new Float32Array([t]), latent(0)));
    rest.push(b.eps(image(1), new Float32Array([9]), latent(0)));
    await Promise.all([first, ...rest]);
    expect(fake.calls.map((c) => c.t)).toEqual([[0], [9, 1, 2], [3]]);
  });

  it('fails only the caller whose rows fail', async () => {
    const fake = new FakeBackend(Z);
    const batcher = new BatchingBackend(fake, { maxBatch: 8, waitMs: 60_000 });
    const good = batcher.client('good');
    const bad = batcher.client('bad');
    const [g, b] = await Promise.allSettled([
      good.eps(image(1), new Float32Array([1]), latent(0)),
      bad.eps(image(Number.NaN), new Float32Array([1]), latent(0)),
    ]);
    expect(g.status).toBe('fulfilled');
    expect(b.status).toBe('rejected');
    expect((b as PromiseRejectedResult).reason.message).toMatch(/NaN/);
    expect(batcher.stats().splitRetries).toBe(1);
    expect(good.stats().eps.calls).toBe(1);
    expect(bad.stats().eps.calls).toBe(0);
  });

  it('rejects a malformed call without touching the others', async () => {
    const fake = new FakeBackend(Z);
    const batcher = new BatchingBackend(fake, { maxBatch: 8, waitMs: 20 });
    const a = batcher.client('a');
    const b = batcher.client('b');
    await expect(a.eps(image(1, 2), new Float32Array([1]), latent(0, 2))).rejects.toThrow(
      /t has 1 rows but x has 2/,
    );
    await expect(b.eps(image(1), new Float32Array([1]), latent(0))).resolves.toBeDefined();
  });

  it('packs encode and latentEps too, and never mixes networks or shapes', async () => {
    const fake = new FakeBackend(Z);
    const batcher = new BatchingBackend(fake, { maxBatch: 8, waitMs: 20 });
    const a = batcher.client('a');
    const b = batcher.client('b');
    const c = batcher.client('c');
    const latentEps = b.latentEps as NonNullable<typeof b.latentEps>;
    const [za, zc, la] = await Promise.all([
      a.encode(image(0.5)),
      c.encode(image(-0.5, 2)),
      latentEps(latent(1, 3), new Float32Array([5, 6, 7])),
    ]);
    expect(za.shape).toEqual([1, Z]);
    expect(zc.shape).toEqual([2, Z]);
    expect(zc.data[0]).toBeCloseTo(-0.5, 6);
    expect(la.data[Z * 2]).toBeCloseTo(Math.fround(-0.1 + 7 / 1000), 6);
    const kinds = fake.calls.map((x) => `${x.kind}:${x.rows}`).sort();
    expect(kinds).toEqual(['encode:3', 'latentEps:3']);
    await Promise.all([
      a.encode(image(0)),
      b.encode({ data: new Float32Array(3 * 16), shape: [1, 3, 4, 4] }),
    ]);
    expect(fake.calls.slice(2).map((x) => x.rows)).toEqual([1, 1]);
  });

  it('spreads batches over several backend replicas and records gaps between runs', async () => {
    const replicas = [new FakeBackend(Z, { delayMs: 5 }), new FakeBackend(Z, { delayMs: 5 })];
    const batcher = new BatchingBackend(replicas, { maxBatch: 1, waitMs: 1 });
    const clients = [batcher.client('a'), batcher.client('b')];
    await Promise.all(
      clients.map(async (c) => {
        for (let s = 0; s < 3; s++) await c.eps(image(1), new Float32Array([s]), latent(0));
      }),
    );
    expect(replicas[0].calls.length).toBeGreaterThan(0);
    expect(replicas[1].calls.length).toBeGreaterThan(0);
    const stats = batcher.stats();
    expect(stats.runs.eps).toEqual({ calls: 6, rows: 6 });
    expect(stats.gaps).toBeGreaterThan(0);
    expect(stats.busyMs).toBeGreaterThan(0);
    await batcher.dispose();
    expect(replicas.every((r) => r.disposed)).toBe(true);
  });
});
