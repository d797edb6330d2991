import { createRgbImage, type RgbImage } from './types.ts';

export type ExifOrientation = 1 | 2 | 3 | 4 | 5 | 6 | 7 | 8;

const ORIENTATION_TAG = 0x0112;
const TYPE_SHORT = 3;

/**
 * Orientation (tag 0x0112) from IFD0 of an Exif TIFF block, either byte order.
 * Returns undefined when absent, out of range or the block is malformed (broken Exif is common
 * and must not make an otherwise good photo unreadable).
 */
export function readExifOrientation(tiff: Uint8Array): ExifOrientation | undefined {
  if (tiff.length < 8) return undefined;
  const little = tiff[0] === 0x49 && tiff[1] === 0x49;
  const big = tiff[0] === 0x4d && tiff[1] === 0x4d;
  if (!little && !big) return undefined;
  const view = new DataView(tiff.buffer, tiff.byteOffset, tiff.byteLength);
  if (view.getUint16(2, little) !== 42) return undefined;
  const ifd = view.getUint32(4, little);
  if (ifd + 2 > tiff.length) return undefined;
  const count = view.getUint16(ifd, little);
  for (let i = 0; i < count; i++) {
    const entry = ifd + 2 + i * 12;
    if (entry + 12 > tiff.length) return undefined;
    if (view.getUint16(entry, little) !== ORIENTATION_TAG) continue;
    if (view.getUint16(entry + 2, little) !== TYPE_SHORT) return undefined;
    const value = view.getUint16(entry + 8, little);
    return value >= 1 && value <= 8 ? (value as ExifOrientation) : undefined;
  }
  return undefined;
}

/**
 * Turns stored pixels into display orientation (what PIL's ImageOps.exif_transpose does).
 * Orientations 5–8 swap width and height.
 */
export function applyExifOrientation(img: RgbImage, orientation: ExifOrientation): RgbImage {
  if (orientation === 1) return img;
  const { width: w, height: h } = img;
  const swaps = orientation >= 5;
  const out = createRgbImage(swaps ? h : w, swaps ? w : h);
  // Source pixel (sx, sy) for output pixel (x, y), per orientation.
  const source: (x: number, y: number) => number = {
    2: (x: number, y: number) => y * w + (w - 1 - x),
    3: (x: number, y: number) => (h - 1 - y) * w + (w - 1 - x),
    4: (x: number, y: number) => (h - 1 - y) * w + x,
    5: (x: number, y: number) => x * w + y,
    6: (x: number, y: number) => (h - 1 - x) * w + y,
    7: (x: number, y: number) => (h - 1 - x) * w + (w - 1 - y),
    8: (x: number, y: number) => x * w + (w - 1 - y),
  }[orientation];
  let o = 0;
  for (let y = 0; y < out.height; y++) {
    for (let x = 0; x < out.width; x++) {
      const s = source(x, y) * 3;
      out.data[o++] = img.data[s];
      out.data[o++] = img.data[s + 1];
      out.data[o++] = img.data[s + 2];
    }
  }
  return out;
}
