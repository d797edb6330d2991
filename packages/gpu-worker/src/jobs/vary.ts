/** vary: n stochastic variations of one input's z (x_T from the job seed) plus their mean image. */
import { varyStochastic } from '../../../shared/src/pipelines.ts';
import { semanticCode } from './codes.ts';
import { type JobHandler, runOptions } from './context.ts';
import { writeImages } from './outputs.ts';

export const varyJob: JobHandler<'vary'> = async (ctx, spec) => {
  const { defaults, imageSize } = ctx.model.manifest;
  const z = await semanticCode(ctx, spec.input);
  const result = await ctx.timer.time('render', () =>
    varyStochastic(ctx.backend, z, spec.n, {
      ...runOptions(ctx),
      steps: spec.renderSteps ?? defaults.renderSteps,
      seed: ctx.seed,
      imageSize,
    }),
  );
  await ctx.timer.time('upload', async () => {
    await writeImages(ctx, 'variation', result.images);
    await writeImages(ctx, 'mean', result.mean, true);
  });
};
