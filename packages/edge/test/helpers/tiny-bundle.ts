/**
 * Tiny real bundles for the edge tests: the shared tiny contract ONNX graphs (8 px, z width 5) with a
 * manifest, a classifier and (optionally) preview settings.
 */
import { createHash } from 'node:crypto';
import { copyFileSync, mkdirSync, readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { writeTinyModels } from '../../../shared/test/helpers/tiny-models.ts';

export const TINY_SIZE = 8;
export const TINY_Z = 5;
export const TINY_ATTRIBUTES = ['Smiling', 'No_Beard', 'Eyeglasses'];

const sha = (path: string) => createHash('sha256').update(readFileSync(path)).digest('hex');

function fileEntry(dir: string, path: string) {
  const full = join(dir, path);
  return { path, sha256: sha(full), bytes: readFileSync(full).length };
}

export interface TinyBundleOptions {
  id: string;
  version?: string;
  preview?: boolean;
  liteEncoder?: boolean;
}

/** Writes the ONNX graphs once into `modelsDir` (Python + onnx), returns a factory for bundle folders. */
export function tinyBundleFactory(modelsDir: string): (dir: string, opts: TinyBundleOptions) => string {
  mkdirSync(modelsDir, { recursive: true });
  writeTinyModels(modelsDir, TINY_SIZE, TINY_Z);
  return (dir, opts) => {
    mkdirSync(dir, { recursive: true });
    const names = ['encoder.onnx', 'unet.onnx', ...(opts.liteEncoder === false ? [] : ['lite_encoder.onnx'])];
    for (const n of names) copyFileSync(join(modelsDir, n), join(dir, n));
    const classifier = {
      attributes: TINY_ATTRIBUTES,
      weight: TINY_ATTRIBUTES.map((_, k) =>
        Array.from({ length: TINY_Z }, (_, i) => ((k + 1) * (i - 2)) / 10),
      ),
      bias: TINY_ATTRIBUTES.map((_, k) => k / 10),
      zMean: Array.from({ length: TINY_Z }, (_, i) => i / 10),
      zStd: Array.from({ length: TINY_Z }, (_, i) => 1 + i / 10),
    };
    writeFileSync(join(dir, 'classifier.json'), JSON.stringify(classifier));
    const manifest = {
      schemaVersion: 1,
      id: opts.id,
      version: opts.version ?? '1.0.0',
      description: 'tiny test bundle',
      imageSize: TINY_SIZE,
      zDim: TINY_Z,
      source: { kind: 'random' },
      diffusion: { image: { schedule: 'linear', T: 1000, clip: true } },
      defaults: { inversionSteps: 10, renderSteps: 10, manipulateRenderSteps: 10 },
      ...(opts.preview === false ? {} : { preview: { inversionSteps: 2, renderSteps: 2 } }),
      attributes: TINY_ATTRIBUTES,
      weightsDtype: 'float32',
      files: {
        encoder: fileEntry(dir, 'encoder.onnx'),
        unet: fileEntry(dir, 'unet.onnx'),
        ...(opts.liteEncoder === false ? {} : { liteEncoder: fileEntry(dir, 'lite_encoder.onnx') }),
        classifier: fileEntry(dir, 'classifier.json'),
      },
    };
    writeFileSync(join(dir, 'manifest.json'), JSON.stringify(manifest, null, 2));
    return dir;
  };
}
