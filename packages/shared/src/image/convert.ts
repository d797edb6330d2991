import type { Tensor } from '../tensor.ts';
import { assertRgbImage, createRgbImage, type RgbImage } from './types.ts';

const f32 = Math.fround;

/** RGB image → [1, 3, H, W] float32 in [−1, 1]: v = u8/255, x = (v − 0.5)/0.5, each step in float32. */
export function imageToTensor(img: RgbImage): Tensor {
  assertRgbImage(img);
  const plane = img.width * img.height;
  const data = new Float32Array(3 * plane);
  const lut = new Float32Array(256);
  for (let u = 0; u < 256; u++) lut[u] = f32(f32(f32(u / 255) - 0.5) / 0.5);
  for (let i = 0; i < plane; i++) {
    data[i] = lut[img.data[i * 3]];
    data[plane + i] = lut[img.data[i * 3 + 1]];
    data[2 * plane + i] = lut[img.data[i * 3 + 2]];
  }
  return { data, shape: [1, 3, img.height, img.width] };
}

/** The official saver's quantisation: uint8(clamp(255·v + 0.5, 0, 255)) in float32, truncating (NaN → 0). */
export function quantizeUnit(v: number): number {
  const scaled = f32(f32(255 * v) + 0.5);
  if (!(scaled > 0)) return 0;
  return scaled >= 255 ? 255 : Math.trunc(scaled);
}

/** [N, 3, H, W] in [0, 1] (the pipelines' image output) → N RGB images. */
export function tensorToImages(t: Tensor): RgbImage[] {
  if (t.shape.length !== 4 || t.shape[1] !== 3) {
    throw new RangeError(`tensorToImages needs shape [N, 3, H, W], got [${t.shape.join(', ')}]`);
  }
  const [n, , h, w] = t.shape;
  const plane = h * w;
  if (t.data.length !== n * 3 * plane) {
    throw new RangeError(`tensor has ${t.data.length} values for shape [${t.shape.join(', ')}]`);
  }
  const images: RgbImage[] = [];
  for (let b = 0; b < n; b++) {
    const img = createRgbImage(w, h);
    const base = b * 3 * plane;
    for (let i = 0; i < plane; i++) {
      img.data[i * 3] = quantizeUnit(t.data[base + i]);
      img.data[i * 3 + 1] = quantizeUnit(t.data[base + plane + i]);
      img.data[i * 3 + 2] = quantizeUnit(t.data[base + 2 * plane + i]);
    }
    images.push(img);
  }
  return images;
}
