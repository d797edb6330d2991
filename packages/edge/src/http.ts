/** Request-body helpers: size limits, content types and JSON validation, all failing with ApiError. */

import { formatIssues } from '@diffae/shared';
import type { Context } from 'hono';
import type { z } from 'zod';
import { ApiError } from './errors.ts';

export function mediaType(c: Context): string {
  return (c.req.header('content-type') ?? '').split(';')[0].trim().toLowerCase();
}

/** The whole body, refused with 413 as soon as it passes `maxBytes` (declared or streamed). */
export async function readBodyLimited(c: Context, maxBytes: number): Promise<Uint8Array> {
  const declared = c.req.header('content-length');
  if (declared !== undefined && Number(declared) > maxBytes) throw bodyTooLarge(maxBytes);
  const body = c.req.raw.body;
  if (!body) return new Uint8Array(0);
  const reader = body.getReader();
  const chunks: Uint8Array[] = [];
  let total = 0;
  for (;;) {
    const { done, value } = await reader.read();
    if (done) break;
    total += value.byteLength;
    if (total > maxBytes) {
      await reader.cancel().catch(() => undefined);
      throw bodyTooLarge(maxBytes);
    }
    chunks.push(value);
  }
  const out = new Uint8Array(total);
  let at = 0;
  for (const chunk of chunks) {
    out.set(chunk, at);
    at += chunk.byteLength;
  }
  return out;
}

function bodyTooLarge(maxBytes: number): ApiError {
  return new ApiError(413, 'body_too_large', `request body is larger than the limit of ${maxBytes} bytes`);
}

export function parseWith<S extends z.ZodType>(
  schema: S,
  value: unknown,
  what = 'request body',
): z.output<S> {
  const parsed = schema.safeParse(value);
  if (parsed.success) return parsed.data;
  throw new ApiError(
    400,
    'invalid_request',
    `${what} is invalid: ${formatIssues(parsed.error.issues).join('; ')}`,
  );
}

/** A JSON body (Content-Type application/json, at most `maxBytes`) validated by `schema`. */
export async function readJson<S extends z.ZodType>(
  c: Context,
  schema: S,
  maxBytes: number,
): Promise<z.output<S>> {
  if (mediaType(c) !== 'application/json') {
    throw new ApiError(
      415,
      'unsupported_media_type',
      'send the request body as JSON with Content-Type: application/json',
    );
  }
  return parseWith(schema, parseJsonBytes(await readBodyLimited(c, maxBytes)));
}

export function parseJsonBytes(bytes: Uint8Array): unknown {
  let text: string;
  try {
    text = new TextDecoder('utf-8', { fatal: true }).decode(bytes);
  } catch {
    throw new ApiError(400, 'malformed_json', 'request body is not valid UTF-8');
  }
  try {
    return JSON.parse(text);
  } catch (err) {
    throw new ApiError(400, 'malformed_json', `request body is not valid JSON: ${(err as Error).message}`);
  }
}
