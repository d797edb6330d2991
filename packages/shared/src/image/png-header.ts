import { ImageDecodeError } from './errors.ts';

const PNG_SIGNATURE = [0x89, 0x50, 0x4e, 0x47, 0x0d, 0x0a, 0x1a, 0x0a];

export interface PngHeader {
  width: number;
  height: number;
  bitDepth: number;
  colorType: number;
  interlaced: boolean;
}

export function hasPngSignature(bytes: Uint8Array): boolean {
  return bytes.length >= 8 && PNG_SIGNATURE.every((b, i) => bytes[i] === b);
}

function u32(bytes: Uint8Array, at: number): number {
  return ((bytes[at] << 24) | (bytes[at + 1] << 16) | (bytes[at + 2] << 8) | bytes[at + 3]) >>> 0;
}

function chunkType(bytes: Uint8Array, at: number): string {
  return String.fromCharCode(bytes[at], bytes[at + 1], bytes[at + 2], bytes[at + 3]);
}

/**
 * Reads IHDR and walks the chunk list (lengths only, no inflation) so that a truncated file is
 * reported as such before the decoder sees it.
 */
export function readPngHeader(bytes: Uint8Array): PngHeader {
  if (bytes.length < 8 + 8 + 13 + 4) {
    throw new ImageDecodeError('truncated_image', `PNG is truncated: ${bytes.length} bytes, IHDR incomplete`);
  }
  if (chunkType(bytes, 12) !== 'IHDR' || u32(bytes, 8) !== 13) {
    throw new ImageDecodeError('corrupt_image', 'PNG is corrupt: the first chunk is not a 13-byte IHDR');
  }
  const header: PngHeader = {
    width: u32(bytes, 16),
    height: u32(bytes, 20),
    bitDepth: bytes[24],
    colorType: bytes[25],
    interlaced: bytes[28] === 1,
  };
  if (header.width === 0 || header.height === 0) {
    throw new ImageDecodeError(
      'corrupt_image',
      `PNG is corrupt: declared size ${header.width}×${header.height}`,
    );
  }
  return header;
}

/** Throws `truncated_image` unless the chunk walk reaches IEND inside the buffer. */
export function assertPngComplete(bytes: Uint8Array): void {
  let at = 8;
  while (at + 12 <= bytes.length) {
    const length = u32(bytes, at);
    const type = chunkType(bytes, at + 4);
    const next = at + 12 + length;
    if (next > bytes.length) break;
    if (type === 'IEND') return;
    at = next;
  }
  throw new ImageDecodeError(
    'truncated_image',
    `PNG is truncated: no complete IEND chunk in ${bytes.length} bytes`,
  );
}
