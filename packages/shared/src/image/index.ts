export { imageToTensor, quantizeUnit, tensorToImages } from './convert.ts';
export { type DecodeImageOptions, decodeImage, type ImageFormat, sniffImageFormat } from './decode.ts';
export { ImageDecodeError, type ImageDecodeErrorCode } from './errors.ts';
export { applyExifOrientation, type ExifOrientation, readExifOrientation } from './exif.ts';
export { encodePng } from './png.ts';
export { cropImage, resizeBilinear, resizeShorterSideCenterCrop, roundHalfEven } from './resize.ts';
export type { ImageLimits, RgbImage } from './types.ts';
export { createRgbImage, DEFAULT_IMAGE_LIMITS } from './types.ts';
