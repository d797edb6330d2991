/**
 * NumPy `.npy` files, format versions 1–3, little-endian, C order.
 * Read: float32, float64, uint8, int32, int64. Write: float32, float64, uint8, int32.
 */
import type { Tensor } from './tensor.ts';

export type NpyDtype = 'float32' | 'float64' | 'uint8' | 'int32' | 'int64';

export type NpyData = Float32Array | Float64Array | Uint8Array | Int32Array | BigInt64Array;

export interface NpyArray {
  dtype: NpyDtype;
  shape: number[];
  data: NpyData;
}

export type WritableNpy =
  | Tensor
  | { dtype: 'float32'; shape: readonly number[]; data: Float32Array }
  | { dtype: 'float64'; shape: readonly number[]; data: Float64Array }
  | { dtype: 'uint8'; shape: readonly number[]; data: Uint8Array }
  | { dtype: 'int32'; shape: readonly number[]; data: Int32Array };

export class NpyFormatError extends Error {
  constructor(message: string) {
    super(message);
    this.name = 'NpyFormatError';
  }
}

const MAGIC = [0x93, 0x4e, 0x55, 0x4d, 0x50, 0x59]; // \x93NUMPY

const DESCR_TO_DTYPE: Record<string, NpyDtype> = {
  '<f4': 'float32',
  '<f8': 'float64',
  '|u1': 'uint8',
  '<u1': 'uint8',
  '<i4': 'int32',
  '<i8': 'int64',
};

const DTYPE_TO_DESCR: Record<NpyDtype, string> = {
  float32: '<f4',
  float64: '<f8',
  uint8: '|u1',
  int32: '<i4',
  int64: '<i8',
};

const ITEM_SIZE: Record<NpyDtype, number> = { float32: 4, float64: 8, uint8: 1, int32: 4, int64: 8 };

interface NpyHeader {
  descr: string;
  fortranOrder: boolean;
  shape: number[];
}

