import jpeg from 'jpeg-js';
import { ImageDecodeError } from './errors.ts';
import type { RgbImage } from './types.ts';

export interface JpegDecodeLimits {
  maxPixels: number;
  maxMemoryMB: number;
}

/** Pixels only (orientation is applied by the caller); the structure was validated by scanJpeg. */
export function decodeJpegToRgb(bytes: Uint8Array, limits: JpegDecodeLimits): RgbImage {
  try {
    const decoded = jpeg.decode(bytes, {
      useTArray: true,
      formatAsRGBA: false,
      tolerantDecoding: false,
      maxResolutionInMP: limits.maxPixels / 1e6,
      maxMemoryUsageInMB: limits.maxMemoryMB,
    });
    return { width: decoded.width, height: decoded.height, data: decoded.data };
  } catch (cause) {
    const message = cause instanceof Error ? cause.message : String(cause);
    const code = /limit exceeded/.test(message) ? 'image_too_large' : 'corrupt_image';
    throw new ImageDecodeError(code, `JPEG could not be decoded: ${message}`, { cause });
  }
}
