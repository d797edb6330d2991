/**
 * manipulate: several attribute edits at once (amplitudes of a repeated attribute add up), rendered
 * from the input's unchanged x_T. Outputs image.png, z.npy (edited), xT.npy.
 */
import { manipulateLatent, resolveAttribute } from '../../../shared/src/classifier.ts';
import { render } from '../../../shared/src/pipelines.ts';
import { fullCodes } from './codes.ts';
import { type JobHandler, runOptions } from './context.ts';
import { classifierForEdits } from './directions.ts';
import { writeImages } from './outputs.ts';

export const manipulateJob: JobHandler<'manipulate'> = async (ctx, spec) => {
  const d = ctx.model.manifest.defaults;
  const edits: Record<string, number> = {};
  for (const e of spec.edits) edits[e.attribute] = (edits[e.attribute] ?? 0) + e.amplitude;
  // Resolve the edits before any network work, so an unknown attribute fails fast.
  const classifier = await ctx.timer.time('download', () =>
    classifierForEdits(ctx.store, ctx.tenant, ctx.model, Object.keys(edits)),
  );
  for (const name of Object.keys(edits)) resolveAttribute(classifier, name);
  const codes = await fullCodes(ctx, spec.input, spec.inversionSteps ?? d.inversionSteps);
  const z = manipulateLatent(codes.z, classifier, edits);
  const image = await ctx.timer.time('render', () =>
    render(ctx.backend, codes.xT, z, {
      ...runOptions(ctx),
      steps: spec.renderSteps ?? d.manipulateRenderSteps,
    }),
  );
  await ctx.timer.time('upload', async () => {
    await writeImages(ctx, 'image', image, true);
    await ctx.results.npy('z.npy', z);
    await ctx.results.npy('xT.npy', codes.xT);
  });
};
