/**
 * Cross-job batching: one DiffAEBackend per job (a "client") over shared real backends. Concurrent calls
 * of different jobs to the same network with the same row shape are packed into one run of at most
 * `maxBatch` rows (t is per row, so jobs at different timesteps share a UNet call) and the results are
 * split back.
 *
 * When a batch runs: as soon as a group holds `maxBatch` rows, or every active client is waiting
 * (pending or already running), so a lone job never waits; otherwise `waitMs` after the oldest
 * pending request or the end of the last run, whichever is later (a client busy with JS work between
 * steps gets that long to join).
 * Fairness: batches are filled round-robin over clients, one request per client per pass, and the
 * client that leads a batch rotates, so a job with many rows cannot starve a small one.
 * Errors: a failed packed run is retried request by request, so only the callers whose rows fail
 * see the error.
 */
import type { BackendInfo, DiffAEBackend } from '../../shared/src/backend.ts';
import { concatBatch, shapeToString, type Tensor } from '../../shared/src/tensor.ts';

export type NetworkKind = 'encode' | 'liteEncode' | 'eps' | 'latentEps';

export interface CallCounts {
  calls: number;
  rows: number;
}

export interface ClientStats {
  jobId: string;
  encode: CallCounts;
  liteEncode: CallCounts;
  eps: CallCounts;
  latentEps: CallCounts;
  /** Total time this client's requests spent queued before their run started. */
  waitMs: number;
}

export interface BatcherStats {
  runs: Record<NetworkKind, CallCounts>;
  /** Rows per run, averaged over eps runs (the packing the benchmark cares about). */
  meanEpsRows: number;
  /** Time inside the real backends. */
  busyMs: number;
  /**
   * Idle time of a backend between the end of one run and the start of the next while some job was
   * active: the JS work between network calls plus batching waits.
   */
  gapMs: number;
  gaps: number;
  maxGapMs: number;
  /** Runs retried row-group by row-group after a packed run failed. */
  splitRetries: number;
}

/** One network run, as seen by an observer (e.g. the benchmark's gap distribution). */
export interface RunRecord {
  readonly kind: NetworkKind;
  readonly rows: number;
  readonly startMs: number;
  readonly endMs: number;
  /** Idle time of this backend since its previous run while a job was active; undefined for the first. */
  readonly gapMs: number | undefined;
}

export interface BatchingOptions {
  maxBatch: number;
  /** Longest wait for more clients before a partial batch runs (default 2 ms). */
  waitMs?: number;
  now?: () => number;
  /** Called after every run (synchronously: keep it cheap). */
  onRun?: (run: RunRecord) => void;
}

interface Caller {
  readonly id: number;
  readonly jobId: string;
  readonly pending: Request[];
  inFlight: number;
  readonly stats: ClientStats;
  /** Direct calls on the batcher get a caller of their own that ends with the call. */
  readonly transient: boolean;
}

interface Request {
  readonly kind: NetworkKind;
  readonly caller: Caller;
  readonly rows: number;
  /** Inputs in network order; t travels as a [N] tensor so that every input packs the same way. */
  readonly inputs: readonly Tensor[];
  readonly group: string;
  readonly enqueuedAt: number;
  resolve(t: Tensor): void;
  reject(err: unknown): void;
}

interface Slot {
  readonly backend: DiffAEBackend;
  busy: boolean;
  lastEnd: number | undefined;
}

const ZERO = (): CallCounts => ({ calls: 0, rows: 0 });

function checkRank(t: Tensor, rank: number, name: string): void {
  if (t.shape.length !== rank || t.shape[0] < 1) {
    throw new RangeError(
      `${name} must have rank ${rank} with at least one row, got ${shapeToString(t.shape)}`,
    );
  }
}

function checkRows(t: Tensor | Float32Array, rows: number, name: string): void {
  const n = t instanceof Float32Array ? t.length : t.shape[0];
  if (n !== rows) throw new RangeError(`${name} has ${n} rows but x has ${rows}`);
}

function splitRows(out: Tensor, sizes: readonly number[]): Tensor[] {
  const total = sizes.reduce((a, b) => a + b, 0);
  if (out.shape[0] !== total) {
    throw new RangeError(`network returned ${out.shape[0]} rows for a batch of ${total}`);
  }
  const row = out.data.length / total;
  const parts: Tensor[] = [];
  let offset = 0;
  for (const n of sizes) {
    parts.push({ data: out.data.slice(offset * row, (offset + n) * row), shape: [n, ...out.shape.slice(1)] });
    offset += n;
  }
  return parts;
}

