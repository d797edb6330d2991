/** Minimal NumPy .npy (format 1.0) writer/reader for C-ordered uint8 arrays. */
import { closeSync, openSync, renameSync, writeSync } from 'node:fs';

const MAGIC = [0x93, 0x4e, 0x55, 0x4d, 0x50, 0x59]; // "\x93NUMPY"
const PREAMBLE_BYTES = 10; // magic(6) + version(2) + header length(2)
const ALIGNMENT = 64;

function checkShape(shape: readonly number[]): void {
  if (shape.length === 0 || shape.some((d) => !Number.isInteger(d) || d < 0)) {
    throw new RangeError(`npy shape must be non-negative integers, got [${shape.join(', ')}]`);
  }
}

/** Full header (preamble + dict + padding + '\n') for a uint8 array; its length is a multiple of 64. */
export function npyUint8Header(shape: readonly number[]): Uint8Array {
  checkShape(shape);
  const shapeText = shape.length === 1 ? `(${shape[0]},)` : `(${shape.join(', ')})`;
  const dict = `{'descr': '|u1', 'fortran_order': False, 'shape': ${shapeText}, }`;
  const unpadded = PREAMBLE_BYTES + dict.length + 1;
  const total = Math.ceil(unpadded / ALIGNMENT) * ALIGNMENT;
  const headerLength = total - PREAMBLE_BYTES;
  if (headerLength > 0xffff) throw new RangeError('npy header too long for format 1.0');
  const bytes = new Uint8Array(total);
  bytes.set(MAGIC, 0);
  bytes[6] = 1;
  bytes[7] = 0;
  bytes[8] = headerLength & 0xff;
  bytes[9] = headerLength >> 8;
  const text = `${dict}${' '.repeat(total - unpadded)}\n`;
  for (let i = 0; i < text.length; i++) bytes[PREAMBLE_BYTES + i] = text.charCodeAt(i);
  return bytes;
}

export interface NpyHeader {
  descr: string;
  fortranOrder: boolean;
  shape: number[];
  /** byte offset of the data */
  dataOffset: number;
}

export function parseNpyHeader(bytes: Uint8Array): NpyHeader {
  if (bytes.length < PREAMBLE_BYTES || MAGIC.some((m, i) => bytes[i] !== m))
    throw new Error('not an .npy file (bad magic)');
  if (bytes[6] !== 1) throw new Error(`unsupported .npy version ${bytes[6]}.${bytes[7]} (only 1.0)`);
  const headerLength = bytes[8] | (bytes[9] << 8);
  const dataOffset = PREAMBLE_BYTES + headerLength;
  if (bytes.length < dataOffset) throw new Error('truncated .npy header');
  const text = String.fromCharCode(...bytes.subarray(PREAMBLE_BYTES, dataOffset));
  const descr = /'descr':\s*'([^']+)'/.exec(text);
  const fortran = /'fortran_order':\s*(True|False)/.exec(text);
  const shape = /'shape':\s*\(([^)]*)\)/.exec(text);
  if (!descr || !fortran || !shape) throw new Error(`malformed .npy header: ${text.trim()}`);
  const dims = shape[1]
    .split(',')
    .map((s) => s.trim())
    .filter((s) => s.length > 0)
    .map(Number);
  return { descr: descr[1], fortranOrder: fortran[1] === 'True', shape: dims, dataOffset };
}

/**
 * Streams a uint8 .npy of known shape to disk in chunks. Writes to `<path>.partial` and renames on
 * `close()`, which fails unless exactly the announced number of bytes arrived.
 */
export class NpyUint8Writer {
  private readonly fd: number;
  private readonly expectedBytes: number;
  private written = 0;
  private readonly partialPath: string;

  constructor(
    private readonly path: string,
    readonly shape: readonly number[],
  ) {
    const header = npyUint8Header(shape);
    this.expectedBytes = shape.reduce((a, b) => a * b, 1);
    this.partialPath = `${path}.partial`;
    this.fd = openSync(this.partialPath, 'w');
    writeSync(this.fd, header);
  }

  append(chunk: Uint8Array): void {
    if (this.written + chunk.length > this.expectedBytes) {
      throw new RangeError(
        `${this.path}: appending ${chunk.length} bytes overflows shape [${this.shape.join(', ')}]`,
      );
    }
    let offset = 0;
    while (offset < chunk.length) offset += writeSync(this.fd, chunk, offset, chunk.length - offset);
    this.written += chunk.length;
  }

  close(): void {
    closeSync(this.fd);
    if (this.written !== this.expectedBytes) {
      throw new Error(
        `${this.path}: wrote ${this.written} of ${this.expectedBytes} data bytes; left ${this.partialPath}`,
      );
    }
    renameSync(this.partialPath, this.path);
  }
}
