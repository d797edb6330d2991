import { ImageDecodeError } from './errors.ts';

export interface JpegStructure {
  width: number;
  height: number;
  components: number;
  /** TIFF payload of the first APP1 "Exif" segment, if any. */
  exifTiff?: Uint8Array;
}

export function hasJpegSignature(bytes: Uint8Array): boolean {
  return bytes.length >= 3 && bytes[0] === 0xff && bytes[1] === 0xd8 && bytes[2] === 0xff;
}

const EXIF_ID = [0x45, 0x78, 0x69, 0x66, 0x00, 0x00]; // "Exif\0\0"

function isSofMarker(marker: number): boolean {
  return marker >= 0xc0 && marker <= 0xcf && marker !== 0xc4 && marker !== 0xc8 && marker !== 0xcc;
}

/** Index of the next marker after entropy-coded data starting at `from` (skips stuffed 0xFF00 and RSTn). */
function skipEntropyData(bytes: Uint8Array, from: number): number {
  for (let i = from; i + 1 < bytes.length; i++) {
    if (bytes[i] !== 0xff) continue;
    const next = bytes[i + 1];
    if (next === 0x00 || next === 0xff || (next >= 0xd0 && next <= 0xd7)) continue;
    return i;
  }
  return -1;
}

/**
 * Walks the marker segments of a JPEG: frame size from SOFn, the Exif block, and a check that the
 * stream reaches EOI (otherwise the file is truncated). No pixel data is decoded.
 */
export function scanJpeg(bytes: Uint8Array): JpegStructure {
  let width = 0;
  let height = 0;
  let components = 0;
  let exifTiff: Uint8Array | undefined;
  let at = 2;
  for (;;) {
    while (at < bytes.length && bytes[at] === 0xff && bytes[at + 1] === 0xff) at++; // fill bytes
    if (at + 1 >= bytes.length) {
      throw new ImageDecodeError(
        'truncated_image',
        `JPEG is truncated: no EOI marker in ${bytes.length} bytes`,
      );
    }
    if (bytes[at] !== 0xff) {
      throw new ImageDecodeError('corrupt_image', `JPEG is corrupt: expected a marker at byte ${at}`);
    }
    const marker = bytes[at + 1];
    if (marker === 0xd9) break;
    if ((marker >= 0xd0 && marker <= 0xd7) || marker === 0x01) {
      at += 2;
      continue;
    }
    if (at + 4 > bytes.length) {
      throw new ImageDecodeError('truncated_image', 'JPEG is truncated inside a segment header');
    }
    const length = (bytes[at + 2] << 8) | bytes[at + 3];
    const segmentEnd = at + 2 + length;
    if (length < 2 || segmentEnd > bytes.length) {
      throw new ImageDecodeError(
        'truncated_image',
        `JPEG is truncated: segment 0xFF${marker.toString(16)} runs past the end`,
      );
    }
    const body = bytes.subarray(at + 4, segmentEnd);
    if (isSofMarker(marker)) {
      if (body.length < 6) throw new ImageDecodeError('corrupt_image', 'JPEG is corrupt: short SOF segment');
      height = (body[1] << 8) | body[2];
      width = (body[3] << 8) | body[4];
      components = body[5];
    } else if (marker === 0xe1 && !exifTiff && body.length > 6 && EXIF_ID.every((b, i) => body[i] === b)) {
      exifTiff = body.subarray(6);
    }
    if (marker === 0xda) {
      const next = skipEntropyData(bytes, segmentEnd);
      if (next < 0) {
        throw new ImageDecodeError(
          'truncated_image',
          `JPEG is truncated: scan data ends without EOI (${bytes.length} bytes)`,
        );
      }
      at = next;
    } else {
      at = segmentEnd;
    }
  }
  if (width === 0 || height === 0) {
    throw new ImageDecodeError(
      'corrupt_image',
      `JPEG is corrupt: no frame header with a size (got ${width}×${height})`,
    );
  }
  return { width, height, components, ...(exifTiff ? { exifTiff } : {}) };
}
