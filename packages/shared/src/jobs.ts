// Render-job schemas shared by the edge (validates submissions) and the worker (validates messages).
import { z } from 'zod';
import { assertValidKey } from './adapters/keys.ts';
import { isValidStepCount, VALID_STEP_COUNTS } from './schedule.ts';

export const JOB_KINDS = ['reconstruct', 'manipulate', 'interpolate', 'vary', 'sample', 'direction'] as const;
export type JobKind = (typeof JOB_KINDS)[number];

export const JOB_STATES = ['queued', 'running', 'succeeded', 'failed', 'cancelled'] as const;
export type JobState = (typeof JOB_STATES)[number];
export const TERMINAL_STATES: readonly JobState[] = ['succeeded', 'failed', 'cancelled'];

export const LIMITS = {
  maxVariations: 16,
  maxSamples: 16,
  minFrames: 2,
  maxFrames: 60,
  maxEdits: 16,
  maxAmplitude: 2,
  maxDirectionExamples: 32,
} as const;

const stepCount = z
  .number()
  .int()
  .refine(isValidStepCount, {
    message: `not a valid DDIM step count (valid: 2..36, then ${VALID_STEP_COUNTS.filter((k) => k > 36).join(', ')})`,
  });

const objectKey = z.string().superRefine((key, ctx) => {
  try {
    assertValidKey(key);
  } catch (err) {
    ctx.addIssue({ code: 'custom', message: (err as Error).message });
  }
});

export const modelRef = z
  .string()
  .regex(/^[a-z0-9][a-z0-9._-]*(@[A-Za-z0-9._-]+)?$/, 'model is "<id>" or "<id>@<version>"');

/** An image to work on: an uploaded image, or latents computed by an earlier job. */
export const jobInput = z.union([
  z.object({ image: objectKey }).strict(),
  z.object({ latents: z.object({ z: objectKey, xT: objectKey.optional() }).strict() }).strict(),
]);
export type JobInput = z.infer<typeof jobInput>;

const seed = z.number().int().min(0).max(0xffffffff);
const finite = z.number().refine(Number.isFinite, 'must be a finite number');

const common = {
  model: modelRef.optional(),
  inversionSteps: stepCount.optional(),
  renderSteps: stepCount.optional(),
  seed: seed.optional(),
};

/** One edit: an attribute of the bundle's classifier, or a saved custom direction (`direction:<id>`). */
export const edit = z
  .object({
    attribute: z.string().min(1).max(128),
    amplitude: finite.refine(
      (a) => Math.abs(a) <= LIMITS.maxAmplitude,
      `|amplitude| must be ≤ ${LIMITS.maxAmplitude}`,
    ),
  })
  .strict();
export type Edit = z.infer<typeof edit>;

export const reconstructJob = z
  .object({ kind: z.literal('reconstruct'), input: jobInput, ...common })
  .strict();
export const manipulateJob = z
  .object({
    kind: z.literal('manipulate'),
    input: jobInput,
    edits: z.array(edit).min(1).max(LIMITS.maxEdits),
    ...common,
  })
  .strict();
export const interpolateJob = z
  .object({
    kind: z.literal('interpolate'),
    a: jobInput,
    b: jobInput,
    frames: z.number().int().min(LIMITS.minFrames).max(LIMITS.maxFrames).default(10),
    animated: z.boolean().default(true),
    ...common,
  })
  .strict();
export const varyJob = z
  .object({
    kind: z.literal('vary'),
    input: jobInput,
    n: z.number().int().min(1).max(LIMITS.maxVariations),
    ...common,
  })
  .strict();
export const sampleJob = z
  .object({
    kind: z.literal('sample'),
    n: z.number().int().min(1).max(LIMITS.maxSamples),
    latentSteps: stepCount.optional(),
    ...common,
  })
  .strict();
export const directionJob = z
  .object({
    kind: z.literal('direction'),
    name: z
      .string()
      .regex(/^[A-Za-z0-9_-]{1,64}$/, 'direction names use letters, digits, _ and - (at most 64)'),
    positives: z.array(jobInput).min(1).max(LIMITS.maxDirectionExamples),
    negatives: z.array(jobInput).min(1).max(LIMITS.maxDirectionExamples),
    ...common,
  })
  .strict();

export const jobSpec = z.discriminatedUnion('kind', [
  reconstructJob,
  manipulateJob,
  interpolateJob,
  varyJob,
  sampleJob,
  directionJob,
]);
export type JobSpec = z.infer<typeof jobSpec>;
export type JobSpecOf<K extends JobKind> = Extract<JobSpec, { kind: K }>;

/** What travels on the queue. The edge sets `tenant` from the API key; the worker records it in the status. */
export const jobMessage = z
  .object({
    jobId: z.string().regex(/^[A-Za-z0-9_-]{8,64}$/),
    tenant: z.string().regex(/^[A-Za-z0-9_-]{1,64}$/),
    spec: jobSpec,
    submittedAt: z.string(),
    webhook: z.object({ url: z.string().url() }).optional(),
  })
  .strict();
export type JobMessage = z.infer<typeof jobMessage>;

export const jobOutput = z.object({
  name: z.string(),
  key: z.string(),
  contentType: z.string(),
  bytes: z.number().int().nonnegative(),
});
export type JobOutput = z.infer<typeof jobOutput>;

export const jobStatus = z.object({
  jobId: z.string(),
  tenant: z.string(),
  kind: z.enum(JOB_KINDS),
  state: z.enum(JOB_STATES),
  progress: z.object({ stage: z.string(), done: z.number(), total: z.number() }),
  stageMs: z.record(z.string(), z.number()),
  outputs: z.array(jobOutput),
  error: z.object({ code: z.string(), message: z.string() }).optional(),
  model: z.object({ id: z.string(), version: z.string() }).optional(),
  attempts: z.number().int().nonnegative(),
  createdAt: z.string(),
  updatedAt: z.string(),
});
export type JobStatus = z.infer<typeof jobStatus>;

/** Storage layout, one place for every key the worker and the edge agree on. */
export const keys = {
  // Results are keyed by the unguessable job id alone; the status document records the owning tenant,
  // and the edge checks it before serving anything under the prefix.
  resultsPrefix: (jobId: string) => `results/${jobId}/`,
  status: (jobId: string) => `results/${jobId}/status.json`,
  progress: (jobId: string) => `results/${jobId}/progress.json`,
  cancel: (jobId: string) => `results/${jobId}/cancel`,
  output: (jobId: string, name: string) => `results/${jobId}/${name}`,
  upload: (tenant: string, id: string) => `uploads/${tenant}/${id}`,
  direction: (tenant: string, modelId: string, name: string) =>
    `directions/${tenant}/${modelId}/${name}.json`,
  // Holds z.npy and xT.npy; xT is written first, so a present z.npy means the entry is complete.
  inversionCache: (modelId: string, version: string, imageSha256: string, steps: number) =>
    `cache/${modelId}/${version}/${imageSha256}/k${steps}/`,
  bundlePrefix: (modelId: string, version: string) => `models/${modelId}/${version}/`,
};

/** Validates a submission; returns the parsed spec or a list of `path: problem` strings. */
export function parseJobSpec(input: unknown): { ok: true; spec: JobSpec } | { ok: false; issues: string[] } {
  const result = jobSpec.safeParse(input);
  if (result.success) return { ok: true, spec: result.data };
  return {
    ok: false,
    issues: result.error.issues.map((i) => `${i.path.length ? i.path.join('.') : '(body)'}: ${i.message}`),
  };
}
