/** reconstruct: image → (z, x_T) → rendered image. Outputs image.png, z.npy, xT.npy. */
import { render } from '../../../shared/src/pipelines.ts';
import { fullCodes } from './codes.ts';
import { type JobHandler, runOptions } from './context.ts';
import { writeImages } from './outputs.ts';

export const reconstructJob: JobHandler<'reconstruct'> = async (ctx, spec) => {
  const d = ctx.model.manifest.defaults;
  const codes = await fullCodes(ctx, spec.input, spec.inversionSteps ?? d.inversionSteps);
  const image = await ctx.timer.time('render', () =>
    render(ctx.backend, codes.xT, codes.z, { ...runOptions(ctx), steps: spec.renderSteps ?? d.renderSteps }),
  );
  await ctx.timer.time('upload', async () => {
    await writeImages(ctx, 'image', image, true);
    await ctx.results.npy('z.npy', codes.z);
    await ctx.results.npy('xT.npy', codes.xT);
  });
};
