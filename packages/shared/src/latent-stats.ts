/** latent_stats.json: per-dimension z statistics used to de-normalise latent DPM samples (facts §7). */
import { z as zod } from 'zod';
import { formatIssues, issuesMessage, readableErrors } from './zod-issues.ts';

export interface LatentStats {
  readonly zMean: Float32Array;
  readonly zStd: Float32Array;
}

export class LatentStatsFormatError extends Error {
  readonly problems: readonly string[];
  constructor(problems: readonly string[]) {
    super(issuesMessage('Invalid latent_stats.json', problems));
    this.name = 'LatentStatsFormatError';
    this.problems = problems;
  }
}

const latentStatsSchema = zod
  .object({ zMean: zod.array(zod.number()).min(1), zStd: zod.array(zod.number().positive()) })
  .superRefine((s, ctx) => {
    if (s.zStd.length !== s.zMean.length) {
      ctx.addIssue({
        code: 'custom',
        path: ['zStd'],
        message: `expected ${s.zMean.length} values (the zMean length), got ${s.zStd.length}`,
      });
    }
  });

export function parseLatentStatsJson(json: unknown): LatentStats {
  const parsed = latentStatsSchema.safeParse(json, { error: readableErrors });
  if (!parsed.success) throw new LatentStatsFormatError(formatIssues(parsed.error.issues));
  return { zMean: Float32Array.from(parsed.data.zMean), zStd: Float32Array.from(parsed.data.zStd) };
}
