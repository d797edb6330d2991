/** Serving immutable files: strong ETag (SHA-256), long cache lifetime, 304 on a matching If-None-Match. */
import type { Context } from 'hono';

export const IMMUTABLE = 'public, max-age=31536000, immutable';
/** For URLs whose content can change (unversioned model ids): revalidate after 5 minutes. */
export const REVALIDATE = 'public, max-age=300';

export function fileResponse(
  c: Context,
  bytes: Uint8Array,
  opts: { contentType: string; sha256: string; cacheControl: string },
): Response {
  const etag = `"${opts.sha256}"`;
  const headers = {
    'Content-Type': opts.contentType,
    'Cache-Control': opts.cacheControl,
    ETag: etag,
    'Cross-Origin-Resource-Policy': 'cross-origin',
  };
  const match = c.req.header('if-none-match');
  if (match?.split(',').some((t) => t.trim() === etag || t.trim() === `W/${etag}`)) {
    return c.body(null, 304, headers);
  }
  return c.body(bytes as Uint8Array<ArrayBuffer>, 200, headers);
}
