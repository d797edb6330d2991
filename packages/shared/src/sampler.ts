/**
 * The batched DDIM loop shared by every pipeline: steps outermost, batch chunks (≤ maxBatch rows)
 * inside, so progress fires once per step and cancellation is checked before every network call.
 */
import type { DiffAEBackend } from './backend.ts';
import { ddimStepInto, type StepCoeff } from './ddim.ts';
import { assertFinite, assertShape, batchSize, rowSize, shapeToString, type Tensor } from './tensor.ts';

export type Stage = 'encode' | 'invert' | 'render' | 'latent';

export interface ProgressEvent {
  readonly stage: Stage;
  /** 1-based count of finished units (DDIM steps, or encoder batches for 'encode'). */
  readonly step: number;
  readonly total: number;
}

export interface RunOptions {
  onProgress?(p: ProgressEvent): void;
  signal?: AbortSignal;
  /** Most rows per network call; defaults to backend.info.maxBatch, else unlimited. */
  maxBatch?: number;
}

/** Throws the signal's reason (a DOMException named 'AbortError' unless the caller gave another). */
export function throwIfAborted(signal: AbortSignal | undefined): void {
  if (signal?.aborted) {
    throw signal.reason ?? new DOMException('The operation was aborted', 'AbortError');
  }
}

export function resolveMaxBatch(backend: DiffAEBackend, opts: RunOptions): number {
  const limit = opts.maxBatch ?? backend.info?.maxBatch ?? Number.POSITIVE_INFINITY;
  if (!(limit >= 1) || (Number.isFinite(limit) && !Number.isInteger(limit))) {
    throw new RangeError(`maxBatch must be an integer >= 1, got ${limit}`);
  }
  return limit;
}

/** [start, end) row ranges of at most maxBatch rows covering 0..n. */
export function batchRanges(n: number, maxBatch: number): [number, number][] {
  const ranges: [number, number][] = [];
  for (let start = 0; start < n; start += maxBatch) ranges.push([start, Math.min(n, start + maxBatch)]);
  return ranges;
}

/** Network call for rows [start, end) of the batch at one timestep (t holds τ_j once per row). */
export type EpsFn = (x: Tensor, t: Float32Array, start: number, end: number) => Promise<Tensor>;

export interface DdimLoop {
  readonly x: Tensor;
  readonly coeffs: readonly StepCoeff[];
  /** 'generate': j = K−1 … 0 towards ā_prev; 'invert': j = 0 … K−1 towards ā_next. */
  readonly direction: 'generate' | 'invert';
  readonly clip: boolean;
  readonly eps: EpsFn;
  readonly stage: Stage;
}

export async function runDdim(loop: DdimLoop, maxBatch: number, opts: RunOptions): Promise<Tensor> {
  const n = batchSize(loop.x);
  const row = rowSize(loop.x);
  const current = loop.x.data.slice();
  const order = loop.coeffs.map((_, j) => j);
  if (loop.direction === 'generate') order.reverse();
  const ranges = batchRanges(n, maxBatch);
  for (let i = 0; i < order.length; i++) {
    const c = loop.coeffs[order[i]];
    for (const [start, end] of ranges) {
      throwIfAborted(opts.signal);
      const x: Tensor = {
        data: current.slice(start * row, end * row),
        shape: [end - start, ...loop.x.shape.slice(1)],
      };
      const eps = await loop.eps(x, new Float32Array(end - start).fill(c.t), start, end);
      const label = `eps from the network at t=${c.t} (stage ${loop.stage})`;
      assertShape(eps, x.shape, label);
      const into = current.subarray(start * row, end * row);
      // The step checks eps on the way; only a failure pays for assertFinite's count and first index.
      if (!ddimStepInto(into, x.data, eps.data, c, loop.direction, loop.clip)) assertFinite(eps, label);
    }
    opts.onProgress?.({ stage: loop.stage, step: i + 1, total: order.length });
  }
  return { data: current, shape: [...loop.x.shape] };
}

/** Runs `fn` over ≤ maxBatch-row chunks of x and concatenates the [rows, ...] results. */
export async function mapBatches(
  x: Tensor,
  maxBatch: number,
  stage: Stage,
  opts: RunOptions,
  fn: (chunk: Tensor) => Promise<Tensor>,
  outputName: string,
): Promise<Tensor> {
  const n = batchSize(x);
  const row = rowSize(x);
  const ranges = batchRanges(n, maxBatch);
  const parts: Tensor[] = [];
  for (let i = 0; i < ranges.length; i++) {
    const [start, end] = ranges[i];
    throwIfAborted(opts.signal);
    const out = await fn({
      data: x.data.slice(start * row, end * row),
      shape: [end - start, ...x.shape.slice(1)],
    });
    if (out.shape[0] !== end - start || (parts.length > 0 && rowSize(out) !== rowSize(parts[0]))) {
      throw new RangeError(
        `${outputName} has shape ${shapeToString(out.shape)} for an input of ${end - start} rows`,
      );
    }
    assertFinite(out, outputName);
    parts.push(out);
    opts.onProgress?.({ stage, step: i + 1, total: ranges.length });
  }
  const width = parts.length > 0 ? rowSize(parts[0]) : 0;
  const data = new Float32Array(n * width);
  parts.forEach((p, i) => {
    data.set(p.data, ranges[i][0] * width);
  });
  return { data, shape: [n, ...(parts[0]?.shape.slice(1) ?? [])] };
}
