/** onnxruntime-web's runtime files for browsers, from an allowlist (nothing else of node_modules). */
import type { Handler } from 'hono';
import type { AppContext, AppEnv } from '../context.ts';
import { ApiError } from '../errors.ts';
import { sha256Hex } from '../keys.ts';
import { fileResponse, IMMUTABLE } from './files.ts';

/** The files onnxruntime-web 1.30 fetches at run time: the WASM (SIMD, threaded) build and the WebGPU (JSEP) build. */
export const ORT_ASSETS: Readonly<Record<string, string>> = {
  'ort-wasm-simd-threaded.wasm': 'application/wasm',
  'ort-wasm-simd-threaded.mjs': 'text/javascript; charset=utf-8',
  'ort-wasm-simd-threaded.jsep.wasm': 'application/wasm',
  'ort-wasm-simd-threaded.jsep.mjs': 'text/javascript; charset=utf-8',
};

export function assetHandlers(ctx: AppContext) {
  const hashes = new Map<string, Promise<string>>();
  return {
    getOrtAsset: (async (c) => {
      const file = c.req.param('file') ?? '';
      const contentType = Object.hasOwn(ORT_ASSETS, file) ? ORT_ASSETS[file] : undefined;
      const bytes = contentType && ctx.deps.assets ? await ctx.deps.assets.get(file) : null;
      if (!contentType || !bytes) {
        throw new ApiError(
          404,
          'not_found',
          `no asset ${JSON.stringify(file)} (served: ${Object.keys(ORT_ASSETS).join(', ')})`,
        );
      }
      let hash = hashes.get(file);
      if (!hash) {
        hash = sha256Hex(bytes);
        hashes.set(file, hash);
      }
      return fileResponse(c, bytes, { contentType, sha256: await hash, cacheControl: IMMUTABLE });
    }) as Handler<AppEnv>,
  };
}
