import { describe, expect, it } from 'vitest';
import {
  assertFinite,
  assertShape,
  concatBatch,
  numel,
  repeatBatch,
  rowSize,
  sliceBatch,
  stackBatch,
  tensor,
} from '../src/tensor.ts';

const t23 = tensor([2, 3], [1, 2, 3, 4, 5, 6]);

describe('tensor helpers', () => {
  it('creates tensors and checks data length and shape', () => {
    expect(numel([2, 3, 4])).toBe(24);
    expect(numel([])).toBe(1);
    expect(tensor([2, 2]).data).toEqual(new Float32Array(4));
    expect(() => tensor([2, 2], [1, 2, 3])).toThrow(/3 values but shape \[2, 2\] needs 4/);
    expect(() => tensor([2, -1])).toThrow(/Invalid tensor shape/);
    const data = new Float32Array(3);
    expect(tensor([3], data).data).toBe(data);
  });

  it('assertShape accepts wildcards and names the tensor', () => {
    assertShape(t23, [null, 3], 'z');
    expect(() => assertShape(t23, [null, 4], 'z')).toThrow('z must have shape [*, 4], got [2, 3]');
    expect(() => assertShape(t23, [2, 3, 1], 'x')).toThrow(/x must have shape/);
  });

  it('slices, concatenates, stacks and repeats along the batch axis', () => {
    const s = sliceBatch(t23, 1, 2);
    expect(s.shape).toEqual([1, 3]);
    expect(Array.from(s.data)).toEqual([4, 5, 6]);
    s.data[0] = 99;
    expect(t23.data[3]).toBe(4);
    expect(() => sliceBatch(t23, 1, 3)).toThrow(/out of range for a batch of 2/);
    const c = concatBatch([t23, s]);
    expect(c.shape).toEqual([3, 3]);
    expect(Array.from(c.data)).toEqual([1, 2, 3, 4, 5, 6, 99, 5, 6]);
    expect(() => concatBatch([t23, tensor([1, 2])])).toThrow(/differ beyond the batch axis/);
    const st = stackBatch([tensor([3], [1, 2, 3]), tensor([3], [4, 5, 6])]);
    expect(st.shape).toEqual([2, 3]);
    expect(st.data).toEqual(t23.data);
    const r = repeatBatch(t23, 2);
    expect(r.shape).toEqual([4, 3]);
    expect(Array.from(r.data)).toEqual([1, 2, 3, 4, 5, 6, 1, 2, 3, 4, 5, 6]);
    expect(rowSize(tensor([2, 3, 4, 4]))).toBe(48);
  });

  it('assertFinite reports NaN/Inf with index and count', () => {
    assertFinite(t23, 'ok');
    const bad = tensor([4], [0, Number.NaN, 1, Number.POSITIVE_INFINITY]);
    expect(() => assertFinite(bad, 'eps')).toThrow(
      'eps [4] contains non-finite values: 2 of 4, first NaN at flat index 1',
    );
  });
});
