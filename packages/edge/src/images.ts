/**
 * Image checks for the API: a cheap header check (format, declared size, completeness) for uploads that
 * are only stored, and full decode + the official preprocessing for images the models will see.
 */
import {
  decodeImage,
  ImageDecodeError,
  imageToTensor,
  resizeShorterSideCenterCrop,
  sniffImageFormat,
  type Tensor,
} from '@diffae/shared';
import { scanJpeg } from '../../shared/src/image/jpeg-markers.ts';
import { assertPngComplete, readPngHeader } from '../../shared/src/image/png-header.ts';
import { ApiError } from './errors.ts';

export interface ImageSizeLimits {
  maxImageSide: number;
  maxImagePixels: number;
}

export interface ImageHeader {
  format: 'png' | 'jpeg';
  contentType: 'image/png' | 'image/jpeg';
  width: number;
  height: number;
}

export const IMAGE_CONTENT_TYPES = ['image/png', 'image/jpeg'] as const;

function checkSize(width: number, height: number, limits: ImageSizeLimits): void {
  if (width > limits.maxImageSide || height > limits.maxImageSide || width * height > limits.maxImagePixels) {
    throw new ImageDecodeError(
      'image_too_large',
      `image is ${width}×${height}; at most ${limits.maxImageSide} pixels per side and ${limits.maxImagePixels} pixels in all are accepted`,
    );
  }
}

/** Format and declared dimensions, checked against the limits without decoding pixels. */
export function inspectImage(bytes: Uint8Array, limits: ImageSizeLimits): ImageHeader {
  const format = sniffImageFormat(bytes);
  if (format === 'png') {
    const h = readPngHeader(bytes);
    checkSize(h.width, h.height, limits);
    assertPngComplete(bytes);
    return { format, contentType: 'image/png', width: h.width, height: h.height };
  }
  if (format === 'jpeg') {
    const s = scanJpeg(bytes);
    checkSize(s.width, s.height, limits);
    return { format, contentType: 'image/jpeg', width: s.width, height: s.height };
  }
  throw new ImageDecodeError(
    'unsupported_format',
    bytes.length === 0 ? 'the image is empty (0 bytes)' : 'the image is neither PNG nor JPEG',
  );
}

/** The declared Content-Type must match the bytes (a PNG sent as image/jpeg is refused). */
export function assertContentTypeMatches(declared: string, header: ImageHeader): void {
  if (declared !== header.contentType) {
    throw new ApiError(
      415,
      'content_type_mismatch',
      `Content-Type says ${declared || '(none)'} but the body is a ${header.format.toUpperCase()} (send ${header.contentType})`,
    );
  }
}

/** Decoded, resized (shorter side → S, centre crop) and scaled to [−1, 1]: [1, 3, S, S]. */
export function imageToModelInput(bytes: Uint8Array, imageSize: number, limits: ImageSizeLimits): Tensor {
  inspectImage(bytes, limits);
  const img = decodeImage(bytes, { maxSide: limits.maxImageSide, maxPixels: limits.maxImagePixels });
  return imageToTensor(resizeShorterSideCenterCrop(img, imageSize));
}
