/** Animated GIF from RGB frames (gifenc): one palette per frame, looping forever. */
import * as gifencModule from 'gifenc';
import type { RgbImage } from '../../shared/src/image/types.ts';

// Node loads gifenc's CommonJS build (functions on `default`), bundlers its ESM build (named exports).
type GifencApi = typeof gifencModule.default;
const loaded = gifencModule as unknown as GifencApi & { default: GifencApi };
const gifenc: GifencApi = typeof loaded.GIFEncoder === 'function' ? loaded : loaded.default;

function toRgba(img: RgbImage): Uint8Array {
  const out = new Uint8Array(img.width * img.height * 4);
  for (let i = 0, j = 0; i < img.data.length; i += 3, j += 4) {
    out[j] = img.data[i];
    out[j + 1] = img.data[i + 1];
    out[j + 2] = img.data[i + 2];
    out[j + 3] = 255;
  }
  return out;
}

export function encodeGif(frames: readonly RgbImage[], frameDelayMs = 100): Uint8Array {
  if (frames.length === 0) throw new RangeError('encodeGif needs at least one frame');
  const gif = gifenc.GIFEncoder();
  for (const frame of frames) {
    const rgba = toRgba(frame);
    const palette = gifenc.quantize(rgba, 256);
    gif.writeFrame(gifenc.applyPalette(rgba, palette), frame.width, frame.height, {
      palette,
      delay: frameDelayMs,
      repeat: 0,
    });
  }
  gif.finish();
  return gif.bytes();
}
