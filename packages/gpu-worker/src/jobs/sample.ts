/** sample: n unconditional images from a seed (latent DDIM → z → image DDIM). */
import { sample } from '../../../shared/src/pipelines.ts';
import { JobInputError } from '../errors.ts';
import { type JobHandler, runOptions } from './context.ts';
import { writeImages } from './outputs.ts';

export const sampleJob: JobHandler<'sample'> = async (ctx, spec) => {
  const { manifest, latentStats } = ctx.model;
  if (
    !latentStats ||
    !ctx.backend.latentEps ||
    !manifest.diffusion.latent ||
    manifest.defaults.latentSteps === undefined
  ) {
    throw new JobInputError(
      'unsupported',
      `model ${manifest.id} has no latent DPM (latent.onnx), so it cannot sample`,
    );
  }
  const result = await ctx.timer.time('render', () =>
    sample(ctx.backend, spec.n, latentStats, {
      ...runOptions(ctx),
      steps: spec.renderSteps ?? manifest.defaults.renderSteps,
      latentSteps: spec.latentSteps ?? (manifest.defaults.latentSteps as number),
      latentDiffusion: manifest.diffusion.latent as NonNullable<typeof manifest.diffusion.latent>,
      seed: ctx.seed,
      imageSize: manifest.imageSize,
    }),
  );
  await ctx.timer.time('upload', async () => {
    await writeImages(ctx, 'sample', result.images);
    await ctx.results.npy('z.npy', result.z);
    await ctx.results.npy('xT.npy', result.xT);
  });
};
