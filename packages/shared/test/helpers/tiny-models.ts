/** Tiny ONNX models with the bundle contract, written by test/python/tiny_models.py, and their math. */
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import type { Tensor } from '../../src/tensor.ts';
import { runPython } from './python.ts';

const SCRIPT = fileURLToPath(new URL('../python/tiny_models.py', import.meta.url));

export const TINY_FILES = {
  encoder: 'encoder.onnx',
  unet: 'unet.onnx',
  latent: 'latent.onnx',
  liteEncoder: 'lite_encoder.onnx',
} as const;

export function writeTinyModels(
  dir: string,
  imageSize: number,
  zDim: number,
): Record<keyof typeof TINY_FILES, string> {
  runPython(readFileSync(SCRIPT, 'utf8'), [dir, String(imageSize), String(zDim)]);
  return {
    encoder: join(dir, TINY_FILES.encoder),
    unet: join(dir, TINY_FILES.unet),
    latent: join(dir, TINY_FILES.latent),
    liteEncoder: join(dir, TINY_FILES.liteEncoder),
  };
}

/** The same formulas as tiny_models.py, in float64 (compare with a tolerance). */
export const tinyMath = {
  encode(x: Tensor, zDim: number, pool: 'mean' | 'max' = 'mean'): number[] {
    const [n, c, h, w] = x.shape;
    const out: number[] = [];
    for (let b = 0; b < n; b++) {
      const pooled = [0, 1, 2].map((ch) => {
        const plane = x.data.subarray((b * c + ch) * h * w, (b * c + ch + 1) * h * w);
        return pool === 'mean' ? plane.reduce((s, v) => s + v, 0) / plane.length : Math.max(...plane);
      });
      for (let j = 0; j < zDim; j++) {
        out.push(
          pooled.reduce(
            (s, p, ch) => s + p * (pool === 'mean' ? ((ch + 1) * (j + 1)) / 10 : (j - ch) / 5),
            0,
          ),
        );
      }
    }
    return out;
  },
  eps(x: Tensor, t: Float32Array, z: Tensor): number[] {
    const [n, c, h, w] = x.shape;
    const zDim = z.shape[1];
    const out: number[] = [];
    for (let b = 0; b < n; b++) {
      for (let ch = 0; ch < c; ch++) {
        let zp = 0;
        for (let j = 0; j < zDim; j++)
          zp += z.data[b * zDim + j] * (Math.fround(((j + 2 * ch) % 5) - 2) / 10);
        for (let i = 0; i < h * w; i++) out.push(0.5 * x.data[(b * c + ch) * h * w + i] + 0.001 * t[b] + zp);
      }
    }
    return out;
  },
  latentEps(x: Tensor, t: Float32Array): number[] {
    const [n, zDim] = x.shape;
    return Array.from(x.data, (v, i) => -0.25 * v + 0.002 * t[Math.floor(i / zDim)]).slice(0, n * zDim);
  },
};
