/** Request-body helpers: size limits, content types and JSON validation, all failing with ApiError. */

import { formatIssues, readStreamLimited } from '@diffae/shared';
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
  return readStreamLimited(c.req.raw.body, maxBytes, () => bodyTooLarge(maxBytes));
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