export class BatchingBackend implements DiffAEBackend {
  readonly info: BackendInfo;
  readonly latentEps?: (x: Tensor, t: Float32Array) => Promise<Tensor>;
  readonly liteEncode?: (x: Tensor) => Promise<Tensor>;
  readonly #slots: Slot[];
  readonly #maxBatch: number;
  readonly #waitMs: number;
  readonly #now: () => number;
  readonly #onRun: ((run: RunRecord) => void) | undefined;
  /** Active callers in registration order (the round-robin ring). */
  readonly #callers: Caller[] = [];
  #nextCallerId = 1;
  #leader = 0;
  #timer: ReturnType<typeof setTimeout> | undefined;
  #disposed = false;
  #lastRunEnd = Number.NEGATIVE_INFINITY;
  readonly #stats: BatcherStats = {
    runs: { encode: ZERO(), liteEncode: ZERO(), eps: ZERO(), latentEps: ZERO() },
    meanEpsRows: 0,
    busyMs: 0,
    gapMs: 0,
    gaps: 0,
    maxGapMs: 0,
    splitRetries: 0,
  };

  /** `backends`: one or more replicas of the same model; one run at a time on each. */
  constructor(backends: DiffAEBackend | readonly DiffAEBackend[], opts: BatchingOptions) {
    const list = Array.isArray(backends) ? [...backends] : [backends as DiffAEBackend];
    if (list.length === 0) throw new RangeError('BatchingBackend needs at least one backend');
    if (!Number.isInteger(opts.maxBatch) || opts.maxBatch < 1) {
      throw new RangeError(`maxBatch must be an integer >= 1, got ${opts.maxBatch}`);
    }
    this.#slots = list.map((backend) => ({ backend, busy: false, lastEnd: undefined }));
    this.#maxBatch = opts.maxBatch;
    this.#waitMs = opts.waitMs ?? 2;
    this.#now = opts.now ?? (() => performance.now());
    this.#onRun = opts.onRun;
    const first = list[0];
    this.info = { name: 'batcher', device: first.info?.device ?? 'unknown', maxBatch: opts.maxBatch };
    if (list.every((b) => b.latentEps)) {
      this.latentEps = (x, t) => this.#direct((c) => this.#latentEps(c, x, t));
    }
    if (list.every((b) => b.liteEncode)) {
      this.liteEncode = (x) => this.#direct((c) => this.#submit(c, 'liteEncode', [x]));
    }
  }

  encode(x: Tensor): Promise<Tensor> {
    return this.#direct((c) => this.#encode(c, 'encode', x));
  }

  eps(x: Tensor, t: Float32Array, z: Tensor): Promise<Tensor> {
    return this.#direct((c) => this.#eps(c, x, t, z));
  }

  /** A backend for one job: its calls are batched with other clients' and counted under `jobId`. */
  client(jobId: string): BatchClient {
    const caller = this.#register(jobId, false);
    let released = false;
    const client: BatchClient = {
      info: this.info,
      encode: (x) => this.#encode(caller, 'encode', x),
      eps: (x, t, z) => this.#eps(caller, x, t, z),
      ...(this.latentEps && { latentEps: (x: Tensor, t: Float32Array) => this.#latentEps(caller, x, t) }),
      ...(this.liteEncode && { liteEncode: (x: Tensor) => this.#encode(caller, 'liteEncode', x) }),
      stats: () => structuredClone(caller.stats),
      dispose: async () => {
        if (released) return;
        released = true;
        this.#release(caller);
      },
    };
    return client;
  }

  stats(): BatcherStats {
    return structuredClone(this.#stats);
  }

  /** Number of clients currently registered. */
  get activeClients(): number {
    return this.#callers.filter((c) => !c.transient).length;
  }

  /** Rejects pending requests and disposes the wrapped backends. */
  async dispose(): Promise<void> {
    if (this.#disposed) return;
    this.#disposed = true;
    if (this.#timer) clearTimeout(this.#timer);
    for (const c of this.#callers) {
      for (const r of c.pending.splice(0)) r.reject(new Error('the batching backend was disposed'));
    }
    await Promise.all(this.#slots.map((s) => s.backend.dispose()));
  }

  // ------------------------------------------------------------ submission

  async #direct(call: (c: Caller) => Promise<Tensor>): Promise<Tensor> {
    const caller = this.#register('(direct)', true);
    try {
      return await call(caller);
    } finally {
      this.#release(caller);
    }
  }

  #encode(c: Caller, kind: 'encode' | 'liteEncode', x: Tensor): Promise<Tensor> {
    return this.#guard(() => {
      checkRank(x, 4, 'x');
      return this.#submit(c, kind, [x]);
    });
  }

  #eps(c: Caller, x: Tensor, t: Float32Array, z: Tensor): Promise<Tensor> {
    return this.#guard(() => {
      checkRank(x, 4, 'x');
      checkRank(z, 2, 'z');
      checkRows(t, x.shape[0], 't');
      checkRows(z, x.shape[0], 'z');
      return this.#submit(c, 'eps', [x, { data: t, shape: [t.length] }, z]);
    });
  }

  #latentEps(c: Caller, x: Tensor, t: Float32Array): Promise<Tensor> {
    return this.#guard(() => {
      checkRank(x, 2, 'x');
      checkRows(t, x.shape[0], 't');
      return this.#submit(c, 'latentEps', [x, { data: t, shape: [t.length] }]);
    });
  }

  /** Turns synchronous validation errors into rejections of this call only. */
  #guard(fn: () => Promise<Tensor>): Promise<Tensor> {
    try {
      return fn();
    } catch (err) {
      return Promise.reject(err);
    }
  }

  #submit(caller: Caller, kind: NetworkKind, inputs: Tensor[]): Promise<Tensor> {
    if (this.#disposed) return Promise.reject(new Error('the batching backend was disposed'));
    const rows = inputs[0].shape[0];
    const group = `${kind}|${inputs.map((t) => t.shape.slice(1).join('x')).join('|')}`;
    return new Promise<Tensor>((resolve, reject) => {
      caller.pending.push({ kind, caller, rows, inputs, group, enqueuedAt: this.#now(), resolve, reject });
      this.#pump(false);
    });
  }

  #register(jobId: string, transient: boolean): Caller {
    const caller: Caller = {
      id: this.#nextCallerId++,
      jobId,
      pending: [],
      inFlight: 0,
      transient,
      stats: { jobId, encode: ZERO(), liteEncode: ZERO(), eps: ZERO(), latentEps: ZERO(), waitMs: 0 },
    };
    this.#callers.push(caller);
    return caller;
  }

  #release(caller: Caller): void {
    const i = this.#callers.indexOf(caller);
    if (i < 0) return;
    this.#callers.splice(i, 1);
    if (i < this.#leader) this.#leader--;
    for (const r of caller.pending.splice(0)) r.reject(new Error(`client ${caller.jobId} was disposed`));
    if (this.#callers.length === 0) for (const s of this.#slots) s.lastEnd = undefined;
    // One fewer client to wait for: a partial batch may be ready now.
    this.#pump(false);
  }

  // ------------------------------------------------------------ scheduling

  #pendingRequests(): Request[] {
    return this.#callers.flatMap((c) => c.pending);
  }

  #readyNow(): boolean {
    const pending = this.#pendingRequests();
    if (pending.length === 0) return false;
    const rowsByGroup = new Map<string, number>();
    for (const r of pending) {
      const n = (rowsByGroup.get(r.group) ?? 0) + r.rows;
      if (n >= this.#maxBatch) return true;
      rowsByGroup.set(r.group, n);
    }
    return this.#callers.every((c) => c.pending.length > 0 || c.inFlight > 0);
  }

  #pump(timerFired: boolean): void {
    if (this.#disposed) return;
    let force = timerFired;
    for (;;) {
      const slot = this.#slots.find((s) => !s.busy);
      if (slot === undefined) return;
      const pending = this.#pendingRequests();
      if (pending.length === 0) return;
      if (!force && !this.#readyNow()) {
        // Measured from the oldest request, or from the last run's end when that is later: clients
        // that just got their results get waitMs to send their next step and join this batch.
        const oldest = Math.min(...pending.map((r) => r.enqueuedAt));
        const delay = Math.max(oldest, this.#lastRunEnd) + this.#waitMs - this.#now();
        if (delay > 0) {
          this.#armTimer(delay);
          return;
        }
      }
      force = false;
      void this.#run(slot, this.#takeBatch());
    }
  }

  #armTimer(delay: number): void {
    if (this.#timer) clearTimeout(this.#timer);
    this.#timer = setTimeout(() => {
      this.#timer = undefined;
      this.#pump(true);
    }, delay);
  }

  /** Round-robin fill: the leading client rotates, then one request per client per pass. */
  #takeBatch(): Request[] {
    const ring = this.#callers;
    const n = ring.length;
    let leadIndex = -1;
    for (let k = 0; k < n; k++) {
      const i = (this.#leader + k) % n;
      if (ring[i].pending.length > 0) {
        leadIndex = i;
        break;
      }
    }
    this.#leader = (leadIndex + 1) % n;
    const lead = ring[leadIndex].pending[0];
    const batch: Request[] = [];
    let rows = 0;
    const takeFrom = (c: Caller, group: string): boolean => {
      const j = c.pending.findIndex((r) => r.group === group);
      if (j < 0) return false;
      const r = c.pending[j];
      if (batch.length > 0 && rows + r.rows > this.#maxBatch) return false;
      c.pending.splice(j, 1);
      batch.push(r);
      rows += r.rows;
      return true;
    };
    takeFrom(ring[leadIndex], lead.group);
    // First pass starts after the lead (it already gave one); later passes include it again.
    for (let from = 1; rows < this.#maxBatch; from = 0) {
      let took = false;
      for (let k = from; k < n && rows < this.#maxBatch; k++) {
        if (takeFrom(ring[(leadIndex + k) % n], lead.group)) took = true;
      }
      if (!took) break;
    }
    return batch;
  }

  // ------------------------------------------------------------ execution

  async #run(slot: Slot, batch: Request[]): Promise<void> {
    slot.busy = true;
    const start = this.#now();
    const gap = slot.lastEnd === undefined ? undefined : start - slot.lastEnd;
    if (gap !== undefined) {
      this.#stats.gapMs += gap;
      this.#stats.gaps++;
      this.#stats.maxGapMs = Math.max(this.#stats.maxGapMs, gap);
    }
    for (const r of batch) {
      r.caller.inFlight++;
      r.caller.stats.waitMs += start - r.enqueuedAt;
    }
    try {
      const outputs = await this.#execute(slot.backend, batch);
      batch.forEach((r, i) => {
        const o = outputs[i];
        if (o instanceof Error) r.reject(o);
        else {
          const counts = r.caller.stats[r.kind];
          counts.calls++;
          counts.rows += r.rows;
          r.resolve(o);
        }
      });
    } finally {
      const end = this.#now();
      this.#lastRunEnd = end;
      this.#stats.busyMs += end - start;
      slot.lastEnd = this.#callers.length > 0 ? end : undefined;
      for (const r of batch) r.caller.inFlight--;
      slot.busy = false;
      this.#onRun?.({
        kind: batch[0].kind,
        rows: batch.reduce((a, r) => a + r.rows, 0),
        startMs: start,
        endMs: end,
        gapMs: gap,
      });
      this.#pump(false);
    }
  }

  /** One packed run; when it fails and holds several requests, each request is retried alone. */
  async #execute(backend: DiffAEBackend, batch: readonly Request[]): Promise<(Tensor | Error)[]> {
    try {
      return splitRows(
        await this.#call(backend, batch),
        batch.map((r) => r.rows),
      );
    } catch (err) {
      if (batch.length === 1) return [err instanceof Error ? err : new Error(String(err))];
      this.#stats.splitRetries++;
      const results: (Tensor | Error)[] = [];
      for (const r of batch) results.push(...(await this.#execute(backend, [r])));
      return results;
    }
  }

  async #call(backend: DiffAEBackend, batch: readonly Request[]): Promise<Tensor> {
    const kind = batch[0].kind;
    const packed = batch[0].inputs.map((_, i) =>
      batch.length === 1 ? batch[0].inputs[i] : concatBatch(batch.map((r) => r.inputs[i])),
    );
    const rows = packed[0].shape[0];
    const counts = this.#stats.runs[kind];
    counts.calls++;
    counts.rows += rows;
    if (kind === 'eps') this.#stats.meanEpsRows = counts.rows / counts.calls;
    switch (kind) {
      case 'encode':
        return backend.encode(packed[0]);
      case 'liteEncode':
        return (backend.liteEncode as NonNullable<DiffAEBackend['liteEncode']>)(packed[0]);
      case 'eps':
        return backend.eps(packed[0], packed[1].data, packed[2]);
      case 'latentEps':
        return (backend.latentEps as NonNullable<DiffAEBackend['latentEps']>)(packed[0], packed[1].data);
    }
  }
}

/** A job's view of the batcher. `dispose` only unregisters the client; the batcher stays up. */
export interface BatchClient extends DiffAEBackend {
  readonly info: BackendInfo;
  stats(): ClientStats;
}
