/**
 * Minimal dense float32 tensors, row-major (NCHW for images). The first axis is always the batch.
 * Helpers that produce a tensor copy their data, so results never alias their inputs.
 */
export interface Tensor {
  readonly data: Float32Array;
  readonly shape: readonly number[];
}

function assertValidShape(shape: readonly number[]): void {
  for (const d of shape) {
    if (!Number.isInteger(d) || d < 0) {
      throw new RangeError(
        `Invalid tensor shape [${shape.join(', ')}]: every dimension must be an integer >= 0`,
      );
    }
  }
}

export function numel(shape: readonly number[]): number {
  assertValidShape(shape);
  return shape.reduce((n, d) => n * d, 1);
}

/** A tensor of `shape`, zero-filled or holding `data` (a Float32Array is used as is, other arrays are converted). */
export function tensor(shape: readonly number[], data?: Float32Array | ArrayLike<number>): Tensor {
  const n = numel(shape);
  const values =
    data === undefined ? new Float32Array(n) : data instanceof Float32Array ? data : Float32Array.from(data);
  if (values.length !== n) {
    throw new RangeError(
      `Tensor data has ${values.length} values but shape [${shape.join(', ')}] needs ${n}`,
    );
  }
  return { data: values, shape: [...shape] };
}

export function shapeToString(shape: readonly number[]): string {
  return `[${shape.join(', ')}]`;
}

/**
 * Throws unless `t.shape` matches `expected`, where `null` accepts any size on that axis.
 * `name` appears in the error message.
 */
export function assertShape(t: Tensor, expected: readonly (number | null)[], name: string): void {
  const ok = t.shape.length === expected.length && expected.every((d, i) => d === null || d === t.shape[i]);
  if (!ok) {
    const want = `[${expected.map((d) => (d === null ? '*' : String(d))).join(', ')}]`;
    throw new RangeError(`${name} must have shape ${want}, got ${shapeToString(t.shape)}`);
  }
  if (t.data.length !== numel(t.shape)) {
    throw new RangeError(`${name} has ${t.data.length} values for shape ${shapeToString(t.shape)}`);
  }
}

/** Number of rows (first axis). */
export function batchSize(t: Tensor): number {
  if (t.shape.length === 0) throw new RangeError('A scalar tensor has no batch axis');
  return t.shape[0];
}

/** Number of values in one row (product of all axes but the first). */
export function rowSize(t: Tensor): number {
  return numel(t.shape.slice(1));
}

/** Rows [start, end) of the batch, copied. */
export function sliceBatch(t: Tensor, start: number, end: number): Tensor {
  const n = batchSize(t);
  if (!Number.isInteger(start) || !Number.isInteger(end) || start < 0 || end > n || start > end) {
    throw new RangeError(`sliceBatch(${start}, ${end}) is out of range for a batch of ${n}`);
  }
  const row = rowSize(t);
  return { data: t.data.slice(start * row, end * row), shape: [end - start, ...t.shape.slice(1)] };
}

function sameTrailingShape(a: readonly number[], b: readonly number[], from: number): boolean {
  return a.length === b.length && a.every((d, i) => i < from || d === b[i]);
}

/** Concatenates tensors along the batch axis; all must share the shape of the other axes. */
export function concatBatch(ts: readonly Tensor[]): Tensor {
  if (ts.length === 0) throw new RangeError('concatBatch needs at least one tensor');
  const first = ts[0];
  let rows = 0;
  for (const t of ts) {
    if (!sameTrailingShape(t.shape, first.shape, 1)) {
      throw new RangeError(
        `concatBatch: shapes ${shapeToString(first.shape)} and ${shapeToString(t.shape)} differ beyond the batch axis`,
      );
    }
    rows += t.shape[0];
  }
  const data = new Float32Array(rows * rowSize(first));
  let offset = 0;
  for (const t of ts) {
    data.set(t.data, offset);
    offset += t.data.length;
  }
  return { data, shape: [rows, ...first.shape.slice(1)] };
}

/** Stacks equally shaped tensors into a new leading axis: n × [...s] → [n, ...s]. */
export function stackBatch(ts: readonly Tensor[]): Tensor {
  if (ts.length === 0) throw new RangeError('stackBatch needs at least one tensor');
  const first = ts[0];
  for (const t of ts) {
    if (!sameTrailingShape(t.shape, first.shape, 0)) {
      throw new RangeError(
        `stackBatch: shapes ${shapeToString(first.shape)} and ${shapeToString(t.shape)} differ`,
      );
    }
  }
  return concatBatch(ts.map((t) => ({ data: t.data, shape: [1, ...t.shape] })));
}

/** Tiles the whole batch `times` times: [B, ...] → [B·times, ...] (rows 0..B−1, then again). */
export function repeatBatch(t: Tensor, times: number): Tensor {
  if (!Number.isInteger(times) || times < 1)
    throw new RangeError(`repeatBatch: times must be an integer >= 1, got ${times}`);
  batchSize(t);
  return concatBatch(Array.from({ length: times }, () => t));
}

/** Throws a clear error naming the tensor, the first bad index and its value when any value is NaN or ±Infinity. */
export function assertFinite(t: Tensor, name: string): void {
  const d = t.data;
  for (let i = 0; i < d.length; i++) {
    if (!Number.isFinite(d[i])) {
      let bad = 0;
      for (let j = i; j < d.length; j++) if (!Number.isFinite(d[j])) bad++;
      throw new RangeError(
        `${name} ${shapeToString(t.shape)} contains non-finite values: ${bad} of ${d.length}, first ${d[i]} at flat index ${i}`,
      );
    }
  }
}
