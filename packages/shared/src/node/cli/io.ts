/** Files in and out: images (PNG/JPEG in, PNG out) and tensors (.npy, float32) with shape checks. */
import { mkdir, readFile, writeFile } from 'node:fs/promises';
import { dirname, extname, join, parse } from 'node:path';
import { imageToTensor, tensorToImages } from '../../image/convert.ts';
import { decodeImage } from '../../image/decode.ts';
import { encodePng } from '../../image/png.ts';
import { resizeShorterSideCenterCrop } from '../../image/resize.ts';
import type { RgbImage } from '../../image/types.ts';
import { readNpyTensor, writeNpy } from '../../npy.ts';
import { concatBatch, shapeToString, type Tensor } from '../../tensor.ts';
import { CliUsageError } from './errors.ts';

export async function readInputFile(path: string, what: string): Promise<Uint8Array> {
  try {
    return new Uint8Array(await readFile(path));
  } catch (error) {
    const code = (error as NodeJS.ErrnoException).code;
    const reason =
      code === 'ENOENT' ? 'no such file' : code === 'EISDIR' ? 'is a folder' : (error as Error).message;
    throw new CliUsageError(`cannot read ${what} ${path}: ${reason}`, { cause: error });
  }
}

function withContext<T>(path: string, fn: () => T): T {
  try {
    return fn();
  } catch (error) {
    throw new CliUsageError(`${path}: ${(error as Error).message}`, { cause: error });
  }
}

/** A float32 tensor from a .npy file (other numeric dtypes are converted). */
export async function readTensor(path: string, what: string): Promise<Tensor> {
  const bytes = await readInputFile(path, what);
  return withContext(path, () => readNpyTensor(bytes));
}

/** z [N, Z] (a single row [Z] is accepted as [1, Z]). */
export async function readLatents(path: string, zDim: number): Promise<Tensor> {
  const t = await readTensor(path, 'z file');
  const shape = t.shape.length === 1 ? [1, t.shape[0]] : t.shape;
  if (shape.length !== 2 || shape[1] !== zDim || shape[0] < 1) {
    throw new CliUsageError(
      `${path}: z must have shape [N, ${zDim}] for this bundle, got ${shapeToString(t.shape)}`,
    );
  }
  return { data: t.data, shape };
}

function asImageBatch(t: Tensor, size: number, path: string, what: string): Tensor {
  const shape = t.shape.length === 3 ? [1, ...t.shape] : t.shape;
  if (shape.length !== 4 || shape[0] < 1 || shape[1] !== 3 || shape[2] !== size || shape[3] !== size) {
    throw new CliUsageError(
      `${path}: ${what} must have shape [N, 3, ${size}, ${size}] for this bundle, got ${shapeToString(t.shape)}`,
    );
  }
  return { data: t.data, shape };
}

/** x_T [N, 3, S, S]; with `rows`, N must equal it. */
export async function readNoise(path: string, size: number, rows?: number): Promise<Tensor> {
  const t = asImageBatch(await readTensor(path, 'x_T file'), size, path, 'x_T');
  if (rows !== undefined && t.shape[0] !== rows) {
    throw new CliUsageError(`${path}: x_T has ${t.shape[0]} rows but z has ${rows}`);
  }
  return t;
}

/** One image file → RGB, resized and centre-cropped to S×S like the official loader (facts §5). */
export async function readImage(path: string, size: number): Promise<RgbImage> {
  const bytes = await readInputFile(path, 'image');
  return withContext(path, () => resizeShorterSideCenterCrop(decodeImage(bytes), size));
}

/**
 * Input images as one batch [N, 3, S, S] in [−1, 1]. A `.npy` argument is taken as an already
 * preprocessed tensor ([3,S,S] or [n,3,S,S] in [−1, 1]), so other implementations' inputs can be fed
 * in exactly.
 */
export async function readImageBatch(paths: readonly string[], size: number): Promise<Tensor> {
  const parts: Tensor[] = [];
  for (const path of paths) {
    if (extname(path).toLowerCase() === '.npy') {
      parts.push(asImageBatch(await readTensor(path, 'image tensor'), size, path, 'an image tensor'));
    } else {
      parts.push(imageToTensor(await readImage(path, size)));
    }
  }
  return parts.length === 1 ? parts[0] : concatBatch(parts);
}

async function writeOutput(path: string, bytes: Uint8Array): Promise<void> {
  await mkdir(dirname(path), { recursive: true });
  await writeFile(path, bytes);
}

export async function writeTensor(path: string, t: Tensor): Promise<void> {
  await writeOutput(path, writeNpy(t));
}

export async function writePng(path: string, img: RgbImage): Promise<void> {
  await writeOutput(path, encodePng(img));
}

export interface ImageTarget {
  /** One file; with several images it becomes `<name>-0.png`, `<name>-1.png`, … */
  readonly out?: string;
  /** A folder for `<prefix>-<i>.png`. */
  readonly outDir?: string;
}

/** Output paths for n images: `--out` (with -i suffixes when n > 1) or `--out-dir/<prefix>-i.png`. */
export function imagePaths(target: ImageTarget, n: number, prefix: string): string[] {
  const width = String(n - 1).length;
  const index = (i: number) => String(i).padStart(width, '0');
  if (target.outDir !== undefined) {
    return Array.from({ length: n }, (_, i) => join(target.outDir as string, `${prefix}-${index(i)}.png`));
  }
  if (target.out === undefined) throw new CliUsageError('--out FILE.png or --out-dir DIR is required');
  if (n === 1) return [target.out];
  const { dir, name, ext } = parse(target.out);
  return Array.from({ length: n }, (_, i) => join(dir, `${name}-${index(i)}${ext || '.png'}`));
}

/** Images [N, 3, S, S] in [0, 1] → PNG files; returns the paths written. */
export async function writeImages(images: Tensor, target: ImageTarget, prefix: string): Promise<string[]> {
  const rgb = tensorToImages(images);
  const paths = imagePaths(target, rgb.length, prefix);
  for (let i = 0; i < rgb.length; i++) await writePng(paths[i], rgb[i]);
  return paths;
}
