import { QueueError, StorageError } from './errors.ts';

/** Integer in [min, max] or a clear error naming the option. */
export function intInRange(
  name: string,
  value: unknown,
  min: number,
  max: number,
  fail: (message: string) => Error,
): number {
  if (typeof value !== 'number' || !Number.isInteger(value) || value < min || value > max) {
    throw fail(`${name} must be an integer in ${min}..${max}, got ${JSON.stringify(value)}`);
  }
  return value;
}

export const storageArg = (name: string, value: unknown, min: number, max: number): number =>
  intInRange(name, value, min, max, (m) => new StorageError('invalid_argument', m));

export const queueArg = (name: string, value: unknown, min: number, max: number): number =>
  intInRange(name, value, min, max, (m) => new QueueError('invalid_argument', m));

/** S3's limit for presigned URLs, applied to local ones too so callers see one rule. */
export const MAX_PRESIGN_SECONDS = 604_800;
export const MAX_LIST_LIMIT = 1000;

export function listLimit(limit: number | undefined): number {
  return limit === undefined ? MAX_LIST_LIMIT : storageArg('list limit', limit, 1, MAX_LIST_LIMIT);
}

export function presignSeconds(expiresIn: unknown): number {
  return storageArg('expiresIn', expiresIn, 1, MAX_PRESIGN_SECONDS);
}

export function toBytes(body: Uint8Array | string): Uint8Array {
  if (typeof body === 'string') return new TextEncoder().encode(body);
  if (body instanceof Uint8Array) return body;
  throw new StorageError('invalid_argument', 'object body must be a Uint8Array or a string');
}
