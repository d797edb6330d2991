/** Animated GIF of equally sized RGB frames (gifenc: per-frame 256-colour palette, infinite loop). */
import { createRequire } from 'node:module';
import type { RgbImage } from '../image/types.ts';

interface GifEncoder {
  writeFrame(
    index: Uint8Array,
    width: number,
    height: number,
    opts: { palette: number[][]; delay: number; repeat?: number },
  ): void;
  finish(): void;
  bytes(): Uint8Array;
}

interface Gifenc {
  GIFEncoder(): GifEncoder;
  quantize(
    rgba: Uint8Array,
    maxColors: number,
    opts?: { format?: 'rgb565' | 'rgb444' | 'rgba4444' },
  ): number[][];
  applyPalette(rgba: Uint8Array, palette: number[][], format?: 'rgb565' | 'rgb444' | 'rgba4444'): Uint8Array;
}

// gifenc ships CommonJS without type declarations; the interface above is the part used here.
const gifenc = createRequire(import.meta.url)('gifenc') as Gifenc;

function toRgba(img: RgbImage): Uint8Array {
  const rgba = new Uint8Array(img.width * img.height * 4);
  for (let i = 0, j = 0; i < img.data.length; i += 3, j += 4) {
    rgba[j] = img.data[i];
    rgba[j + 1] = img.data[i + 1];
    rgba[j + 2] = img.data[i + 2];
    rgba[j + 3] = 255;
  }
  return rgba;
}

/** GIF bytes; `delayMs` per frame, looping forever. */
export function encodeGif(frames: readonly RgbImage[], delayMs: number): Uint8Array {
  if (frames.length === 0) throw new RangeError('a GIF needs at least one frame');
  const { width, height } = frames[0];
  const gif = gifenc.GIFEncoder();
  frames.forEach((frame, i) => {
    if (frame.width !== width || frame.height !== height) {
      throw new RangeError(`GIF frame ${i} is ${frame.width}×${frame.height}, frame 0 is ${width}×${height}`);
    }
    const rgba = toRgba(frame);
    const palette = gifenc.quantize(rgba, 256);
    gif.writeFrame(gifenc.applyPalette(rgba, palette), width, height, {
      palette,
      delay: delayMs,
      ...(i === 0 ? { repeat: 0 } : {}),
    });
  });
  gif.finish();
  return gif.bytes();
}
