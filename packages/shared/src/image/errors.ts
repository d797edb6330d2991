export type ImageDecodeErrorCode =
  | 'unsupported_format'
  | 'corrupt_image'
  | 'image_too_large'
  | 'truncated_image';

/** Raised for every image that cannot be decoded; `code` is stable and safe to return to API clients. */
export class ImageDecodeError extends Error {
  readonly code: ImageDecodeErrorCode;

  constructor(code: ImageDecodeErrorCode, message: string, options?: { cause?: unknown }) {
    super(message, options);
    this.name = 'ImageDecodeError';
    this.code = code;
  }
}
