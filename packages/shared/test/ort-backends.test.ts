import { mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import {
  createOrtBackend,
  type OrtModuleLike,
  type OrtSessionLike,
  type OrtTensorLike,
} from '../src/backends/ort-common.ts';
import { createOrtNodeBackend } from '../src/backends/ort-node.ts';
import { createOrtWebBackend } from '../src/backends/ort-web.ts';
import type { Tensor } from '../src/tensor.ts';
import { pythonMissing } from './helpers/python.ts';
import { tinyMath, writeTinyModels } from './helpers/tiny-models.ts';

const S = 8;
const Z = 5;

function seeded(shape: number[], seed: number): Tensor {
  const n = shape.reduce((a, b) => a * b, 1);
  let s = seed >>> 0;
  const data = Float32Array.from({ length: n }, () => {
    s = (Math.imul(s, 1664525) + 1013904223) >>> 0;
    return s / 2 ** 31 - 1;
  });
  return { data, shape };
}

function requireMethod<F>(f: F | undefined, name: string): F {
  if (!f) throw new Error(`backend has no ${name}`);
  return f;
}

function expectClose(actual: Float32Array, expected: ArrayLike<number>, tol: number): void {
  expect(actual.length).toBe(expected.length);
  let worst = 0;
  for (let i = 0; i < actual.length; i++) worst = Math.max(worst, Math.abs(actual[i] - expected[i]));
  expect(worst).toBeLessThanOrEqual(tol);
}

const missing = pythonMissing(['onnx', 'numpy']);
if (missing) console.warn(`skipping onnxruntime backend tests: ${missing}`);

describe.skipIf(missing !== undefined)('onnxruntime backends on tiny contract models', () => {
  let dir = '';
  let paths: ReturnType<typeof writeTinyModels>;
  beforeAll(() => {
    dir = mkdtempSync(join(tmpdir(), 'diffae-ort-'));
    paths = writeTinyModels(dir, S, Z);
  });
  afterAll(() => rmSync(dir, { recursive: true, force: true }));

  const x = seeded([3, 3, S, S], 1);
  const t = Float32Array.from([0, 499, 999]);
  const z = seeded([3, Z], 2);
  const xl = seeded([3, Z], 3);

  it('node (paths) and web (bytes) compute the contract math and agree within 1e-6', async () => {
    const node = await createOrtNodeBackend(paths, { providers: ['cpu'], intraOpNumThreads: 1 });
    const bytes = Object.fromEntries(
      Object.entries(paths).map(([k, p]) => [k, new Uint8Array(readFileSync(p))]),
    );
    const web = await createOrtWebBackend(bytes as unknown as typeof paths, { numThreads: 1 });
    try {
      for (const backend of [node, web]) {
        expectClose((await backend.encode(x)).data, tinyMath.encode(x, Z), 1e-5);
        expectClose(
          (await requireMethod(backend.liteEncode, 'liteEncode')(x)).data,
          tinyMath.encode(x, Z, 'max'),
          1e-5,
        );
        const eps = await backend.eps(x, t, z);
        expect(eps.shape).toEqual([3, 3, S, S]);
        expectClose(eps.data, tinyMath.eps(x, t, z), 1e-5);
        expectClose(
          (await requireMethod(backend.latentEps, 'latentEps')(xl, t)).data,
          tinyMath.latentEps(xl, t),
          1e-6,
        );
      }
      expectClose((await node.encode(x)).data, (await web.encode(x)).data, 1e-6);
      expectClose((await node.eps(x, t, z)).data, (await web.eps(x, t, z)).data, 1e-6);
      expectClose(
        (await requireMethod(node.latentEps, 'latentEps')(xl, t)).data,
        (await requireMethod(web.latentEps, 'latentEps')(xl, t)).data,
        1e-6,
      );
      expect(node.backendInfo()).toMatchObject({
        name: 'ort-node',
        device: 'cpu',
        providers: ['cpu'],
        fellBack: false,
        threads: 1,
      });
      expect(web.backendInfo()).toMatchObject({
        name: 'ort-web',
        device: 'wasm',
        providers: ['wasm'],
        threads: 1,
      });
      expect(node.info.device).toBe('cpu');
    } finally {
      await node.dispose();
      await web.dispose();
    }
  });

  it('falls back from CUDA to CPU with one log line when CUDA is missing', async () => {
    const lines: string[] = [];
    const backend = await createOrtNodeBackend(paths, {
      providers: ['cuda', 'cpu'],
      logger: { warn: (m) => lines.push(m) },
    });
    try {
      const info = backend.backendInfo();
      if (info.providers?.[0] === 'cuda') {
        expect(lines).toEqual([]); // a CUDA machine: nothing to fall back from
      } else {
        expect(info).toMatchObject({
          device: 'cpu',
          providers: ['cpu'],
          fellBack: true,
          requestedProviders: ['cuda', 'cpu'],
        });
        expect(lines).toHaveLength(1);
        expect(lines[0]).toMatch(
          /ort-node: execution providers \[cuda, cpu\] unavailable .*falling back to \[cpu\]/,
        );
      }
      expectClose((await backend.encode(x)).data, tinyMath.encode(x, Z), 1e-5);
    } finally {
      await backend.dispose();
    }
  });

  it('optional graphs are absent when not given; bad inputs get clear errors', async () => {
    const backend = await createOrtNodeBackend({ encoder: paths.encoder, unet: paths.unet });
    try {
      expect(backend.liteEncode).toBeUndefined();
      expect(backend.latentEps).toBeUndefined();
      await expect(backend.eps(x, Float32Array.from([1, 2]), z)).rejects.toThrow(
        /one timestep per row: got 2 for batch 3/,
      );
      await expect(backend.eps(x, t, seeded([2, Z], 1))).rejects.toThrow(/eps: z must have shape \[3, \*\]/);
      await expect(backend.encode(seeded([1, 4, S, S], 1))).rejects.toThrow(/encode: x must have shape/);
    } finally {
      await backend.dispose();
    }
    await expect(backend.encode(x)).rejects.toThrow(/disposed/);
  });

  it('refuses a graph that does not match the contract', async () => {
    await expect(createOrtNodeBackend({ encoder: paths.encoder, unet: paths.encoder })).rejects.toThrow(
      /unet\.onnx does not match the bundle contract: expected inputs \[x, t, z\] and output 'eps'/,
    );
  });
});

describe('createOrtBackend session lifecycle (fake onnxruntime module)', () => {
  function fakeOrt(log: string[], failProvider?: string): OrtModuleLike {
    class FakeTensor {
      constructor(
        readonly type: 'float32',
        readonly data: Float32Array,
        readonly dims: readonly number[],
      ) {}
    }
    const create = async (model: string | Uint8Array, options?: { executionProviders?: string[] }) => {
      const providers = options?.executionProviders ?? [];
      log.push(`create ${String(model)} [${providers.join(',')}]`);
      if (failProvider && providers.includes(failProvider))
        throw new Error(`${failProvider} is not available\nstack…`);
      const session: OrtSessionLike = {
        inputNames: model === 'unet' ? ['x', 't', 'z'] : ['x'],
        outputNames: model === 'unet' ? ['eps'] : ['z'],
        async run(feeds): Promise<Record<string, OrtTensorLike>> {
          const n = feeds.x.dims[0];
          return model === 'unet'
            ? {
                eps: new FakeTensor(
                  'float32',
                  new Float32Array((feeds.x.data as Float32Array).length),
                  feeds.x.dims,
                ),
              }
            : { z: new FakeTensor('float32', new Float32Array(n * 2), [n, 2]) };
        },
        async release() {
          log.push(`release ${String(model)}`);
        },
      };
      return session;
    };
    return { Tensor: FakeTensor, InferenceSession: { create } } as unknown as OrtModuleLike;
  }

  it('lazy sessions are created on first use, once, and released by dispose', async () => {
    const log: string[] = [];
    const backend = await createOrtBackend(
      fakeOrt(log),
      { encoder: 'encoder', unet: 'unet' },
      { name: 'fake', providers: ['cpu'], eager: false },
    );
    expect(log).toEqual([]);
    expect(backend.backendInfo().providers).toBeUndefined();
    const x = { data: new Float32Array(12), shape: [1, 3, 2, 2] };
    await Promise.all([backend.encode(x), backend.encode(x)]);
    expect(log).toEqual(['create encoder [cpu]']);
    expect((await backend.encode(x)).shape).toEqual([1, 2]);
    await backend.dispose();
    expect(log).toEqual(['create encoder [cpu]', 'release encoder']);
  });

  it('tries the accelerator once, then creates every other session on the fallback', async () => {
    const log: string[] = [];
    const warnings: string[] = [];
    const backend = await createOrtBackend(
      fakeOrt(log, 'cuda'),
      { encoder: 'encoder', unet: 'unet' },
      {
        name: 'fake',
        providers: ['cuda', 'cpu'],
        fallbackProviders: ['cpu'],
        logger: { warn: (m) => warnings.push(m) },
      },
    );
    expect(log).toEqual(['create encoder [cuda,cpu]', 'create encoder [cpu]', 'create unet [cpu]']);
    expect(warnings).toEqual([
      'fake: execution providers [cuda, cpu] unavailable (cuda is not available); falling back to [cpu]',
    ]);
    expect(backend.info).toMatchObject({ device: 'cpu', fellBack: true });
    await backend.dispose();
  });

  it('without a fallback the provider error propagates, naming the file', async () => {
    await expect(
      createOrtBackend(
        fakeOrt([], 'cuda'),
        { encoder: 'encoder', unet: 'unet' },
        { name: 'fake', providers: ['cuda'] },
      ),
    ).rejects.toThrow(/fake: cannot load encoder\.onnx with \[cuda\]: cuda is not available$/);
  });
});
