/** Test images: the real photos, each variant marked with a coloured corner so its pixels (and so its
 * inversion-cache key and the edge's encode cache key) differ from every other variant. */
import { readFileSync } from 'node:fs';
import path from 'node:path';
import { decodeImage } from '../../packages/shared/src/image/decode.ts';
import { encodePng } from '../../packages/shared/src/image/png.ts';
import type { RgbImage } from '../../packages/shared/src/image/types.ts';
import { PHOTOS_DIR } from './paths.ts';

export const PHOTOS = [
  'imgs_align_sandy.png',
  'imgs_interpolate_1_a.png',
  'imgs_interpolate_1_b.png',
] as const;
const MARK = 16;

const decoded = new Map<string, RgbImage>();

function photo(name: string): RgbImage {
  let img = decoded.get(name);
  if (!img) {
    img = decodeImage(readFileSync(path.join(PHOTOS_DIR, name)));
    decoded.set(name, img);
  }
  return img;
}

/** PNG of photo `k mod 3` with variant number `k` (0..65535) written into its top-left corner. */
export function photoVariant(k: number): Uint8Array {
  if (!Number.isInteger(k) || k < 0 || k > 0xffff)
    throw new RangeError(`variant must be an integer in 0..65535, got ${k}`);
  const base = photo(PHOTOS[k % PHOTOS.length]);
  if (base.width < MARK || base.height < MARK) throw new RangeError(`photo smaller than ${MARK} px`);
  const data = base.data.slice();
  for (let y = 0; y < MARK; y++) {
    for (let x = 0; x < MARK; x++) {
      const i = (y * base.width + x) * 3;
      data[i] = k & 0xff;
      data[i + 1] = (k >> 8) & 0xff;
      data[i + 2] = 255 - (k & 0xff);
    }
  }
  return encodePng({ width: base.width, height: base.height, data });
}
