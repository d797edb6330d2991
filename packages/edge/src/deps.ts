/**
 * What `createApp` needs from the outside world. The runtime adapters (Node, Lambda, workerd) wire
 * real parts; tests wire the same real parts in a temp directory.
 */
import type { Classifier, DiffAEBackend, Manifest } from '@diffae/shared';
import type { JobQueue, ObjectStore } from '../../shared/src/ports.ts';
import type { ApiKeyRecord } from './keys.ts';

/** One servable model version. */
export interface ModelEntry {
  readonly manifest: Manifest;
  readonly classifier?: Classifier;
  /** The inference backend for encodes and previews (created on first use, then shared). */
  backend(): Promise<DiffAEBackend>;
  /** Raw bytes of a bundle file that browsers may download (lite encoder, classifier JSON), or null. */
  file(name: 'liteEncoder' | 'classifier'): Promise<Uint8Array | null>;
  /** Releases the backend if one was created. */
  dispose?(): Promise<void>;
}

export interface ModelRegistry {
  list(): readonly ModelEntry[];
  /** `ref` is "id" (newest version, or the one loaded) or "id@version"; undefined: the default model. */
  get(ref?: string): ModelEntry | undefined;
}

export interface KeyStore {
  /** The record whose hash is sha256(key), or undefined. */
  findByHash(hash: string): ApiKeyRecord | undefined;
  /** Every origin any publishable key lists (answers CORS preflights, which carry no key). */
  allOrigins(): ReadonlySet<string>;
}

export interface RateLimitDecision {
  allowed: boolean;
  remaining: number;
  /** Seconds until a request would be allowed again (when not allowed). */
  retryAfterS: number;
}

export interface RateLimiter {
  /** Takes one token for `id` under `limit`; `nowMs` comes from the app's clock. */
  take(id: string, limit: { requestsPerMinute: number; burst: number }, nowMs: number): RateLimitDecision;
  /** Counts one job for `id` on the UTC day of `nowMs`; false when `jobsPerDay` is already used up. */
  takeJob(id: string, jobsPerDay: number, nowMs: number): boolean;
}

export interface Clock {
  now(): number;
  sleep(ms: number, signal?: AbortSignal): Promise<void>;
}

export interface IdGenerator {
  /** Random, unguessable, matching `[A-Za-z0-9_-]{8,64}`. */
  next(prefix: string): string;
}

export interface Logger {
  info(message: string, fields?: Record<string, unknown>): void;
  warn(message: string, fields?: Record<string, unknown>): void;
  error(message: string, fields?: Record<string, unknown>): void;
}

/** Static files served under /v1/assets/ort/ (onnxruntime-web's wasm and loader). */
export interface AssetSource {
  /** Bytes of an allowlisted file, or null when this runtime does not have it. */
  get(name: string): Promise<Uint8Array | null>;
}

export interface EdgeLimits {
  /** Largest raw image body on /v1/uploads/direct, /v1/encode (default 4 MiB). */
  maxDirectImageBytes: number;
  /** Largest presigned upload (default 20 MiB). */
  maxUploadBytes: number;
  /** Largest JSON body (default 256 KiB). */
  maxJsonBytes: number;
  /** Image header limits (decompression-bomb guard). */
  maxImageSide: number;
  maxImagePixels: number;
  /** Presigned upload / result URL lifetime in seconds (default 900). */
  presignExpiresS: number;
  /** SSE: store poll interval and longest stream (defaults 500 ms, 15 min). */
  eventsPollMs: number;
  eventsMaxMs: number;
  /** Preview step counts may not exceed this (default 50). */
  maxPreviewSteps: number;
}

export interface EdgeDeps {
  store: ObjectStore;
  queue: JobQueue;
  models: ModelRegistry;
  keys: KeyStore;
  rateLimiter: RateLimiter;
  clock: Clock;
  ids: IdGenerator;
  logger: Logger;
  assets?: AssetSource;
  limits?: Partial<EdgeLimits>;
  /** Allow http://127.0.0.1 / localhost webhooks (local mode only). */
  allowLocalWebhooks?: boolean;
  /** Entries of the encode/inversion cache (default 64). */
  cacheEntries?: number;
}

export const DEFAULT_LIMITS: EdgeLimits = {
  maxDirectImageBytes: 4 * 1024 * 1024,
  maxUploadBytes: 20 * 1024 * 1024,
  maxJsonBytes: 256 * 1024,
  maxImageSide: 8192,
  maxImagePixels: 40_000_000,
  presignExpiresS: 900,
  eventsPollMs: 500,
  eventsMaxMs: 15 * 60 * 1000,
  maxPreviewSteps: 50,
};
