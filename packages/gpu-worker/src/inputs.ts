/** Job inputs from the store: uploaded images (decoded with limits, preprocessed) and saved latents. */

import { imageToTensor } from '../../shared/src/image/convert.ts';
import { decodeImage } from '../../shared/src/image/decode.ts';
import { resizeShorterSideCenterCrop } from '../../shared/src/image/resize.ts';
import type { ImageLimits } from '../../shared/src/image/types.ts';
import { readNpyTensor } from '../../shared/src/npy.ts';
import type { ObjectStore } from '../../shared/src/ports.ts';
import { shapeToString, type Tensor } from '../../shared/src/tensor.ts';
import { JobInputError } from './errors.ts';

/** Largest upload the worker reads (the edge enforces its own limit when presigning). */
export const MAX_UPLOAD_BYTES = 32 * 1024 * 1024;

async function getRequired(store: ObjectStore, key: string, what: string): Promise<Uint8Array> {
  const info = await store.head(key);
  if (info === null) throw new JobInputError('missing_input', `${what} ${key} does not exist`);
  if (info.bytes > MAX_UPLOAD_BYTES) {
    throw new JobInputError(
      'bad_image',
      `${what} ${key} is ${info.bytes} bytes; at most ${MAX_UPLOAD_BYTES} are accepted`,
    );
  }
  const bytes = await store.get(key);
  if (bytes === null) throw new JobInputError('missing_input', `${what} ${key} does not exist`);
  return bytes;
}

/** Upload → [1,3,S,S] in [−1, 1]: decode (limits, Exif), shorter side to S, centre crop. */
export async function loadImage(
  store: ObjectStore,
  key: string,
  imageSize: number,
  limits: ImageLimits = {},
): Promise<Tensor> {
  const bytes = await getRequired(store, key, 'image');
  const img = decodeImage(bytes, limits);
  return imageToTensor(resizeShorterSideCenterCrop(img, imageSize));
}

function asRows(t: Tensor, rowShape: readonly number[], name: string, key: string): Tensor {
  const want = [1, ...rowShape];
  const ok =
    (t.shape.length === want.length && t.shape.every((d, i) => d === want[i])) ||
    (t.shape.length === rowShape.length && t.shape.every((d, i) => d === rowShape[i]));
  if (!ok) {
    throw new JobInputError(
      'bad_latents',
      `${name} (${key}) has shape ${shapeToString(t.shape)}; this model needs ${shapeToString(want)}`,
    );
  }
  if (t.data.some((v) => !Number.isFinite(v))) {
    throw new JobInputError('bad_latents', `${name} (${key}) contains NaN or infinite values`);
  }
  return { data: t.data, shape: want };
}

/** Latents saved by an earlier job: z [1,Z] (or [Z]) and optional x_T [1,3,S,S]. */
export async function loadLatents(
  store: ObjectStore,
  ref: { z: string; xT?: string },
  model: { zDim: number; imageSize: number },
): Promise<{ z: Tensor; xT?: Tensor }> {
  const z = asRows(readNpyTensor(await getRequired(store, ref.z, 'latent z')), [model.zDim], 'z', ref.z);
  if (ref.xT === undefined) return { z };
  const S = model.imageSize;
  const xT = asRows(readNpyTensor(await getRequired(store, ref.xT, 'latent xT')), [3, S, S], 'xT', ref.xT);
  return { z, xT };
}
