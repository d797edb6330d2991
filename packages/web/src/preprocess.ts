/**
 * Client-side preprocessing, identical to the server's: the shared PNG/JPEG decoder (Exif applied),
 * the official shorter-side resize + centre crop, then [−1, 1] float32 NCHW.
 */
import {
  decodeImage,
  imageToTensor,
  resizeShorterSideCenterCrop,
  sniffImageFormat,
  type Tensor,
} from '@diffae/shared';

export const ACCEPTED_TYPES = ['image/png', 'image/jpeg'] as const;
export type AcceptedType = (typeof ACCEPTED_TYPES)[number];

export interface PreparedImage {
  /** Bytes to upload (PNG or JPEG, as given or converted). */
  bytes: Uint8Array;
  contentType: AcceptedType;
  /** Encoder input [1, 3, S, S]. */
  tensor: Tensor;
}

/** Model input from PNG/JPEG bytes (throws ImageDecodeError with a readable message otherwise). */
export function imageBytesToTensor(bytes: Uint8Array, size: number): Tensor {
  return imageToTensor(resizeShorterSideCenterCrop(decodeImage(bytes), size));
}

/**
 * Any image the browser can decode (WebP, GIF, …) becomes a PNG through a canvas, so that the server,
 * which accepts PNG and JPEG, sees exactly the pixels the client encoded.
 */
async function toPngOrJpeg(blob: Blob): Promise<{ bytes: Uint8Array; contentType: AcceptedType }> {
  const bytes = new Uint8Array(await blob.arrayBuffer());
  const format = sniffImageFormat(bytes);
  if (format === 'png') return { bytes, contentType: 'image/png' };
  if (format === 'jpeg') return { bytes, contentType: 'image/jpeg' };
  let bitmap: ImageBitmap;
  try {
    bitmap = await createImageBitmap(blob);
  } catch {
    throw new Error(
      `unsupported image: ${blob.type || 'unknown type'} could not be decoded (use PNG or JPEG)`,
    );
  }
  const canvas = new OffscreenCanvas(bitmap.width, bitmap.height);
  const ctx = canvas.getContext('2d');
  if (!ctx) throw new Error('cannot convert the image: no 2D canvas available');
  ctx.drawImage(bitmap, 0, 0);
  bitmap.close();
  const png = await canvas.convertToBlob({ type: 'image/png' });
  return { bytes: new Uint8Array(await png.arrayBuffer()), contentType: 'image/png' };
}

export async function prepareImage(blob: Blob, size: number): Promise<PreparedImage> {
  const { bytes, contentType } = await toPngOrJpeg(blob);
  return { bytes, contentType, tensor: imageBytesToTensor(bytes, size) };
}
