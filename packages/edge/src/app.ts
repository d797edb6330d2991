/**
 * The edge API as a Web-standard Hono app. Everything runtime-specific arrives through `deps`
 * (see deps.ts); the adapters in ./adapters wire Node, AWS Lambda and Cloudflare workerd.
 */
import { type Handler, Hono } from 'hono';
import { HTTPException } from 'hono/http-exception';
import { cors, requireKey } from './auth.ts';
import type { AppContext, AppEnv } from './context.ts';
import { DEFAULT_LIMITS, type EdgeDeps } from './deps.ts';
import { ApiError, errorBody, toApiError } from './errors.ts';
import { buildOpenApiDocument } from './openapi.ts';
import { PreviewService } from './previews.ts';
import { assetHandlers } from './routes/assets.ts';
import { inferenceHandlers } from './routes/inference.ts';
import { jobHandlers } from './routes/jobs.ts';
import { modelHandlers } from './routes/models.ts';
import { honoPath, isPublicPath, type OperationId, ROUTES } from './routes/table.ts';
import { uploadHandlers } from './routes/uploads.ts';

export type EdgeApp = Hono<AppEnv>;

export function createApp(deps: EdgeDeps): EdgeApp {
  const limits = { ...DEFAULT_LIMITS, ...deps.limits };
  const ctx: AppContext = {
    deps,
    limits,
    previews: new PreviewService(deps.cacheEntries ?? 64, () => deps.clock.now(), limits.maxPreviewSteps),
  };
  const handlers: Record<OperationId, Handler<AppEnv>> = {
    ...modelHandlers(ctx),
    ...assetHandlers(ctx),
    ...uploadHandlers(ctx),
    ...inferenceHandlers(ctx),
    ...jobHandlers(ctx),
  };

  const app = new Hono<AppEnv>();
  app.use('*', async (c, next) => {
    c.set('requestId', deps.ids.next('req'));
    await next();
  });
  app.use('*', cors(ctx, isPublicPath));

  const openapi = buildOpenApiDocument();
  app.get('/openapi.json', (c) => c.json(openapi));
  for (const route of ROUTES) {
    const path = honoPath(route.path);
    const handler = handlers[route.operationId];
    if (route.access === 'public') app.on(route.method, path, handler);
    else
      app.on(
        route.method,
        path,
        requireKey(ctx, route.access, { queryKey: route.operationId === 'jobEvents' }),
        handler,
      );
  }

  app.notFound((c) =>
    c.json(errorBody('not_found', `no route ${c.req.method} ${c.req.path} (see /openapi.json)`), 404),
  );
  app.onError((err, c) => {
    const known =
      toApiError(err) ??
      (err instanceof HTTPException ? new ApiError(err.status, 'http_error', err.message) : undefined);
    if (known) {
      if (known.status >= 500)
        deps.logger.warn('request failed', {
          code: known.code,
          path: c.req.path,
          requestId: c.get('requestId'),
        });
      return c.json(errorBody(known.code, known.message), known.status as 400, known.headers);
    }
    const requestId = c.get('requestId');
    deps.logger.error('unhandled error', {
      requestId,
      path: c.req.path,
      error: err instanceof Error ? `${err.name}: ${err.message}` : String(err),
    });
    return c.json(
      errorBody('internal_error', `internal error (request ${requestId}); it has been logged`),
      500,
    );
  });
  return app;
}
