/** interpolate: n frames between two inputs (z lerp, x_T slerp); frame_XX.png and, if animated, animation.gif. */

import { encodeGif } from '../../../shared/src/node/gif.ts';
import { interpolate } from '../../../shared/src/pipelines.ts';
import { fullCodes } from './codes.ts';
import { type JobHandler, runOptions } from './context.ts';
import { writeImages } from './outputs.ts';

export const interpolateJob: JobHandler<'interpolate'> = async (ctx, spec) => {
  const d = ctx.model.manifest.defaults;
  const K = spec.inversionSteps ?? d.inversionSteps;
  const a = await fullCodes(ctx, spec.a, K, 0);
  const b = await fullCodes(ctx, spec.b, K, 1);
  const result = await ctx.timer.time('render', () =>
    interpolate(ctx.backend, a, b, spec.frames, {
      ...runOptions(ctx),
      renderSteps: spec.renderSteps ?? d.renderSteps,
    }),
  );
  await ctx.timer.time('upload', async () => {
    const frames = await writeImages(ctx, 'frame', result.images);
    if (spec.animated) await ctx.results.put('animation.gif', encodeGif(frames, 100), 'image/gif');
  });
};
