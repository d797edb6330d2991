/** Model list, manifest summaries and the bundle files browsers download. */
import type { Handler } from 'hono';
import type { AppContext, AppEnv } from '../context.ts';
import { modelOr404 } from '../context.ts';
import type { ModelEntry } from '../deps.ts';
import { ApiError } from '../errors.ts';
import type { ModelSummary } from '../schemas.ts';
import { fileResponse, IMMUTABLE, REVALIDATE } from './files.ts';

export function modelSummary(entry: ModelEntry): ModelSummary {
  const m = entry.manifest;
  const ref = `${m.id}@${m.version}`;
  return {
    id: m.id,
    version: m.version,
    description: m.description,
    imageSize: m.imageSize,
    zDim: m.zDim,
    attributes: [...m.attributes],
    defaults: { ...m.defaults },
    preview: m.preview ? { ...m.preview } : null,
    liteEncoder: m.files.liteEncoder !== undefined,
    links: {
      self: `/v1/models/${ref}`,
      ...(m.files.liteEncoder ? { liteEncoder: `/v1/models/${ref}/lite-encoder.onnx` } : {}),
      ...(m.files.classifier ? { classifier: `/v1/models/${ref}/classifier.json` } : {}),
    },
  };
}

function bundleFile(
  ctx: AppContext,
  name: 'liteEncoder' | 'classifier',
  contentType: string,
): Handler<AppEnv> {
  return async (c) => {
    const ref = c.req.param('id');
    const entry = modelOr404(ctx, ref);
    const file = entry.manifest.files[name];
    const bytes = file ? await entry.file(name) : null;
    if (!file || !bytes)
      throw new ApiError(404, 'not_found', `model ${entry.manifest.id} has no ${name} file`);
    // Only a version-pinned URL names bytes that can never change.
    return fileResponse(c, bytes, {
      contentType,
      sha256: file.sha256,
      cacheControl: ref?.includes('@') ? IMMUTABLE : REVALIDATE,
    });
  };
}

export function modelHandlers(ctx: AppContext) {
  return {
    listModels: ((c) => {
      const models = ctx.deps.models.list().map(modelSummary);
      const fallback = ctx.deps.models.get(undefined);
      return c.json({
        models,
        default: fallback ? `${fallback.manifest.id}@${fallback.manifest.version}` : null,
      });
    }) as Handler<AppEnv>,
    getModel: ((c) => c.json(modelSummary(modelOr404(ctx, c.req.param('id'))))) as Handler<AppEnv>,
    getLiteEncoder: bundleFile(ctx, 'liteEncoder', 'application/octet-stream'),
    getClassifier: bundleFile(ctx, 'classifier', 'application/json'),
  };
}
