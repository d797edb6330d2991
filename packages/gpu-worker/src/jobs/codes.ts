/**
 * An input (uploaded image or saved latents) → the codes a handler needs. Images go through the
 * inversion cache: a hit skips the encoder and the whole DDIM inversion.
 */

import type { JobInput } from '../../../shared/src/jobs.ts';
import { type Codes, encode, encodeStochastic } from '../../../shared/src/pipelines.ts';
import { NormalStream } from '../../../shared/src/prng.ts';
import type { Tensor } from '../../../shared/src/tensor.ts';
import { loadImage, loadLatents } from '../inputs.ts';
import { tensorSha256 } from '../inversion-cache.ts';
import { type JobContext, runOptions } from './context.ts';

export async function imageOf(ctx: JobContext, key: string): Promise<Tensor> {
  return ctx.timer.time('download', () =>
    loadImage(ctx.store, key, ctx.model.manifest.imageSize, ctx.imageLimits),
  );
}

/** z only (variations, directions): no inversion. */
export async function semanticCode(ctx: JobContext, input: JobInput): Promise<Tensor> {
  if ('latents' in input) {
    const { z } = await ctx.timer.time('download', () =>
      loadLatents(ctx.store, { z: input.latents.z }, ctx.model.manifest),
    );
    return z;
  }
  const x = await imageOf(ctx, input.image);
  return ctx.timer.time('encode', () => encode(ctx.backend, x, runOptions(ctx)));
}

/**
 * z and x_T. For latents without x_T, x_T is drawn from the job seed (normal noise [1,3,S,S]): z
 * carries the semantics, the noise only the stochastic detail. `salt` keeps several inputs of one job
 * (interpolation a/b) from drawing the same noise.
 */
export async function fullCodes(
  ctx: JobContext,
  input: JobInput,
  inversionSteps: number,
  salt = 0,
): Promise<Codes> {
  const { manifest } = ctx.model;
  if ('latents' in input) {
    const loaded = await ctx.timer.time('download', () => loadLatents(ctx.store, input.latents, manifest));
    const S = manifest.imageSize;
    const xT = loaded.xT ?? new NormalStream((ctx.seed + salt) >>> 0).tensor([1, 3, S, S]);
    return { z: loaded.z, xT };
  }
  const x = await imageOf(ctx, input.image);
  const entry = {
    modelId: ctx.model.ref.id,
    version: ctx.model.ref.version,
    imageSha256: tensorSha256(x),
    steps: inversionSteps,
  };
  const cached = await ctx.timer.time('inversion', () =>
    ctx.inversionCache.get(entry, { z: [1, manifest.zDim], xT: x.shape }),
  );
  if (cached) {
    ctx.logger.info('inversion cache hit', { imageSha256: entry.imageSha256, steps: inversionSteps });
    return cached;
  }
  const opts = runOptions(ctx);
  const z = await ctx.timer.time('encode', () => encode(ctx.backend, x, opts));
  const xT = await ctx.timer.time('inversion', () =>
    encodeStochastic(ctx.backend, x, z, { ...opts, steps: inversionSteps }),
  );
  await ctx.timer.time('upload', () => ctx.inversionCache.put(entry, { z, xT }));
  return { z, xT };
}
