import { existsSync, mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { NpyUint8Writer, npyUint8Header, parseNpyHeader } from '../../models/facesynth/npy.ts';

const dir = mkdtempSync(join(tmpdir(), 'facesynth-npy-'));
afterAll(() => rmSync(dir, { recursive: true, force: true }));

describe('npy v1.0 header', () => {
  it('is 64-byte aligned, ends in a newline and parses back', () => {
    for (const shape of [[3], [0, 15], [50000, 64, 64, 3]]) {
      const header = npyUint8Header(shape);
      expect(header.length % 64).toBe(0);
      expect(header[header.length - 1]).toBe(0x0a);
      expect([...header.subarray(0, 8)]).toEqual([0x93, 0x4e, 0x55, 0x4d, 0x50, 0x59, 1, 0]);
      const parsed = parseNpyHeader(header);
      expect(parsed).toEqual({ descr: '|u1', fortranOrder: false, shape, dataOffset: header.length });
    }
  });

  it('writes a 1-d shape with a trailing comma, as Python tuples need', () => {
    const text = new TextDecoder().decode(npyUint8Header([7]));
    expect(text).toContain("'shape': (7,)");
  });

  it('rejects bad shapes and bad files', () => {
    expect(() => npyUint8Header([2, -1])).toThrow(/non-negative integers/);
    expect(() => parseNpyHeader(new Uint8Array(20))).toThrow(/bad magic/);
  });
});

describe('NpyUint8Writer', () => {
  it('streams chunks and produces header + data', () => {
    const path = join(dir, 'a.npy');
    const writer = new NpyUint8Writer(path, [2, 3]);
    writer.append(Uint8Array.of(1, 2));
    writer.append(Uint8Array.of(3, 4, 5, 6));
    writer.close();
    const bytes = new Uint8Array(readFileSync(path));
    const header = parseNpyHeader(bytes);
    expect(header.shape).toEqual([2, 3]);
    expect([...bytes.subarray(header.dataOffset)]).toEqual([1, 2, 3, 4, 5, 6]);
    expect(existsSync(`${path}.partial`)).toBe(false);
  });

  it('refuses to overflow or to finish short, leaving no final file', () => {
    const path = join(dir, 'b.npy');
    const writer = new NpyUint8Writer(path, [4]);
    expect(() => writer.append(new Uint8Array(5))).toThrow(/overflows shape \[4\]/);
    writer.append(new Uint8Array(3));
    expect(() => writer.close()).toThrow(/wrote 3 of 4/);
    expect(existsSync(path)).toBe(false);
  });
});
