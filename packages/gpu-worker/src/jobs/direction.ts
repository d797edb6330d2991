/**
 * direction: k positive and k negative examples → encode → unit direction between the class means in
 * normalised z, saved to `directions/{tenant}/{model}/{name}.json` for later `direction:<name>` edits
 * (and copied to results as direction.json).
 */

import type { JobInput } from '../../../shared/src/jobs.ts';
import { keys } from '../../../shared/src/jobs.ts';
import { concatBatch } from '../../../shared/src/tensor.ts';
import { semanticCode } from './codes.ts';
import type { JobContext, JobHandler } from './context.ts';
import { buildDirection } from './directions.ts';

async function codesOf(ctx: JobContext, inputs: readonly JobInput[]) {
  const zs = [];
  for (const input of inputs) zs.push(await semanticCode(ctx, input));
  return concatBatch(zs);
}

export const directionJob: JobHandler<'direction'> = async (ctx, spec) => {
  const positives = await codesOf(ctx, spec.positives);
  const negatives = await codesOf(ctx, spec.negatives);
  const saved = buildDirection(ctx.model, spec.name, positives, negatives);
  await ctx.timer.time('upload', async () => {
    const body = new TextEncoder().encode(JSON.stringify(saved));
    await ctx.store.put(keys.direction(ctx.tenant, ctx.model.ref.id, spec.name), body, {
      contentType: 'application/json',
    });
    await ctx.results.put('direction.json', body, 'application/json');
  });
};
