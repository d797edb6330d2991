/**
 * Storage and queue boundaries shared by the edge API and the GPU worker.
 *
 * Types only: this module is runtime-agnostic. Implementations live in `src/adapters/` (Node-only):
 * filesystem + SQLite for one machine, S3 + SQS on AWS. All adapters pass the same contract tests
 * (`packages/shared/test/adapters/*-contract.ts`); behaviour that differs is named in the docs below.
 */

// ---------------------------------------------------------------- errors

export type StorageErrorCode =
  /** Key or prefix breaks the key rules (see {@link ObjectStore}). */
  | 'invalid_key'
  /** A bad option value (expiry out of range, non-positive limit, …). */
  | 'invalid_argument'
  /** The filesystem store cannot hold an object `a` and an object `a/b` at once. */
  | 'key_conflict'
  /** `ifNoneMatch: '*'` and the object exists. */
  | 'precondition_failed'
  /** Body larger than the signed `maxBytes` (local upload route). */
  | 'too_large'
  /** Presigning requested from a store that was not configured for it. */
  | 'not_supported'
  /** Local presigned URL with a wrong signature, or one signed for another method/key. */
  | 'signature_invalid'
  /** Local presigned URL past its expiry. */
  | 'signature_expired'
  /** The backend could not be reached or failed transiently: retrying may help. */
  | 'storage_unavailable'
  /** Any other backend failure (permissions, misconfiguration): retrying will not help. */
  | 'storage_error';

export type QueueErrorCode =
  | 'invalid_argument'
  /** Body empty or over 256 KiB of UTF-8 (the SQS limit; jobs carry storage keys, not data). */
  | 'message_too_large'
  /** `changeVisibility` with a receipt that is not the current one of an in-flight message. */
  | 'receipt_invalid'
  /** The queue is closed (this handle) or does not exist. */
  | 'queue_closed'
  | 'queue_unavailable'
  | 'queue_error';

/** Adapters throw errors of this shape (`StorageError` / `QueueError` in `adapters/errors.ts`). */
export interface PortError<Code extends string> extends Error {
  readonly code: Code;
}

// ---------------------------------------------------------------- object storage

export interface PutOptions {
  contentType?: string;
  cacheControl?: string;
  /**
   * `'*'`: create only, fail with `precondition_failed` when the key exists. Atomic on the filesystem
   * store and on real S3; S3 emulators accept and ignore it.
   */
  ifNoneMatch?: '*';
}

export interface ObjectInfo {
  bytes: number;
  contentType?: string;
  cacheControl?: string;
  /** Opaque version tag; changes on every overwrite. */
  etag?: string;
  lastModified: Date;
}

export interface ListOptions {
  /** Page size, 1..1000 (default 1000). */
  limit?: number;
  /** `cursor` from the previous page. */
  cursor?: string;
}

export interface ListPage {
  /** Keys in ascending byte order (keys are ASCII, so that is also JS string order). */
  keys: string[];
  /** Present when more keys follow. */
  cursor?: string;
}

export interface PresignPutOptions {
  /** Seconds, 1..604800 (7 days, the S3 limit; S3 URLs also end with the signing credentials). */
  expiresIn: number;
  /** The uploader must send exactly this `Content-Type` (it is part of the signature). */
  contentType: string;
  /**
   * Upper bound on the body. Enforced by the local upload route; an S3 presigned PUT cannot enforce it
   * (`PresignedPut.maxBytesEnforced` is false), so check `head(key).bytes` before using an upload.
   */
  maxBytes?: number;
}

export interface PresignedPut {
  url: string;
  method: 'PUT';
  /** Headers the uploader must send with the PUT. */
  headers: Record<string, string>;
  expiresAt: Date;
  maxBytesEnforced: boolean;
}

export interface PresignedGet {
  url: string;
  expiresAt: Date;
}

/**
 * A flat key → bytes store (S3 semantics).
 *
 * Keys: 1..1024 characters, segments separated by `/`, each segment 1..200 characters of
 * `A-Z a-z 0-9 . _ - = + , @`, not starting with `.` (so no `.`/`..` and no hidden files); no leading,
 * trailing or doubled `/`. Anything else is rejected with `invalid_key`. List prefixes follow the same
 * rules but may be empty or end with `/`.
 *
 * Writes are atomic for readers: a reader sees the old object or the whole new one, never a part.
 * Portable code must not use a key that is both an object and a prefix (`a` and `a/b`): the
 * filesystem store refuses that with `key_conflict`.
 */
