import { mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { NpyFormatError, readNpy, readNpyTensor, writeNpy } from '../src/npy.ts';
import { pythonMissing, runPython } from './helpers/python.ts';

describe('npy round trips', () => {
  it('float32 tensor, uint8, int32, float64 and a 1-d / 0-d shape', () => {
    const t = { data: Float32Array.from([1.5, -2, 3.25, Math.fround(0.1), 0, 7]), shape: [2, 3] };
    expect(readNpy(writeNpy(t))).toEqual({ dtype: 'float32', shape: [2, 3], data: t.data });
    const u8 = { dtype: 'uint8' as const, shape: [3], data: Uint8Array.from([0, 128, 255]) };
    expect(readNpy(writeNpy(u8))).toEqual(u8);
    const i32 = { dtype: 'int32' as const, shape: [1, 2], data: Int32Array.from([-5, 2 ** 31 - 1]) };
    expect(readNpy(writeNpy(i32))).toEqual(i32);
    const f64 = { dtype: 'float64' as const, shape: [], data: Float64Array.from([Math.PI]) };
    expect(readNpy(writeNpy(f64))).toEqual(f64);
    expect(readNpy(writeNpy(f64), { asFloat32: true }).data).toEqual(Float32Array.from([Math.PI]));
  });

  it('pads the header to 64 bytes and writes a newline-terminated dict', () => {
    const bytes = writeNpy({ data: new Float32Array(3), shape: [3] });
    const headerLength = bytes[8] | (bytes[9] << 8);
    expect((10 + headerLength) % 64).toBe(0);
    const header = new TextDecoder().decode(bytes.subarray(10, 10 + headerLength));
    expect(header).toMatch(/^\{'descr': '<f4', 'fortran_order': False, 'shape': \(3,\), \} *\n$/);
  });

  it('rejects bad input with clear messages', () => {
    expect(() => readNpy(new Uint8Array([1, 2, 3]))).toThrow(/not a \.npy file/);
    const good = writeNpy({ data: new Float32Array(4), shape: [4] });
    expect(() => readNpy(good.subarray(0, good.length - 1))).toThrow(
      /truncated: shape \(4\) float32 needs 16 bytes, file has 15/,
    );
    expect(() => writeNpy({ data: new Float32Array(3), shape: [2, 2] })).toThrow(/needs 4/);
    const patch = (from: string, to: string) => {
      const text = new TextDecoder('latin1').decode(good).replace(from, to);
      return Uint8Array.from(text, (c) => c.charCodeAt(0));
    };
    expect(() => readNpy(patch("'<f4'", "'>f4'"))).toThrow(/big-endian/);
    expect(() => readNpy(patch("'<f4'", "'<c8'"))).toThrow(NpyFormatError);
    expect(() => readNpy(patch("'<f4'", "'<c8'"))).toThrow(/unsupported dtype '<c8'/);
  });
});

const missing = pythonMissing(['numpy']);
describe.skipIf(missing !== undefined)('npy interop with numpy', () => {
  let dir = '';
  beforeAll(() => {
    dir = mkdtempSync(join(tmpdir(), 'diffae-npy-'));
  });
  afterAll(() => rmSync(dir, { recursive: true, force: true }));

  it('reads every supported dtype written by numpy (v1 and v2 headers)', () => {
    runPython(
      `
import sys, numpy as np
d = sys.argv[1]
a = np.arange(24).reshape(2, 3, 4)
np.save(d + '/f4.npy', (a / 7).astype('<f4'))
np.save(d + '/f8.npy', (a / 7).astype('<f8'))
np.save(d + '/u1.npy', (a * 11).astype(np.uint8))
np.save(d + '/i4.npy', (a - 12).astype('<i4'))
np.save(d + '/i8.npy', (a - 12).astype('<i8'))
with open(d + '/v2.npy', 'wb') as f:
    np.lib.format.write_array(f, (a / 7).astype('<f4'), version=(2, 0))
np.save(d + '/fortran.npy', np.asfortranarray((a / 7).astype('<f4')))
np.save(d + '/big.npy', (a / 7).astype('>f4'))
`,
      [dir],
    );
    const expected = Array.from({ length: 24 }, (_, i) => i / 7);
    const read = (name: string) => readNpy(readFileSync(join(dir, `${name}.npy`)));
    expect(read('f4')).toMatchObject({ dtype: 'float32', shape: [2, 3, 4] });
    expect(Array.from(read('f4').data as Float32Array)).toEqual(expected.map(Math.fround));
    expect(Array.from(read('f8').data as Float64Array)).toEqual(expected);
    expect(Array.from(read('u1').data as Uint8Array)).toEqual(expected.map((_, i) => (i * 11) % 256));
    expect(Array.from(read('i4').data as Int32Array)).toEqual(expected.map((_, i) => i - 12));
    expect(Array.from(read('i8').data as BigInt64Array)).toEqual(expected.map((_, i) => BigInt(i - 12)));
    expect(readNpyTensor(readFileSync(join(dir, 'i8.npy'))).data[0]).toBe(-12);
    expect(readNpyTensor(readFileSync(join(dir, 'f8.npy'))).data).toEqual(Float32Array.from(expected));
    expect(read('v2').data).toEqual(read('f4').data);
    expect(() => read('fortran')).toThrow(/Fortran-order/);
    expect(() => read('big')).toThrow(/big-endian/);
  });

  it('numpy reads what writeNpy writes', () => {
    writeFileSync(
      join(dir, 'ours_f4.npy'),
      writeNpy({ data: Float32Array.from([0.5, -1, 3]), shape: [1, 3] }),
    );
    writeFileSync(
      join(dir, 'ours_u1.npy'),
      writeNpy({ dtype: 'uint8', data: Uint8Array.from([1, 2, 3, 4]), shape: [2, 2] }),
    );
    const out = runPython(
      `
import sys, numpy as np
a = np.load(sys.argv[1] + '/ours_f4.npy'); b = np.load(sys.argv[1] + '/ours_u1.npy')
print(a.dtype, a.shape, a.tolist(), b.dtype, b.shape, b.tolist())
`,
      [dir],
    );
    expect(out.trim()).toBe('float32 (1, 3) [[0.5, -1.0, 3.0]] uint8 (2, 2) [[1, 2], [3, 4]]');
  });
});
