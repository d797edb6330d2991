import { StorageError } from './errors.ts';

export const MAX_KEY_LENGTH = 1024;
/** Leaves room for the filesystem store's sidecar names inside NAME_MAX (255). */
export const MAX_SEGMENT_LENGTH = 200;

const SEGMENT = /^[A-Za-z0-9_=+,@-][A-Za-z0-9._=+,@-]*$/;

function segmentProblem(segment: string): string | null {
  if (segment.length === 0) return 'has an empty segment (leading, trailing or doubled "/")';
  if (segment.length > MAX_SEGMENT_LENGTH)
    return `has a segment longer than ${MAX_SEGMENT_LENGTH} characters`;
  if (segment.startsWith('.')) return `has a segment starting with "." ("${segment}")`;
  if (!SEGMENT.test(segment)) return 'contains characters outside A-Z a-z 0-9 . _ - = + , @ /';
  return null;
}

function describe(value: string): string {
  return JSON.stringify(value.length > 80 ? `${value.slice(0, 80)}…` : value);
}

/** Throws `invalid_key` unless `key` follows the key rules of `ObjectStore`. Returns the key. */
export function assertValidKey(key: unknown): string {
  if (typeof key !== 'string')
    throw new StorageError('invalid_key', `storage key must be a string, got ${typeof key}`);
  if (key.length === 0) throw new StorageError('invalid_key', 'storage key is empty');
  if (key.length > MAX_KEY_LENGTH) {
    throw new StorageError('invalid_key', `storage key is longer than ${MAX_KEY_LENGTH} characters`);
  }
  for (const segment of key.split('/')) {
    const problem = segmentProblem(segment);
    if (problem) throw new StorageError('invalid_key', `storage key ${describe(key)} ${problem}`);
  }
  return key;
}

/** A list prefix: empty, or a key, or a key followed by "/"; the last segment may be partial. */
export function assertValidPrefix(prefix: unknown): string {
  if (typeof prefix !== 'string') {
    throw new StorageError('invalid_key', `list prefix must be a string, got ${typeof prefix}`);
  }
  if (prefix === '') return prefix;
  assertValidKey(prefix.endsWith('/') ? prefix.slice(0, -1) : prefix);
  return prefix;
}
