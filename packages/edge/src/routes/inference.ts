/** POST /v1/encode and POST /v1/preview. */
import type { Context, Handler } from 'hono';
import { modelRef } from '../../../shared/src/jobs.ts';
import type { AppContext, AppEnv } from '../context.ts';
import { modelOr404 } from '../context.ts';
import { ApiError } from '../errors.ts';
import { mediaType, parseJsonBytes, parseWith, readBodyLimited, readJson } from '../http.ts';
import { assertContentTypeMatches, IMAGE_CONTENT_TYPES, imageToModelInput, inspectImage } from '../images.ts';
import { sha256Hex } from '../keys.ts';
import { scoresOf } from '../previews.ts';
import { type EncodeResponse, encodeRequest, type PreviewResponse, previewRequest } from '../schemas.ts';
import { readTenantImage } from '../stored-images.ts';

function base64(bytes: Uint8Array): string {
  let s = '';
  for (let i = 0; i < bytes.length; i += 0x8000) s += String.fromCharCode(...bytes.subarray(i, i + 0x8000));
  return btoa(s);
}

/** The image of an encode request: the raw body, or `{ image: key }` of an upload. */
async function encodeInput(
  ctx: AppContext,
  c: Context<AppEnv>,
): Promise<{ bytes: Uint8Array; model?: string }> {
  const type = mediaType(c);
  if (type === 'application/json') {
    const req = parseWith(encodeRequest, parseJsonBytes(await readBodyLimited(c, ctx.limits.maxJsonBytes)));
    const { bytes } = await readTenantImage(ctx, c.get('caller'), req.image);
    return { bytes, ...(req.model ? { model: req.model } : {}) };
  }
  if ((IMAGE_CONTENT_TYPES as readonly string[]).includes(type)) {
    const bytes = await readBodyLimited(c, ctx.limits.maxDirectImageBytes);
    assertContentTypeMatches(type, inspectImage(bytes, ctx.limits));
    const model = c.req.query('model');
    if (model !== undefined) parseWith(modelRef, model, 'query parameter model');
    return { bytes, ...(model ? { model } : {}) };
  }
  throw new ApiError(
    415,
    'unsupported_media_type',
    'send an image (Content-Type image/png or image/jpeg) or JSON {"image": "<upload key>"}',
  );
}

export function inferenceHandlers(ctx: AppContext) {
  const now = () => ctx.deps.clock.now();
  return {
    encode: (async (c) => {
      const started = now();
      const input = await encodeInput(ctx, c);
      const entry = modelOr404(ctx, input.model);
      const sha = await sha256Hex(input.bytes);
      const result = await ctx.previews.encode(entry, sha, () =>
        imageToModelInput(input.bytes, entry.manifest.imageSize, ctx.limits),
      );
      const body: EncodeResponse = {
        model: { id: entry.manifest.id, version: entry.manifest.version },
        encoder: result.encoder,
        z: Array.from(result.z.data),
        scores: scoresOf(entry.classifier, result.z),
        imageSha256: sha,
        cached: result.cached,
        ms: now() - started,
      };
      return c.json(body);
    }) as Handler<AppEnv>,

    preview: (async (c) => {
      const req = await readJson(c, previewRequest, ctx.limits.maxJsonBytes);
      const entry = modelOr404(ctx, req.model);
      let image: { sha256: string; x: () => import('@diffae/shared').Tensor } | undefined;
      if (req.image !== undefined) {
        const { bytes } = await readTenantImage(ctx, c.get('caller'), req.image);
        image = {
          sha256: await sha256Hex(bytes),
          x: () => imageToModelInput(bytes, entry.manifest.imageSize, ctx.limits),
        };
      }
      const outcome = await ctx.previews.preview(entry, {
        ...(image ? { image } : {}),
        ...(req.z ? { z: { data: Float32Array.from(req.z), shape: [1, req.z.length] } } : {}),
        edits: req.edits,
        ...(req.inversionSteps !== undefined ? { inversionSteps: req.inversionSteps } : {}),
        ...(req.renderSteps !== undefined ? { renderSteps: req.renderSteps } : {}),
        seed: req.seed,
      });
      const preview: PreviewResponse['preview'] =
        outcome.image !== undefined
          ? {
              available: true,
              contentType: 'image/png',
              format: req.format,
              image: (req.format === 'dataUrl' ? 'data:image/png;base64,' : '') + base64(outcome.image),
              inversionSteps: outcome.inversionSteps,
              renderSteps: outcome.renderSteps,
            }
          : { available: false, reason: outcome.reason };
      const body: PreviewResponse = {
        model: { id: entry.manifest.id, version: entry.manifest.version },
        z: Array.from(outcome.z.data),
        scores: scoresOf(entry.classifier, outcome.z),
        edits: req.edits,
        preview,
        cached: outcome.cached,
        ms: outcome.ms,
      };
      return c.json(body);
    }) as Handler<AppEnv>,
  };
}
