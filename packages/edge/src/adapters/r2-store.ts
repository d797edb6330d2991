/**
 * ObjectStore over a Cloudflare R2 bucket binding (workerd). No presigning: R2 presigned URLs need the
 * S3 API with credentials (use aws4fetch against R2's S3 endpoint if the widget must upload directly).
 */
import type {
  ListOptions,
  ListPage,
  ObjectInfo,
  ObjectStore,
  PutOptions,
} from '../../../shared/src/ports.ts';

/** The slice of the R2 binding API this store uses (structural, no workers-types dependency). */
export interface R2BucketLike {
  get(key: string): Promise<{ arrayBuffer(): Promise<ArrayBuffer>; body: ReadableStream<Uint8Array> } | null>;
  head(key: string): Promise<R2ObjectLike | null>;
  put(
    key: string,
    value: Uint8Array | string,
    options?: {
      httpMetadata?: { contentType?: string; cacheControl?: string };
      onlyIf?: { etagDoesNotMatch?: string };
    },
  ): Promise<R2ObjectLike | null>;
  delete(key: string): Promise<void>;
  list(options: { prefix: string; limit?: number; cursor?: string }): Promise<{
    objects: { key: string }[];
    truncated: boolean;
    cursor?: string;
  }>;
}

interface R2ObjectLike {
  size: number;
  etag: string;
  uploaded: Date;
  httpMetadata?: { contentType?: string; cacheControl?: string };
}

class R2StoreError extends Error {
  override readonly name = 'StorageError';
  constructor(
    readonly code: 'precondition_failed' | 'storage_error',
    message: string,
  ) {
    super(message);
  }
}

export function r2ObjectStore(bucket: R2BucketLike): ObjectStore {
  return {
    async put(key: string, body: Uint8Array | string, opts: PutOptions = {}) {
      const httpMetadata = {
        ...(opts.contentType ? { contentType: opts.contentType } : {}),
        ...(opts.cacheControl ? { cacheControl: opts.cacheControl } : {}),
      };
      // R2 conditional put: etagDoesNotMatch "*" writes only when no object exists; null means refused.
      const result = await bucket.put(key, body, {
        httpMetadata,
        ...(opts.ifNoneMatch ? { onlyIf: { etagDoesNotMatch: '*' } } : {}),
      });
      if (result === null) throw new R2StoreError('precondition_failed', `${key} already exists`);
    },
    async get(key: string) {
      const obj = await bucket.get(key);
      return obj ? new Uint8Array(await obj.arrayBuffer()) : null;
    },
    async getStream(key: string) {
      return (await bucket.get(key))?.body ?? null;
    },
    async head(key: string): Promise<ObjectInfo | null> {
      const obj = await bucket.head(key);
      if (!obj) return null;
      return {
        bytes: obj.size,
        etag: obj.etag,
        lastModified: obj.uploaded,
        ...(obj.httpMetadata?.contentType ? { contentType: obj.httpMetadata.contentType } : {}),
        ...(obj.httpMetadata?.cacheControl ? { cacheControl: obj.httpMetadata.cacheControl } : {}),
      };
    },
    async delete(key: string) {
      await bucket.delete(key);
    },
    async list(prefix: string, opts: ListOptions = {}): Promise<ListPage> {
      const page = await bucket.list({
        prefix,
        limit: opts.limit ?? 1000,
        ...(opts.cursor ? { cursor: opts.cursor } : {}),
      });
      return {
        keys: page.objects.map((o) => o.key),
        ...(page.truncated && page.cursor ? { cursor: page.cursor } : {}),
      };
    },
    async close() {},
  };
}
