/** Contact sheets (grid of faces) as PNG, for eyeballing the crop and rendering. */
import { writeFileSync } from 'node:fs';
import { encode } from 'fast-png';

/** Tiles `count` images of [size, size, 3] into a cols-wide RGB grid with a 1-px grey gutter. */
export function tileImages(images: Uint8Array, count: number, size: number, cols: number) {
  const pixels = size * size * 3;
  if (images.length < count * pixels)
    throw new RangeError(`need ${count * pixels} bytes for ${count} images, got ${images.length}`);
  const rows = Math.ceil(count / cols);
  const width = cols * (size + 1) + 1;
  const height = rows * (size + 1) + 1;
  const rgb = new Uint8Array(width * height * 3).fill(128);
  for (let k = 0; k < count; k++) {
    const x0 = (k % cols) * (size + 1) + 1;
    const y0 = Math.floor(k / cols) * (size + 1) + 1;
    for (let y = 0; y < size; y++) {
      const src = k * pixels + y * size * 3;
      rgb.set(images.subarray(src, src + size * 3), ((y0 + y) * width + x0) * 3);
    }
  }
  return { width, height, rgb };
}

export function writeContactSheet(
  path: string,
  images: Uint8Array,
  count: number,
  size: number,
  cols = 8,
): void {
  const { width, height, rgb } = tileImages(images, count, size, cols);
  writeFileSync(path, encode({ width, height, data: rgb, channels: 3, depth: 8 }));
}
