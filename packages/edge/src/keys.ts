/**
 * API keys. Secret keys (`sk_…`) are for servers; publishable keys (`pk_…`) are for the widget in a
 * browser and are limited to listed origins and a few routes. Only SHA-256 hashes are stored
 * (`DIFFAE_API_KEYS`, a JSON array of {@link ApiKeyRecord}); logs name a key by its hash prefix.
 */

import { formatIssues } from '@diffae/shared';
import { z } from 'zod';
import type { KeyStore } from './deps.ts';

export const KEY_KINDS = ['secret', 'publishable'] as const;
export type KeyKind = (typeof KEY_KINDS)[number];
const PREFIX: Record<KeyKind, string> = { secret: 'sk_', publishable: 'pk_' };

const origin = z
  .string()
  .regex(/^https?:\/\/[A-Za-z0-9.-]+(:\d{1,5})?$/, 'origins look like https://example.com[:port] (no path)');

export const apiKeyRecord = z
  .object({
    hash: z.string().regex(/^[0-9a-f]{64}$/, 'hash is the SHA-256 of the key, 64 lowercase hex digits'),
    tenant: z.string().regex(/^[A-Za-z0-9_-]{1,64}$/, 'tenant uses letters, digits, _ and - (at most 64)'),
    kind: z.enum(KEY_KINDS),
    /** Publishable keys: the browser origins allowed to use the key (required for them). */
    origins: z.array(origin).optional(),
    rateLimit: z
      .object({ requestsPerMinute: z.number().positive(), burst: z.number().int().positive() })
      .strict()
      .optional(),
    quota: z.object({ jobsPerDay: z.number().int().nonnegative() }).strict().optional(),
  })
  .strict()
  .refine((r) => r.kind !== 'publishable' || (r.origins?.length ?? 0) > 0, {
    message: 'publishable keys must list their allowed origins',
    path: ['origins'],
  });
export type ApiKeyRecord = z.infer<typeof apiKeyRecord>;

export class KeyConfigError extends Error {
  override readonly name = 'KeyConfigError';
}

const encoder = new TextEncoder();

export async function sha256Hex(data: string | Uint8Array): Promise<string> {
  const bytes = typeof data === 'string' ? encoder.encode(data) : data;
  const digest = await crypto.subtle.digest('SHA-256', bytes as Uint8Array<ArrayBuffer>);
  return Array.from(new Uint8Array(digest), (b) => b.toString(16).padStart(2, '0')).join('');
}

/** What a log line may say about a key. */
export function keyId(hash: string): string {
  return `key_${hash.slice(0, 12)}`;
}

/** `sk_`/`pk_` followed by 32 base64url characters (192 random bits). */
export function kindOfKey(key: string): KeyKind | undefined {
  if (!/^(sk|pk)_[A-Za-z0-9_-]{32}$/.test(key)) return undefined;
  return key.startsWith('sk_') ? 'secret' : 'publishable';
}

function base64url(bytes: Uint8Array): string {
  let s = '';
  for (const b of bytes) s += String.fromCharCode(b);
  return btoa(s).replace(/\+/g, '-').replace(/\//g, '_').replace(/=+$/, '');
}

/** A new random key and the record to put in DIFFAE_API_KEYS (the key itself is shown once). */
export async function createApiKey(
  kind: KeyKind,
  tenant: string,
  extra: Pick<ApiKeyRecord, 'origins' | 'rateLimit' | 'quota'> = {},
): Promise<{ key: string; record: ApiKeyRecord }> {
  const key = PREFIX[kind] + base64url(crypto.getRandomValues(new Uint8Array(24)));
  const record = apiKeyRecord.parse({ hash: await sha256Hex(key), tenant, kind, ...extra });
  return { key, record };
}

/** Validates the DIFFAE_API_KEYS JSON; throws KeyConfigError listing every problem. */
export function parseApiKeys(json: string | undefined): ApiKeyRecord[] {
  if (json === undefined || json.trim() === '') return [];
  let raw: unknown;
  try {
    raw = JSON.parse(json);
  } catch (err) {
    throw new KeyConfigError(`DIFFAE_API_KEYS is not valid JSON: ${(err as Error).message}`);
  }
  const parsed = z.array(apiKeyRecord).safeParse(raw);
  if (!parsed.success) {
    throw new KeyConfigError(
      `DIFFAE_API_KEYS is invalid:\n  - ${formatIssues(parsed.error.issues).join('\n  - ')}`,
    );
  }
  const seen = new Set<string>();
  for (const r of parsed.data) {
    if (seen.has(r.hash)) throw new KeyConfigError(`DIFFAE_API_KEYS lists the hash ${keyId(r.hash)} twice`);
    seen.add(r.hash);
  }
  return parsed.data;
}

export function createKeyStore(records: readonly ApiKeyRecord[]): KeyStore {
  const byHash = new Map(records.map((r) => [r.hash, r]));
  const origins = new Set(records.flatMap((r) => r.origins ?? []));
  return { findByHash: (hash) => byHash.get(hash), allOrigins: () => origins };
}
