/**
 * Smoke test of the Cloudflare Worker entry in workerd (miniflare): esbuild bundles
 * src/adapters/workerd.ts, onnxruntime-web's wasm goes in as a CompiledWasm module, the tiny bundle
 * sits in an R2 bucket, and POST /v1/encode must return a z.
 */
import { mkdtempSync, readdirSync, readFileSync, rmSync } from 'node:fs';
import { createRequire } from 'node:module';
import { tmpdir } from 'node:os';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { build } from 'esbuild';
import { Miniflare } from 'miniflare';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createApiKey } from '../src/keys.ts';
import { testPng } from './helpers/edge-fixture.ts';
import { TINY_Z, tinyBundleFactory } from './helpers/tiny-bundle.ts';

const here = dirname(fileURLToPath(import.meta.url));
const WASM = 'ort-wasm-simd-threaded.wasm';
let dir = '';
let mf: Miniflare | undefined;
let apiKey = '';

beforeAll(async () => {
  dir = mkdtempSync(join(tmpdir(), 'diffae-edge-workerd-'));
  const bundle = tinyBundleFactory(join(dir, 'models'))(join(dir, 'bundle'), { id: 'tiny' });
  const out = await build({
    entryPoints: [join(here, '../src/adapters/workerd.ts')],
    bundle: true,
    format: 'esm',
    platform: 'browser',
    target: 'es2022',
    conditions: ['workerd', 'worker', 'browser'],
    alias: { 'onnxruntime-web': 'onnxruntime-web/wasm' },
    external: ['*.wasm'],
    write: false,
    logLevel: 'silent',
  });
  const require = createRequire(import.meta.url);
  const ortDist = dirname(require.resolve('onnxruntime-web/wasm'));
  const { key, record } = await createApiKey('secret', 'tenant-a');
  apiKey = key;
  mf = new Miniflare({
    modules: [
      { type: 'ESModule', path: 'worker.mjs', contents: out.outputFiles[0].text },
      { type: 'CompiledWasm', path: WASM, contents: readFileSync(join(ortDist, WASM)) },
    ],
    modulesRoot: '/',
    compatibilityDate: '2025-04-01',
    compatibilityFlags: ['nodejs_compat'],
    r2Buckets: ['BUCKET'],
    bindings: { DIFFAE_MODEL_ID: 'tiny@1.0.0', DIFFAE_API_KEYS: JSON.stringify([record]) },
  });
  // miniflare types its R2 proxy with workers-types that this tsconfig does not load.
  const r2 = (await mf.getR2Bucket('BUCKET')) as unknown as {
    put(key: string, value: ArrayBuffer): Promise<unknown>;
  };
  for (const name of readdirSync(bundle)) {
    // A plain ArrayBuffer: miniflare's proxy refuses Node Buffers (pooled views).
    const bytes = readFileSync(join(bundle, name));
    await r2.put(
      `models/tiny/1.0.0/${name}`,
      bytes.buffer.slice(bytes.byteOffset, bytes.byteOffset + bytes.byteLength),
    );
  }
}, 120_000);

afterAll(async () => {
  await mf?.dispose();
  rmSync(dir, { recursive: true, force: true });
});

describe('workerd (miniflare)', () => {
  it('lists the model and encodes an image with onnxruntime-web', async () => {
    const models = await (mf as Miniflare).dispatchFetch('http://edge.test/v1/models');
    expect(models.status).toBe(200);
    expect(((await models.json()) as { default: string }).default).toBe('tiny@1.0.0');
    const res = await (mf as Miniflare).dispatchFetch('http://edge.test/v1/encode', {
      method: 'POST',
      headers: { authorization: `Bearer ${apiKey}`, 'content-type': 'image/png' },
      body: testPng(),
    });
    const text = await res.text();
    expect(res.status, text).toBe(200);
    const body = JSON.parse(text) as { z: number[]; encoder: string };
    expect(body.encoder).toBe('lite');
    expect(body.z).toHaveLength(TINY_Z);
    expect(body.z.every(Number.isFinite)).toBe(true);
  });
});
