/**
 * API-key authentication, publishable-key origin checks, per-key rate limits and CORS.
 *
 * Keys travel as `Authorization: Bearer <key>` or `X-API-Key`. Browsers cannot set headers on an
 * EventSource, so the events route also accepts `?key=` — for publishable keys only (a secret key in a
 * URL would end up in proxy logs).
 */
import type { Context, MiddlewareHandler } from 'hono';
import type { AppContext, AppEnv, Caller } from './context.ts';
import { ApiError } from './errors.ts';
import { keyId, kindOfKey, sha256Hex } from './keys.ts';

/** Who may call a route: anyone, any valid key (publishable keys: allowed origins only), secret keys only. */
export type Access = 'public' | 'any' | 'secret';

const DEFAULT_RATE = {
  secret: { requestsPerMinute: 600, burst: 100 },
  publishable: { requestsPerMinute: 120, burst: 30 },
} as const;

export const CORS_ALLOW_HEADERS = 'authorization, content-type, idempotency-key, x-api-key, last-event-id';
export const CORS_EXPOSE_HEADERS = 'ratelimit-remaining, retry-after, idempotent-replayed, location';

function presentedKey(c: Context, allowQuery: boolean): { key: string; inUrl: boolean } | undefined {
  const auth = c.req.header('authorization');
  if (auth !== undefined) {
    const m = /^Bearer\s+(\S+)$/i.exec(auth.trim());
    if (!m) throw new ApiError(401, 'invalid_authorization', 'use "Authorization: Bearer <api key>"');
    return { key: m[1], inUrl: false };
  }
  const header = c.req.header('x-api-key');
  if (header !== undefined) return { key: header.trim(), inUrl: false };
  const query = allowQuery ? c.req.query('key') : undefined;
  return query ? { key: query, inUrl: true } : undefined;
}

/**
 * The page origin a browser request comes from. Same-origin GETs carry no Origin header (Fetch spec), so
 * a `Sec-Fetch-Site: same-origin` request (a header page scripts cannot set) counts as coming from this
 * server's own origin: the demo page that `npm start` serves from the edge itself.
 */
function requestOrigin(c: Context): string | undefined {
  const origin = c.req.header('origin');
  if (origin) return origin;
  if (c.req.header('sec-fetch-site') === 'same-origin') return new URL(c.req.url).origin;
  return undefined;
}

function setCorsFor(c: Context, origin: string): void {
  c.header('Access-Control-Allow-Origin', origin);
  c.header('Access-Control-Expose-Headers', CORS_EXPOSE_HEADERS);
  c.header('Vary', 'Origin', { append: true });
}

export function requireKey(
  ctx: AppContext,
  access: Exclude<Access, 'public'>,
  opts: { queryKey?: boolean } = {},
): MiddlewareHandler<AppEnv> {
  return async (c, next) => {
    const presented = presentedKey(c, opts.queryKey ?? false);
    if (!presented)
      throw new ApiError(401, 'missing_api_key', 'send an API key as "Authorization: Bearer <key>"');
    const kind = kindOfKey(presented.key);
    const record = kind ? ctx.deps.keys.findByHash(await sha256Hex(presented.key)) : undefined;
    if (!kind || !record || record.kind !== kind)
      throw new ApiError(401, 'invalid_api_key', 'the API key is not valid');
    if (kind === 'secret' && presented.inUrl) {
      throw new ApiError(
        400,
        'secret_key_in_url',
        'secret keys must not be sent in URLs; use the Authorization header',
      );
    }
    const caller: Caller = { record, kind, tenant: record.tenant, keyId: keyId(record.hash) };
    if (kind === 'publishable') {
      const origin = requestOrigin(c);
      if (!origin || !(record.origins ?? []).includes(origin)) {
        throw new ApiError(
          403,
          'origin_not_allowed',
          `this publishable key may only be used from ${(record.origins ?? []).join(', ')}`,
        );
      }
      setCorsFor(c, origin);
      if (access === 'secret') {
        throw new ApiError(
          403,
          'secret_key_required',
          'this route needs a secret key (sk_…); publishable keys cannot use it',
        );
      }
    }
    c.set('caller', caller);
    const decision = ctx.deps.rateLimiter.take(
      caller.keyId,
      record.rateLimit ?? DEFAULT_RATE[kind],
      ctx.deps.clock.now(),
    );
    c.header('RateLimit-Remaining', String(decision.remaining));
    if (!decision.allowed) {
      throw new ApiError(
        429,
        'rate_limited',
        `too many requests for this key; retry in ${decision.retryAfterS} s`,
        {
          'Retry-After': String(decision.retryAfterS),
        },
      );
    }
    await next();
  };
}

/**
 * Public routes answer any origin; keyed routes get CORS headers from `requireKey` (publishable keys
 * with a listed origin). Preflights carry no key, so they are answered for origins any key lists.
 */
export function cors(ctx: AppContext, isPublic: (path: string) => boolean): MiddlewareHandler<AppEnv> {
  return async (c, next) => {
    const origin = c.req.header('origin');
    const open = isPublic(c.req.path);
    if (c.req.method === 'OPTIONS' && origin) {
      const allowed = open || ctx.deps.keys.allOrigins().has(origin);
      if (!allowed) return c.body(null, 403);
      return c.body(null, 204, {
        'Access-Control-Allow-Origin': open ? '*' : origin,
        'Access-Control-Allow-Methods': 'GET, POST, PUT, OPTIONS',
        'Access-Control-Allow-Headers': CORS_ALLOW_HEADERS,
        'Access-Control-Max-Age': '600',
        Vary: 'Origin',
      });
    }
    if (open) c.header('Access-Control-Allow-Origin', '*');
    await next();
  };
}
