/** Image uploads: presigned PUT for large files, request body for small ones. */

import { decodeImage } from '@diffae/shared';
import type { Handler } from 'hono';
import { keys } from '../../../shared/src/jobs.ts';
import type { AppContext, AppEnv } from '../context.ts';
import { ApiError } from '../errors.ts';
import { mediaType, readBodyLimited, readJson } from '../http.ts';
import { assertContentTypeMatches, IMAGE_CONTENT_TYPES, inspectImage } from '../images.ts';
import { sha256Hex } from '../keys.ts';
import type { DirectUpload, PresignedUpload } from '../schemas.ts';
import { uploadRequest } from '../schemas.ts';

const EXTENSION = { 'image/png': 'png', 'image/jpeg': 'jpg' } as const;

export function uploadHandlers(ctx: AppContext) {
  const newKey = (tenant: string, contentType: keyof typeof EXTENSION) =>
    keys.upload(tenant, `${ctx.deps.ids.next('img')}.${EXTENSION[contentType]}`);

  return {
    createUpload: (async (c) => {
      const caller = c.get('caller');
      const req = await readJson(c, uploadRequest, ctx.limits.maxJsonBytes);
      if (req.bytes > ctx.limits.maxUploadBytes) {
        throw new ApiError(
          413,
          'image_too_large',
          `uploads may have at most ${ctx.limits.maxUploadBytes} bytes (asked for ${req.bytes})`,
        );
      }
      const { store } = ctx.deps;
      if (!store.presignPut)
        throw new ApiError(
          501,
          'not_supported',
          'this server cannot presign uploads; use POST /v1/uploads/direct',
        );
      const key = newKey(caller.tenant, req.contentType);
      const expiresIn = ctx.limits.presignExpiresS;
      const signed = await store.presignPut(key, {
        expiresIn,
        contentType: req.contentType,
        maxBytes: ctx.limits.maxUploadBytes,
      });
      ctx.deps.logger.info('upload presigned', { key, keyId: caller.keyId });
      const body: PresignedUpload = {
        key,
        upload: {
          url: signed.url,
          method: 'PUT',
          headers: signed.headers,
          expiresAt: signed.expiresAt.toISOString(),
        },
        expiresIn,
        maxBytes: ctx.limits.maxUploadBytes,
      };
      return c.json(body, 201);
    }) as Handler<AppEnv>,

    uploadDirect: (async (c) => {
      const caller = c.get('caller');
      const type = mediaType(c);
      if (!(IMAGE_CONTENT_TYPES as readonly string[]).includes(type)) {
        throw new ApiError(
          415,
          'unsupported_media_type',
          'send the image as the body with Content-Type image/png or image/jpeg',
        );
      }
      const bytes = await readBodyLimited(c, ctx.limits.maxDirectImageBytes);
      const header = inspectImage(bytes, ctx.limits);
      assertContentTypeMatches(type, header);
      // Small bodies are decoded in full, so a corrupt pixel stream is refused now, not at job time.
      decodeImage(bytes, { maxSide: ctx.limits.maxImageSide, maxPixels: ctx.limits.maxImagePixels });
      const key = newKey(caller.tenant, header.contentType);
      await ctx.deps.store.put(key, bytes, { contentType: header.contentType });
      ctx.deps.logger.info('upload stored', { key, bytes: bytes.length, keyId: caller.keyId });
      const body: DirectUpload = {
        key,
        contentType: header.contentType,
        bytes: bytes.length,
        width: header.width,
        height: header.height,
        sha256: await sha256Hex(bytes),
      };
      return c.json(body, 201);
    }) as Handler<AppEnv>,
  };
}
