export type { RgbImage, ImageLimits } from './types.ts';
export { DEFAULT_IMAGE_LIMITS, createRgbImage } from './types.ts';
export { ImageDecodeError, type ImageDecodeErrorCode } from './errors.ts';
export { decodeImage, sniffImageFormat, type DecodeImageOptions, type ImageFormat } from './decode.ts';
export { encodePng } from './png.ts';
export { readExifOrientation, applyExifOrientation, type ExifOrientation } from './exif.ts';
export { resizeBilinear, resizeShorterSideCenterCrop, cropImage, roundHalfEven } from './resize.ts';
export { imageToTensor, tensorToImages, quantizeUnit } from './convert.ts';
