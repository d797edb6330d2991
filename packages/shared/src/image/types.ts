/** An 8-bit RGB image, row-major, 3 bytes per pixel (R, G, B). */
export interface RgbImage {
  width: number;
  height: number;
  data: Uint8Array;
}

/** Limits checked against the header before any pixel is decoded (decompression-bomb guard). */
export interface ImageLimits {
  /** Largest accepted width × height. Default 40 000 000. */
  maxPixels?: number;
  /** Largest accepted width or height. Default 16 384. */
  maxSide?: number;
  /** Memory cap handed to the JPEG decoder, in MB. Default 1024. */
  maxMemoryMB?: number;
}

export const DEFAULT_IMAGE_LIMITS: Required<ImageLimits> = {
  maxPixels: 40_000_000,
  maxSide: 16_384,
  maxMemoryMB: 1024,
};

export function createRgbImage(width: number, height: number): RgbImage {
  return { width, height, data: new Uint8Array(width * height * 3) };
}

export function assertRgbImage(img: RgbImage, what = 'image'): void {
  if (!Number.isInteger(img.width) || !Number.isInteger(img.height) || img.width <= 0 || img.height <= 0) {
    throw new RangeError(
      `${what}: width and height must be positive integers, got ${img.width}×${img.height}`,
    );
  }
  if (img.data.length !== img.width * img.height * 3) {
    throw new RangeError(
      `${what}: data has ${img.data.length} bytes, expected ${img.width}×${img.height}×3 = ${img.width * img.height * 3}`,
    );
  }
}
