/**
 * Signed job webhooks (runtime-agnostic: Web Crypto and fetch only).
 *
 * The sender POSTs the JSON body with the header `DiffAE-Signature: t=<unix seconds>,v1=<hex>` where
 * v1 = HMAC-SHA256(secret, `${t}.${body}`). Receivers verify the MAC over the exact bytes they received
 * and refuse timestamps outside a replay window. Several `v1=` entries may appear (secret rotation);
 * one matching entry is enough.
 */

export const WEBHOOK_SIGNATURE_HEADER = 'DiffAE-Signature';
/** Default replay window: a signature older or newer than this (seconds) is refused. */
export const WEBHOOK_TOLERANCE_SECONDS = 300;

const encoder = new TextEncoder();

function toHex(bytes: ArrayBuffer): string {
  return Array.from(new Uint8Array(bytes), (b) => b.toString(16).padStart(2, '0')).join('');
}

async function hmacHex(secret: string, message: string): Promise<string> {
  if (secret.length === 0) throw new RangeError('webhook secret must not be empty');
  const key = await crypto.subtle.importKey(
    'raw',
    encoder.encode(secret),
    { name: 'HMAC', hash: 'SHA-256' },
    false,
    ['sign'],
  );
  return toHex(await crypto.subtle.sign('HMAC', key, encoder.encode(message)));
}

/** Same-length strings compared without an early exit. */
function constantTimeEqual(a: string, b: string): boolean {
  if (a.length !== b.length) return false;
  let diff = 0;
  for (let i = 0; i < a.length; i++) diff |= a.charCodeAt(i) ^ b.charCodeAt(i);
  return diff === 0;
}

function assertTimestamp(timestamp: number): void {
  if (!Number.isSafeInteger(timestamp) || timestamp < 0) {
    throw new RangeError(`webhook timestamp must be whole unix seconds, got ${timestamp}`);
  }
}

/** The `DiffAE-Signature` header value for `body` sent at `timestamp` (unix seconds). */
export async function signWebhook(secret: string, body: string, timestamp: number): Promise<string> {
  assertTimestamp(timestamp);
  return `t=${timestamp},v1=${await hmacHex(secret, `${timestamp}.${body}`)}`;
}

export type WebhookVerification =
  | { ok: true; timestamp: number }
  | {
      ok: false;
      reason: 'malformed_header' | 'timestamp_out_of_window' | 'signature_mismatch';
      message: string;
    };

export interface VerifyWebhookOptions {
  /** Unix seconds; default now. */
  nowSeconds?: number;
  /** Replay window in seconds (default 300). */
  toleranceSeconds?: number;
}

function parseHeader(header: string): { timestamp: number; signatures: string[] } | undefined {
  let timestamp: number | undefined;
  const signatures: string[] = [];
  for (const part of header.split(',')) {
    const eq = part.indexOf('=');
    if (eq < 0) return undefined;
    const name = part.slice(0, eq).trim();
    const value = part.slice(eq + 1).trim();
    if (name === 't') {
      if (!/^\d{1,15}$/.test(value)) return undefined;
      timestamp = Number(value);
    } else if (name === 'v1') {
      if (!/^[0-9a-f]{64}$/.test(value)) return undefined;
      signatures.push(value);
    }
  }
  if (timestamp === undefined || signatures.length === 0) return undefined;
  return { timestamp, signatures };
}