export interface ObjectStore {
  put(key: string, body: Uint8Array | string, opts?: PutOptions): Promise<void>;
  /** Whole object, or `null` when absent. */
  get(key: string): Promise<Uint8Array | null>;
  /** Streaming read for large objects (bundles, results), or `null` when absent. */
  getStream(key: string): Promise<ReadableStream<Uint8Array> | null>;
  head(key: string): Promise<ObjectInfo | null>;
  /** Idempotent: deleting an absent key succeeds. */
  delete(key: string): Promise<void>;
  /** Keys starting with `prefix` (a string prefix, not a folder), one page at a time. */
  list(prefix: string, opts?: ListOptions): Promise<ListPage>;
  /** Optional: stores that cannot hand out URLs omit these or throw `not_supported`. */
  presignPut?(key: string, opts: PresignPutOptions): Promise<PresignedPut>;
  presignGet?(key: string, opts: { expiresIn: number }): Promise<PresignedGet>;
  /** Releases clients/handles. */
  close(): Promise<void>;
}

// ---------------------------------------------------------------- job queue

export interface SendOptions {
  /**
   * Deduplication id: a second send with the same id within the window enqueues nothing (the SQLite
   * queue returns the first message's id). Honoured by the SQLite queue (5 min window) and FIFO SQS
   * queues; standard SQS queues ignore it, so consumers must be idempotent anyway.
   */
  dedupId?: string;
  /** 0..900 seconds before the message becomes visible. */
  delaySeconds?: number;
  /** FIFO SQS only: ordering group (default `'default'`). */
  groupId?: string;
}

export interface ReceiveOptions {
  /** 1..10 messages. */
  max: number;
  /** Long poll: 0..20 seconds to wait for the first message. */
  waitSeconds: number;
  /** Seconds a received message stays hidden (0..43200); default: the queue's. */
  visibilityTimeout?: number;
  /** Aborting ends the long poll early; `receive` then resolves with `[]`. */
  signal?: AbortSignal;
}

export interface QueueMessage {
  id: string;
  body: string;
  /** Handle for `delete`/`changeVisibility`; a new one on every receive. */
  receipt: string;
  /** 1 on first delivery. */
  receiveCount: number;
  firstReceivedAt?: Date;
}

export interface QueueStats {
  /** Ready to be received now. */
  visible: number;
  /** Received and still hidden. */
  inFlight: number;
  /** Sent with a delay that has not passed yet. */
  delayed?: number;
}

/**
 * At-least-once job queue (SQS semantics).
 *
 * A received message is hidden for its visibility timeout; unless deleted it then becomes visible again
 * with `receiveCount + 1` and a new receipt. Once a message has been received `maxReceives` times, the
 * next receive moves it to the dead-letter queue instead of delivering it (SQS: redrive policy with
 * `maxReceiveCount`; SQLite queue: its own `maxReceives` option).
 */
export interface JobQueue {
  send(body: string, opts?: SendOptions): Promise<{ messageId: string }>;
  receive(opts: ReceiveOptions): Promise<QueueMessage[]>;
  /**
   * Deletes the message if `receipt` is its current receipt. A stale receipt (the message was
   * redelivered since) is a silent no-op on the SQLite queue; real SQS documents that it may or may not
   * delete, so never rely on a stale receipt either way.
   */
  delete(receipt: string): Promise<void>;
  /** Heartbeat: hide the in-flight message for `seconds` from now (0 makes it visible). */
  changeVisibility(receipt: string, seconds: number): Promise<void>;
  stats(): Promise<QueueStats>;
  /** The queue dead letters go to, as a queue of its own (receive, inspect, delete, resend), if any. */
  deadLetterQueue(): Promise<JobQueue | null>;
  /**
   * Optional: settings the queue itself enforces. `maxReceives`: the receives after which it
   * dead-letters a message (SQS: the redrive policy's `maxReceiveCount`), absent when it never does.
   */
  describe?(): Promise<{ maxReceives?: number }>;
  close(): Promise<void>;
}
