/**
 * The one error shape of the API: `{ error: { code, message } }` with a stable machine-readable code.
 * `ApiError` is thrown by handlers and returned by the typed client.
 */
import { ImageDecodeError, InvalidStepCountError, UnknownAttributeError } from '@diffae/shared';

export class ApiError extends Error {
  override readonly name = 'ApiError';
  constructor(
    readonly status: number,
    readonly code: string,
    message: string,
    /** Extra response headers (Retry-After, …). */
    readonly headers: Record<string, string> = {},
  ) {
    super(message);
  }
}

export interface ErrorBody {
  error: { code: string; message: string };
}

const IMAGE_STATUS: Record<ImageDecodeError['code'], number> = {
  unsupported_format: 415,
  corrupt_image: 400,
  truncated_image: 400,
  image_too_large: 413,
};

/** Port errors (storage/queue adapters) carry a `code`; only a few are the client's fault. */
function portError(err: Error & { code: string }): ApiError | undefined {
  if (err.name === 'StorageError') {
    if (err.code === 'invalid_key') return new ApiError(400, 'invalid_key', err.message);
    if (err.code === 'storage_unavailable')
      return new ApiError(503, 'storage_unavailable', 'storage is unavailable; retry later');
    return undefined;
  }
  if (err.name === 'QueueError') {
    if (err.code === 'queue_unavailable' || err.code === 'queue_closed')
      return new ApiError(503, 'queue_unavailable', 'the job queue is unavailable; retry later');
  }
  return undefined;
}

/** Known errors → ApiError; anything else → undefined (the caller answers 500 with a generic message). */
export function toApiError(err: unknown): ApiError | undefined {
  if (err instanceof ApiError) return err;
  if (err instanceof ImageDecodeError) return new ApiError(IMAGE_STATUS[err.code], err.code, err.message);
  if (err instanceof UnknownAttributeError) return new ApiError(400, 'unknown_attribute', err.message);
  if (err instanceof InvalidStepCountError) return new ApiError(400, 'invalid_steps', err.message);
  if (err instanceof Error && typeof (err as { code?: unknown }).code === 'string')
    return portError(err as Error & { code: string });
  return undefined;
}

export function errorBody(code: string, message: string): ErrorBody {
  return { error: { code, message } };
}
