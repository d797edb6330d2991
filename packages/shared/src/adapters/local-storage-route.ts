/**
 * Fetch-API handler for `/v1/local-storage/<key>`: the single-machine counterpart of S3 presigned URLs.
 * The edge mounts it (e.g. Hono: `app.all('/v1/local-storage/*', (c) => handler(c.req.raw))`).
 * GET/HEAD stream the object; PUT stores the body atomically after checking the signed content type and
 * size limit. Errors answer with a JSON `{ error: { code, message } }` body.
 */

import type { ObjectStore } from '../ports.ts';
import { readStreamLimited } from '../streams.ts';
import { StorageError } from './errors.ts';
import type { LocalSigner } from './local-signer.ts';

const STATUS: Partial<Record<StorageError['code'], number>> = {
  invalid_key: 400,
  invalid_argument: 400,
  signature_invalid: 403,
  signature_expired: 403,
  too_large: 413,
  precondition_failed: 412,
  key_conflict: 409,
  storage_unavailable: 503,
};

function errorResponse(err: unknown): Response {
  const e = err instanceof StorageError ? err : new StorageError('storage_error', 'internal storage error');
  return Response.json({ error: { code: e.code, message: e.message } }, { status: STATUS[e.code] ?? 500 });
}

function readLimited(body: ReadableStream<Uint8Array> | null, maxBytes: number | undefined) {
  return readStreamLimited(
    body,
    maxBytes,
    () => new StorageError('too_large', `upload is larger than the signed limit of ${maxBytes} bytes`),
  );
}

export function createLocalStorageHandler(
  store: ObjectStore,
  signer: LocalSigner,
): (request: Request) => Promise<Response> {
  return async (request) => {
    try {
      const grant = signer.verifyUrl(request.method, request.url);
      if (request.method === 'PUT') {
        const contentType = request.headers.get('content-type');
        if (grant.contentType !== undefined && contentType !== grant.contentType) {
          throw new StorageError(
            'signature_invalid',
            `Content-Type must be ${JSON.stringify(grant.contentType)} as signed, got ${JSON.stringify(contentType)}`,
          );
        }
        const declared = Number(request.headers.get('content-length') ?? Number.NaN);
        if (grant.maxBytes !== undefined && declared > grant.maxBytes) {
          throw new StorageError(
            'too_large',
            `upload of ${declared} bytes exceeds the signed limit of ${grant.maxBytes}`,
          );
        }
        const body = await readLimited(request.body, grant.maxBytes);
        await store.put(
          grant.key,
          body,
          grant.contentType === undefined ? {} : { contentType: grant.contentType },
        );
        return new Response(null, { status: 200 });
      }
      const info = await store.head(grant.key);
      const stream = info && request.method === 'GET' ? await store.getStream(grant.key) : null;
      if (!info || (request.method === 'GET' && !stream)) {
        return Response.json(
          { error: { code: 'not_found', message: `no object ${grant.key}` } },
          { status: 404 },
        );
      }
      const headers = new Headers({
        'content-length': String(info.bytes),
        'last-modified': info.lastModified.toUTCString(),
      });
      headers.set('content-type', info.contentType ?? 'application/octet-stream');
      if (info.etag) headers.set('etag', info.etag);
      if (info.cacheControl) headers.set('cache-control', info.cacheControl);
      return new Response(stream, { status: 200, headers });
    } catch (err) {
      return errorResponse(err);
    }
  };
}
