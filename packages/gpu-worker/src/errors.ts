/**
 * How a failed job is handled. Input errors (the request cannot succeed: bad image, unknown attribute,
 * missing upload) end the job as failed and delete the message. Everything else is retried through
 * redelivery until the queue's receive limit, then recorded as failed and left for the dead-letter queue.
 */
import { ClassifierFormatError, UnknownAttributeError } from '../../shared/src/classifier.ts';
import { ImageDecodeError } from '../../shared/src/image/errors.ts';
import { NpyFormatError } from '../../shared/src/npy.ts';
import { InvalidStepCountError } from '../../shared/src/schedule.ts';

export type InputErrorCode =
  | 'invalid_job'
  | 'missing_input'
  | 'bad_image'
  | 'bad_latents'
  | 'unknown_attribute'
  | 'unknown_direction'
  | 'unknown_model'
  | 'unsupported'
  | 'invalid_steps';

/** The request itself is wrong: retrying cannot help. `code` and `message` are shown to the client. */
export class JobInputError extends Error {
  override readonly name = 'JobInputError';
  constructor(
    readonly code: InputErrorCode,
    message: string,
    options?: { cause?: unknown },
  ) {
    super(message, options);
  }
}

export interface Classified {
  retry: boolean;
  code: string;
  message: string;
}

function isAbort(err: unknown): boolean {
  return (err as { name?: string } | null)?.name === 'AbortError';
}

/** Maps any thrown value to a stable code and whether redelivery may help. */
export function classifyError(err: unknown): Classified {
  if (err instanceof JobInputError) return { retry: false, code: err.code, message: err.message };
  if (err instanceof ImageDecodeError) {
    return { retry: false, code: 'bad_image', message: `${err.code}: ${err.message}` };
  }
  if (err instanceof UnknownAttributeError)
    return { retry: false, code: 'unknown_attribute', message: err.message };
  if (err instanceof NpyFormatError) return { retry: false, code: 'bad_latents', message: err.message };
  if (err instanceof InvalidStepCountError)
    return { retry: false, code: 'invalid_steps', message: err.message };
  if (err instanceof ClassifierFormatError)
    return { retry: false, code: 'unknown_direction', message: err.message };
  if (isAbort(err)) return { retry: true, code: 'aborted', message: 'the job was interrupted' };
  const code = (err as { code?: unknown } | null)?.code;
  const message = err instanceof Error ? err.message : String(err);
  if (typeof code === 'string' && /^(storage|queue)_/.test(code)) return { retry: true, code, message };
  return { retry: true, code: 'internal_error', message };
}
