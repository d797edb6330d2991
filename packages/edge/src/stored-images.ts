/** Images in the store, seen through a tenant: only `uploads/<tenant>/…` is theirs. */
import { keys } from '../../shared/src/jobs.ts';
import type { AppContext, Caller } from './context.ts';
import { ApiError } from './errors.ts';
import { type ImageHeader, inspectImage } from './images.ts';

export function uploadPrefix(tenant: string): string {
  return keys.upload(tenant, '');
}

export function assertTenantUpload(caller: Caller, key: string): void {
  if (!key.startsWith(uploadPrefix(caller.tenant)) || key.split('/').includes('..')) {
    throw new ApiError(
      403,
      'forbidden_key',
      `image keys must be uploads of your tenant (${uploadPrefix(caller.tenant)}…); upload the image first`,
    );
  }
}

/** Bytes of an uploaded image of the caller's tenant, with its header checked. */
export async function readTenantImage(
  ctx: AppContext,
  caller: Caller,
  key: string,
): Promise<{ bytes: Uint8Array; header: ImageHeader }> {
  assertTenantUpload(caller, key);
  const info = await ctx.deps.store.head(key);
  if (!info) throw new ApiError(404, 'image_not_found', `no uploaded image ${key} (did the upload finish?)`);
  if (info.bytes > ctx.limits.maxUploadBytes) {
    throw new ApiError(
      413,
      'image_too_large',
      `image ${key} has ${info.bytes} bytes; at most ${ctx.limits.maxUploadBytes} are accepted`,
    );
  }
  const bytes = await ctx.deps.store.get(key);
  if (!bytes) throw new ApiError(404, 'image_not_found', `no uploaded image ${key}`);
  return { bytes, header: inspectImage(bytes, ctx.limits) };
}
