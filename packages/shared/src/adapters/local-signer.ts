/**
 * Local stand-in for S3 presigning on one machine.
 *
 * There is no S3 in the single-machine setup, so "presigned" URLs point at the edge's own route
 * `${baseUrl}/v1/local-storage/<key>` and carry an HMAC-SHA256 over method, key, expiry and (for PUT)
 * content type and size limit. The route (`local-storage-route.ts`) verifies them with the same secret.
 * Like an S3 URL, whoever holds the URL may use it until it expires; nothing else is granted.
 */
import { createHmac, timingSafeEqual } from 'node:crypto';
import { StorageError } from './errors.ts';
import { assertValidKey } from './keys.ts';

export const LOCAL_STORAGE_ROUTE = '/v1/local-storage/';

export type SignedMethod = 'GET' | 'PUT';

export interface LocalGrant {
  method: SignedMethod;
  key: string;
  /** Unix seconds. */
  expires: number;
  /** PUT only: the Content-Type the upload must carry. */
  contentType?: string;
  /** PUT only: largest accepted body. */
  maxBytes?: number;
}

export class LocalSigner {
  readonly #secret: Buffer;
  readonly baseUrl: string;

  /** `secret`: at least 16 bytes of entropy; `baseUrl`: where the edge serves `/v1/local-storage/`. */
  constructor(secret: string | Uint8Array, baseUrl: string) {
    const bytes = typeof secret === 'string' ? Buffer.from(secret, 'utf8') : Buffer.from(secret);
    if (bytes.length < 16)
      throw new StorageError('invalid_argument', 'local signing secret must be at least 16 bytes');
    let parsed: URL;
    try {
      parsed = new URL(baseUrl);
    } catch {
      throw new StorageError(
        'invalid_argument',
        `local storage base URL is not a URL: ${JSON.stringify(baseUrl)}`,
      );
    }
    if (parsed.protocol !== 'http:' && parsed.protocol !== 'https:') {
      throw new StorageError('invalid_argument', `local storage base URL must be http(s): ${baseUrl}`);
    }
    this.#secret = bytes;
    this.baseUrl = baseUrl.replace(/\/+$/, '');
  }

  /** URL for `grant`; the key is validated. */
  sign(grant: LocalGrant): string {
    assertValidKey(grant.key);
    const url = new URL(
      `${this.baseUrl}${LOCAL_STORAGE_ROUTE}${grant.key.split('/').map(encodeURIComponent).join('/')}`,
    );
    url.searchParams.set('method', grant.method);
    url.searchParams.set('expires', String(grant.expires));
    if (grant.contentType !== undefined) url.searchParams.set('ct', grant.contentType);
    if (grant.maxBytes !== undefined) url.searchParams.set('max', String(grant.maxBytes));
    url.searchParams.set('sig', this.#mac(grant));
    return url.toString();
  }

  /**
   * Checks a signature for `method` on `key`; throws `signature_invalid` / `signature_expired`.
   * `params` are the URL's query values (`expires`, `sig`, and `ct`/`max` when signed).
   */
  verifyLocalSignature(
    key: string,
    method: string,
    params: { expires: string | null; sig: string | null; ct?: string | null; max?: string | null },
    nowMs = Date.now(),
  ): LocalGrant {
    if (method !== 'GET' && method !== 'PUT' && method !== 'HEAD') {
      throw new StorageError('signature_invalid', `method ${method} is not allowed on local storage URLs`);
    }
    const signedMethod: SignedMethod = method === 'PUT' ? 'PUT' : 'GET';
    const expires = Number(params.expires);
    if (!params.expires || !Number.isSafeInteger(expires) || !params.sig) {
      throw new StorageError('signature_invalid', 'local storage URL lacks a valid expires/sig pair');
    }
    const grant: LocalGrant = { method: signedMethod, key, expires };
    if (params.ct != null) grant.contentType = params.ct;
    if (params.max != null) {
      const max = Number(params.max);
      if (!Number.isSafeInteger(max) || max < 0)
        throw new StorageError('signature_invalid', 'bad max parameter');
      grant.maxBytes = max;
    }
    assertValidKey(key);
    const expected = Buffer.from(this.#mac(grant), 'utf8');
    const given = Buffer.from(params.sig, 'utf8');
    if (expected.length !== given.length || !timingSafeEqual(expected, given)) {
      throw new StorageError('signature_invalid', `signature does not match ${signedMethod} ${key}`);
    }
    if (nowMs >= expires * 1000) {
      throw new StorageError(
        'signature_expired',
        `URL for ${key} expired at ${new Date(expires * 1000).toISOString()}`,
      );
    }
    return grant;
  }

  /** Verifies a full request URL as produced by {@link sign}; returns the grant. */
  verifyUrl(method: string, url: string | URL, nowMs = Date.now()): LocalGrant {
    const parsed = typeof url === 'string' ? new URL(url) : url;
    const at = parsed.pathname.indexOf(LOCAL_STORAGE_ROUTE);
    if (at < 0) throw new StorageError('signature_invalid', `not a local storage URL: ${parsed.pathname}`);
    let key: string;
    try {
      key = decodeURIComponent(parsed.pathname.slice(at + LOCAL_STORAGE_ROUTE.length));
    } catch {
      throw new StorageError('invalid_key', 'local storage URL has a malformed key');
    }
    const q = parsed.searchParams;
    if (q.get('method') !== (method === 'PUT' ? 'PUT' : 'GET')) {
      throw new StorageError('signature_invalid', `URL was not signed for ${method}`);
    }
    return this.verifyLocalSignature(
      key,
      method,
      {
        expires: q.get('expires'),
        sig: q.get('sig'),
        ct: q.get('ct'),
        max: q.get('max'),
      },
      nowMs,
    );
  }

  #mac(grant: LocalGrant): string {
    const canonical = [
      'diffae-local-storage-v1',
      grant.method,
      grant.key,
      String(grant.expires),
      grant.contentType ?? '',
      grant.maxBytes === undefined ? '' : String(grant.maxBytes),
    ].join('\n');
    return createHmac('sha256', this.#secret).update(canonical).digest('base64url');
  }
}
