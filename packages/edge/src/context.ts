/** Hono typing shared by the app and its route modules. */
import type { EdgeDeps, EdgeLimits, ModelEntry } from './deps.ts';
import { ApiError } from './errors.ts';
import type { ApiKeyRecord, KeyKind } from './keys.ts';
import type { PreviewService } from './previews.ts';

export interface Caller {
  record: ApiKeyRecord;
  kind: KeyKind;
  tenant: string;
  /** Hash prefix: the only name of a key that may appear in logs and records. */
  keyId: string;
}

export interface AppEnv {
  Variables: { caller: Caller; requestId: string };
}

export interface AppContext {
  deps: EdgeDeps;
  limits: EdgeLimits;
  previews: PreviewService;
}

export function modelOr404(ctx: AppContext, ref: string | undefined): ModelEntry {
  const entry = ctx.deps.models.get(ref);
  if (!entry) {
    const known = ctx.deps.models.list().map((m) => `${m.manifest.id}@${m.manifest.version}`);
    throw new ApiError(
      ref === undefined ? 503 : 404,
      ref === undefined ? 'no_default_model' : 'unknown_model',
      ref === undefined
        ? 'no model is loaded on this server'
        : `unknown model "${ref}" (available: ${known.join(', ') || 'none'})`,
    );
  }
  return entry;
}
