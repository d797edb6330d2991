/**
 * Cloudflare Worker entry (workerd). Bindings:
 *   BUCKET        R2 bucket: uploads/, results/, models/{id}/{version}/ (bundles copied there)
 *   JOBS          optional Queue producer binding; without it POST /v1/jobs answers 503
 *   DIFFAE_MODEL_ID  "id@version" of the bundle to serve (encode/preview)
 *   DIFFAE_API_KEYS  JSON key records
 *
 * onnxruntime-web runs single-threaded: workerd refuses to compile WebAssembly from bytes, so the
 * bundler ships `ort-wasm-simd-threaded.wasm` as a CompiledWasm module (imported below) and
 * `WebAssembly.instantiate` is redirected to that module. Build with esbuild, aliasing
 * `onnxruntime-web` to `onnxruntime-web/wasm` and marking `*.wasm` external (see
 * test/workerd.test.ts). Memory is 128 MB per isolate: keep bundles small (the 64-px default fits).
 */
import { parseClassifierJson, parseManifest } from '@diffae/shared';
import { createOrtWebBackend } from '@diffae/shared/ort-web';
import { keys } from '../../../shared/src/jobs.ts';
import type { JobQueue } from '../../../shared/src/ports.ts';
import { createApp, type EdgeApp } from '../app.ts';
import type { ModelEntry } from '../deps.ts';
import { createKeyStore, parseApiKeys } from '../keys.ts';
import { createMemoryRateLimiter } from '../rate-limit.ts';
import { createModelRegistry, lazyBackend } from '../registry.ts';
import { jsonLogger, randomIds, systemClock } from '../runtime.ts';
import { serialBackend } from '../serial-backend.ts';
// @ts-expect-error: a CompiledWasm module provided by the worker bundle
import ortWasmModule from './ort-wasm-simd-threaded.wasm';
import { type R2BucketLike, r2ObjectStore } from './r2-store.ts';

export interface WorkerEnv {
  BUCKET: R2BucketLike;
  JOBS?: { send(body: string): Promise<void> };
  DIFFAE_MODEL_ID?: string;
  DIFFAE_API_KEYS?: string;
}

const compiled = ortWasmModule as WebAssembly.Module;
const instantiate = WebAssembly.instantiate.bind(WebAssembly) as (
  source: WebAssembly.Module | BufferSource,
  imports?: WebAssembly.Imports,
) => Promise<WebAssembly.Instance | WebAssembly.WebAssemblyInstantiatedSource>;
// Emscripten calls instantiate(bytes, imports); answer with the precompiled module instead.
(WebAssembly as { instantiate: unknown }).instantiate = async (
  source: unknown,
  imports?: WebAssembly.Imports,
) => {
  if (source instanceof WebAssembly.Module) return instantiate(source, imports);
  return { module: compiled, instance: (await instantiate(compiled, imports)) as WebAssembly.Instance };
};

/** Producer-only queue over a Cloudflare Queue binding (the consumer is the GPU worker, elsewhere). */
function producerQueue(binding: NonNullable<WorkerEnv['JOBS']> | undefined): JobQueue {
  const unsupported = async (): Promise<never> => {
    throw Object.assign(new Error('this worker only sends jobs'), {
      name: 'QueueError',
      code: 'queue_unavailable',
    });
  };
  return {
    async send(body) {
      if (!binding) return unsupported();
      await binding.send(body);
      return { messageId: crypto.randomUUID() };
    },
    receive: unsupported,
    delete: unsupported,
    changeVisibility: unsupported,
    stats: unsupported,
    deadLetterQueue: async () => null,
    async close() {},
  };
}

async function r2Bytes(bucket: R2BucketLike, key: string): Promise<Uint8Array> {
  const obj = await bucket.get(key);
  if (!obj) throw new Error(`R2 object ${key} is missing`);
  return new Uint8Array(await obj.arrayBuffer());
}

async function modelFromR2(bucket: R2BucketLike, ref: string): Promise<ModelEntry> {
  const [id, version] = ref.split('@');
  if (!version) throw new Error('DIFFAE_MODEL_ID must be "id@version" on workerd');
  const prefix = keys.bundlePrefix(id, version);
  const manifest = parseManifest(
    JSON.parse(new TextDecoder().decode(await r2Bytes(bucket, `${prefix}manifest.json`))),
  );
  const file = (name: keyof typeof manifest.files) => {
    const f = manifest.files[name];
    return f ? r2Bytes(bucket, `${prefix}${f.path}`) : Promise.resolve(null);
  };
  const classifierBytes = await file('classifier');
  const classifier = classifierBytes
    ? parseClassifierJson(JSON.parse(new TextDecoder().decode(classifierBytes)))
    : undefined;
  const backend = lazyBackend(async () => {
    const [encoder, unet, liteEncoder] = await Promise.all([
      file('encoder'),
      file('unet'),
      file('liteEncoder'),
    ]);
    const models = {
      encoder: encoder as Uint8Array,
      unet: unet as Uint8Array,
      ...(liteEncoder ? { liteEncoder } : {}),
    };
    // Sessions on first use: a worker isolate that only lists models never pays for them.
    return serialBackend(
      await createOrtWebBackend(models, { numThreads: 1, wasmBinary: new Uint8Array(0), eager: false }),
    );
  });
  return {
    manifest,
    ...(classifier ? { classifier } : {}),
    backend: backend.get,
    dispose: backend.dispose,
    file: (name) => file(name),
  };
}

let app: Promise<EdgeApp> | undefined;

function appFor(env: WorkerEnv): Promise<EdgeApp> {
  app ??= (async () => {
    const models = env.DIFFAE_MODEL_ID ? [await modelFromR2(env.BUCKET, env.DIFFAE_MODEL_ID)] : [];
    return createApp({
      store: r2ObjectStore(env.BUCKET),
      queue: producerQueue(env.JOBS),
      models: createModelRegistry(models),
      keys: createKeyStore(parseApiKeys(env.DIFFAE_API_KEYS)),
      rateLimiter: createMemoryRateLimiter(),
      clock: systemClock,
      ids: randomIds,
      logger: jsonLogger({ service: 'edge', runtime: 'workerd' }),
    });
  })().catch((err) => {
    app = undefined;
    throw err;
  });
  return app;
}

export default {
  async fetch(request: Request, env: WorkerEnv): Promise<Response> {
    try {
      return (await appFor(env)).fetch(request);
    } catch (err) {
      console.error(`edge start failed: ${err instanceof Error ? err.message : String(err)}`);
      return Response.json(
        { error: { code: 'unavailable', message: 'the edge could not start; see the logs' } },
        { status: 503 },
      );
    }
  },
};