/** Parses numpy's header dict literal, e.g. `{'descr': '<f4', 'fortran_order': False, 'shape': (2, 3), }`. */
function parseHeaderDict(text: string): NpyHeader {
  const descr = /['"]descr['"]\s*:\s*['"]([^'"]*)['"]/.exec(text)?.[1];
  const fortran = /['"]fortran_order['"]\s*:\s*(True|False)/.exec(text)?.[1];
  const shapeText = /['"]shape['"]\s*:\s*\(([^)]*)\)/.exec(text)?.[1];
  if (descr === undefined || fortran === undefined || shapeText === undefined) {
    throw new NpyFormatError(`.npy header is not a valid descr/fortran_order/shape dict: ${text.trim()}`);
  }
  const shape = shapeText
    .split(',')
    .map((s) => s.trim())
    .filter((s) => s.length > 0)
    .map((s) => {
      const d = Number(s.replace(/L$/, ''));
      if (!Number.isInteger(d) || d < 0)
        throw new NpyFormatError(`.npy header has an invalid shape: (${shapeText})`);
      return d;
    });
  return { descr, fortranOrder: fortran === 'True', shape };
}

function describeDtype(descr: string): string {
  if (descr.startsWith('>'))
    return `big-endian dtype '${descr}' is not supported (save little-endian: arr.astype('<${descr.slice(1)}'))`;
  return `unsupported dtype '${descr}' (supported: ${Object.keys(DESCR_TO_DTYPE).join(', ')})`;
}

/** Reads a .npy file. With `asFloat32`, float64/int/uint8 data is converted to a Float32Array. */
export function readNpy(bytes: Uint8Array, options: { asFloat32?: boolean } = {}): NpyArray {
  if (bytes.length < 10 || !MAGIC.every((b, i) => bytes[i] === b)) {
    throw new NpyFormatError('not a .npy file (missing \\x93NUMPY magic)');
  }
  const major = bytes[6];
  if (major < 1 || major > 3)
    throw new NpyFormatError(`unsupported .npy format version ${major}.${bytes[7]}`);
  const view = new DataView(bytes.buffer, bytes.byteOffset, bytes.byteLength);
  const lengthSize = major === 1 ? 2 : 4;
  if (bytes.length < 8 + lengthSize) throw new NpyFormatError('.npy file is truncated inside its header');
  const headerLength = major === 1 ? view.getUint16(8, true) : view.getUint32(8, true);
  const dataOffset = 8 + lengthSize + headerLength;
  if (dataOffset > bytes.length) throw new NpyFormatError('.npy file is truncated inside its header');
  const headerBytes = bytes.subarray(8 + lengthSize, dataOffset);
  const header = parseHeaderDict(new TextDecoder(major === 3 ? 'utf-8' : 'latin1').decode(headerBytes));
  const dtype = DESCR_TO_DTYPE[header.descr];
  if (!dtype) throw new NpyFormatError(describeDtype(header.descr));
  const count = header.shape.reduce((n, d) => n * d, 1);
  if (header.fortranOrder && header.shape.filter((d) => d > 1).length > 1) {
    throw new NpyFormatError('Fortran-order .npy arrays are not supported (save with np.ascontiguousarray)');
  }
  const byteLength = count * ITEM_SIZE[dtype];
  if (bytes.length - dataOffset < byteLength) {
    throw new NpyFormatError(
      `.npy data is truncated: shape (${header.shape.join(', ')}) ${dtype} needs ${byteLength} bytes, file has ${bytes.length - dataOffset}`,
    );
  }
  // Copy so the typed array is aligned and does not alias the input (Buffer#slice would alias).
  const copy = new Uint8Array(byteLength);
  copy.set(bytes.subarray(dataOffset, dataOffset + byteLength));
  const data = typedArrayFor(dtype, copy.buffer);
  if (options.asFloat32 && dtype !== 'float32') {
    const converted = new Float32Array(count);
    for (let i = 0; i < count; i++) converted[i] = Number(data[i]);
    return { dtype: 'float32', shape: header.shape, data: converted };
  }
  return { dtype, shape: header.shape, data };
}

function typedArrayFor(dtype: NpyDtype, buffer: ArrayBuffer): NpyData {
  switch (dtype) {
    case 'float32':
      return new Float32Array(buffer);
    case 'float64':
      return new Float64Array(buffer);
    case 'uint8':
      return new Uint8Array(buffer);
    case 'int32':
      return new Int32Array(buffer);
    case 'int64':
      return new BigInt64Array(buffer);
  }
}

/** A float32 .npy file as a Tensor (other numeric dtypes are converted). */
export function readNpyTensor(bytes: Uint8Array): Tensor {
  const arr = readNpy(bytes, { asFloat32: true });
  return { data: arr.data as Float32Array, shape: arr.shape };
}

function dtypeOf(arr: WritableNpy): NpyDtype {
  if ('dtype' in arr) return arr.dtype;
  if (!(arr.data instanceof Float32Array)) throw new TypeError('writeNpy: a Tensor must hold a Float32Array');
  return 'float32';
}

/** Writes a version 1.0 (2.0 if the header needs it) little-endian C-order .npy file. */
export function writeNpy(arr: WritableNpy): Uint8Array {
  const dtype = dtypeOf(arr);
  const count = arr.shape.reduce((n, d) => n * d, 1);
  if (arr.shape.some((d) => !Number.isInteger(d) || d < 0)) {
    throw new RangeError(`writeNpy: invalid shape [${arr.shape.join(', ')}]`);
  }
  if (arr.data.length !== count) {
    throw new RangeError(
      `writeNpy: data has ${arr.data.length} values, shape [${arr.shape.join(', ')}] needs ${count}`,
    );
  }
  const shapeText = arr.shape.length === 1 ? `(${arr.shape[0]},)` : `(${arr.shape.join(', ')})`;
  const dict = `{'descr': '${DTYPE_TO_DESCR[dtype]}', 'fortran_order': False, 'shape': ${shapeText}, }`;
  const version = dict.length + 1 + 10 > 0xffff ? 2 : 1;
  const prefix = version === 1 ? 10 : 12;
  const padded = Math.ceil((prefix + dict.length + 1) / 64) * 64;
  const header = `${dict.padEnd(padded - prefix - 1, ' ')}\n`;
  // Typed arrays are little-endian on every JS host that matters (x86, ARM).
  const dataBytes = new Uint8Array(arr.data.buffer, arr.data.byteOffset, arr.data.byteLength);
  const out = new Uint8Array(padded + dataBytes.length);
  out.set(MAGIC, 0);
  out[6] = version;
  out[7] = 0;
  const view = new DataView(out.buffer);
  if (version === 1) view.setUint16(8, header.length, true);
  else view.setUint32(8, header.length, true);
  for (let i = 0; i < header.length; i++) out[prefix + i] = header.charCodeAt(i);
  out.set(dataBytes, padded);
  return out;
}
