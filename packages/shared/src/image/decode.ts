import { ImageDecodeError } from './errors.ts';
import { applyExifOrientation, readExifOrientation } from './exif.ts';
import { decodeJpegToRgb } from './jpeg.ts';
import { hasJpegSignature, scanJpeg } from './jpeg-markers.ts';
import { decodePngToRgb } from './png.ts';
import { hasPngSignature, readPngHeader } from './png-header.ts';
import { DEFAULT_IMAGE_LIMITS, type ImageLimits, type RgbImage } from './types.ts';

export type ImageFormat = 'png' | 'jpeg';

export function sniffImageFormat(bytes: Uint8Array): ImageFormat | undefined {
  if (hasPngSignature(bytes)) return 'png';
  if (hasJpegSignature(bytes)) return 'jpeg';
  return undefined;
}

function assertWithinLimits(width: number, height: number, limits: Required<ImageLimits>): void {
  if (width > limits.maxSide || height > limits.maxSide) {
    throw new ImageDecodeError(
      'image_too_large',
      `image is ${width}×${height}; the longest side may be at most ${limits.maxSide} pixels`,
    );
  }
  if (width * height > limits.maxPixels) {
    throw new ImageDecodeError(
      'image_too_large',
      `image is ${width}×${height} = ${width * height} pixels; at most ${limits.maxPixels} are accepted`,
    );
  }
}

export interface DecodeImageOptions extends ImageLimits {
  /** Rotate/flip JPEGs by their Exif orientation. Default true (the official loader does not). */
  applyExifOrientation?: boolean;
}

/**
 * PNG or JPEG bytes → 8-bit RGB like PIL's `convert('RGB')`: alpha dropped (not composited),
 * grey/palette/16-bit converted. The declared size is checked against the limits before decoding.
 */
export function decodeImage(bytes: Uint8Array, options: DecodeImageOptions = {}): RgbImage {
  const limits: Required<ImageLimits> = {
    maxPixels: options.maxPixels ?? DEFAULT_IMAGE_LIMITS.maxPixels,
    maxSide: options.maxSide ?? DEFAULT_IMAGE_LIMITS.maxSide,
    maxMemoryMB: options.maxMemoryMB ?? DEFAULT_IMAGE_LIMITS.maxMemoryMB,
  };
  const format = sniffImageFormat(bytes);
  if (format === 'png') {
    const header = readPngHeader(bytes);
    assertWithinLimits(header.width, header.height, limits);
    return decodePngToRgb(bytes, header);
  }
  if (format === 'jpeg') {
    const structure = scanJpeg(bytes);
    assertWithinLimits(structure.width, structure.height, limits);
    const img = decodeJpegToRgb(bytes, limits);
    if (options.applyExifOrientation === false || !structure.exifTiff) return img;
    const orientation = readExifOrientation(structure.exifTiff);
    return orientation ? applyExifOrientation(img, orientation) : img;
  }
  const head = Array.from(bytes.subarray(0, 8), (b) => b.toString(16).padStart(2, '0')).join(' ');
  throw new ImageDecodeError(
    'unsupported_format',
    bytes.length === 0
      ? 'image is empty (0 bytes)'
      : `unsupported image format (first bytes: ${head}); expected PNG or JPEG`,
  );
}