/** Checks a received `DiffAE-Signature` header against the raw body. Never throws for bad input. */
export async function verifyWebhook(
  secret: string,
  body: string,
  header: string | null | undefined,
  options: VerifyWebhookOptions = {},
): Promise<WebhookVerification> {
  const parsed = header ? parseHeader(header) : undefined;
  if (!parsed) {
    return {
      ok: false,
      reason: 'malformed_header',
      message: `expected a ${WEBHOOK_SIGNATURE_HEADER} header like "t=<unix seconds>,v1=<64 hex digits>"`,
    };
  }
  const now = options.nowSeconds ?? Math.floor(Date.now() / 1000);
  const tolerance = options.toleranceSeconds ?? WEBHOOK_TOLERANCE_SECONDS;
  if (Math.abs(now - parsed.timestamp) > tolerance) {
    return {
      ok: false,
      reason: 'timestamp_out_of_window',
      message: `signature timestamp ${parsed.timestamp} is more than ${tolerance} s away from now (${now})`,
    };
  }
  const expected = await hmacHex(secret, `${parsed.timestamp}.${body}`);
  if (!parsed.signatures.some((s) => constantTimeEqual(s, expected))) {
    return {
      ok: false,
      reason: 'signature_mismatch',
      message: 'no v1 signature matches the body and secret',
    };
  }
  return { ok: true, timestamp: parsed.timestamp };
}

export type FetchLike = (url: string, init: RequestInit) => Promise<Response>;

export interface DeliverWebhookOptions {
  /** Extra attempts after the first (default 3). */
  retries?: number;
  /** Wait before retry i (1-based) is backoffMs·2^(i−1) (default 1000). */
  backoffMs?: number;
  /** Per-attempt timeout (default 10 000 ms). */
  timeoutMs?: number;
  /** Unix seconds for the signature; default now (re-read on every attempt). */
  now?: () => number;
  sleep?: (ms: number) => Promise<void>;
}

export interface WebhookDelivery {
  delivered: boolean;
  attempts: number;
  /** HTTP status of the last attempt, when one answered. */
  status?: number;
  /** Why the last attempt failed. */
  error?: string;
}

/** Retrying helps for network errors, timeouts, 408, 429 and 5xx; any other answer is final. */
function retryable(status: number): boolean {
  return status === 408 || status === 429 || status >= 500;
}

/**
 * POSTs `payload` as JSON, signed afresh on every attempt (so the timestamp stays inside the
 * receiver's window). A 2xx answer counts as delivered. Never throws for delivery failures.
 */
export async function deliverWebhook(
  fetchFn: FetchLike,
  url: string,
  payload: unknown,
  secret: string,
  options: DeliverWebhookOptions = {},
): Promise<WebhookDelivery> {
  const retries = options.retries ?? 3;
  const backoffMs = options.backoffMs ?? 1000;
  const timeoutMs = options.timeoutMs ?? 10_000;
  if (!Number.isInteger(retries) || retries < 0)
    throw new RangeError(`retries must be an integer >= 0, got ${retries}`);
  if (!(backoffMs >= 0)) throw new RangeError(`backoffMs must be >= 0, got ${backoffMs}`);
  const now = options.now ?? (() => Math.floor(Date.now() / 1000));
  const sleep = options.sleep ?? ((ms: number) => new Promise<void>((r) => setTimeout(r, ms)));
  const body = JSON.stringify(payload);
  let last: WebhookDelivery = { delivered: false, attempts: 0 };
  for (let attempt = 1; attempt <= retries + 1; attempt++) {
    if (attempt > 1) await sleep(backoffMs * 2 ** (attempt - 2));
    const signature = await signWebhook(secret, body, now());
    try {
      const response = await fetchFn(url, {
        method: 'POST',
        headers: { 'content-type': 'application/json', [WEBHOOK_SIGNATURE_HEADER]: signature },
        body,
        signal: AbortSignal.timeout(timeoutMs),
      });
      await response.body?.cancel().catch(() => undefined);
      if (response.ok) return { delivered: true, attempts: attempt, status: response.status };
      last = {
        delivered: false,
        attempts: attempt,
        status: response.status,
        error: `HTTP ${response.status}`,
      };
      if (!retryable(response.status)) return last;
    } catch (err) {
      last = { delivered: false, attempts: attempt, error: err instanceof Error ? err.message : String(err) };
    }
  }
  return last;
}
