/**
 * Request and response schemas of the /v1 API. Job specs, edits and statuses are the shared ones the
 * worker validates (`packages/shared/src/jobs.ts`); the OpenAPI document is generated from these.
 */
import { z } from 'zod';
import { edit, JOB_STATES, jobSpec, jobStatus, LIMITS, modelRef } from '../../shared/src/jobs.ts';
import { IMAGE_CONTENT_TYPES } from './images.ts';

export const errorResponse = z.object({
  error: z.object({
    code: z.string().describe('stable machine-readable code, e.g. invalid_request'),
    message: z.string().describe('what is wrong and how to fix it'),
  }),
});

const modelId = z.object({ id: z.string(), version: z.string() });

export const modelSummary = z.object({
  id: z.string(),
  version: z.string(),
  description: z.string(),
  imageSize: z.number().int(),
  zDim: z.number().int(),
  attributes: z.array(z.string()),
  defaults: z.object({
    inversionSteps: z.number().int(),
    renderSteps: z.number().int(),
    manipulateRenderSteps: z.number().int(),
    latentSteps: z.number().int().optional(),
  }),
  preview: z.object({ inversionSteps: z.number().int(), renderSteps: z.number().int() }).nullable(),
  liteEncoder: z.boolean(),
  links: z.object({
    self: z.string(),
    liteEncoder: z.string().optional(),
    classifier: z.string().optional(),
  }),
});
export const modelList = z.object({ models: z.array(modelSummary), default: z.string().nullable() });

/** Keys of stored images, as returned by the upload routes. */
export const uploadKey = z.string().min(1).max(512).describe('a key returned by POST /v1/uploads[/direct]');

export const uploadRequest = z
  .object({
    contentType: z.enum(IMAGE_CONTENT_TYPES),
    bytes: z.number().int().positive().describe('size of the file to upload'),
  })
  .strict();
export const presignedUpload = z.object({
  key: z.string(),
  upload: z.object({
    url: z.string(),
    method: z.literal('PUT'),
    headers: z.record(z.string(), z.string()),
    expiresAt: z.string(),
  }),
  expiresIn: z.number().int().describe('seconds the upload URL stays valid'),
  maxBytes: z.number().int(),
});
export const directUpload = z.object({
  key: z.string(),
  contentType: z.enum(IMAGE_CONTENT_TYPES),
  bytes: z.number().int(),
  width: z.number().int(),
  height: z.number().int(),
  sha256: z.string(),
});

export const encodeRequest = z.object({ image: uploadKey, model: modelRef.optional() }).strict();
const scores = z
  .record(z.string(), z.number())
  .nullable()
  .describe('classifier logits per attribute; null without a classifier');
export const encodeResponse = z.object({
  model: modelId,
  encoder: z.enum(['lite', 'full']),
  z: z.array(z.number()),
  scores,
  imageSha256: z.string(),
  cached: z.boolean(),
  ms: z.number(),
});

const stepCount = z.number().int().min(1);
export const previewRequest = z
  .object({
    image: uploadKey.optional(),
    z: z.array(z.number()).min(1).max(4096).optional().describe('a z from /v1/encode instead of an image'),
    edits: z.array(edit).max(LIMITS.maxEdits).default([]),
    model: modelRef.optional(),
    inversionSteps: stepCount.optional(),
    renderSteps: stepCount.optional(),
    seed: z
      .number()
      .int()
      .min(0)
      .max(0xffffffff)
      .default(0)
      .describe('noise seed when rendering from z alone'),
    format: z.enum(['dataUrl', 'base64']).default('dataUrl'),
  })
  .strict()
  .refine((r) => (r.image === undefined) !== (r.z === undefined), {
    message: 'give exactly one of image (an uploaded key) or z (from /v1/encode)',
  });
export const previewResponse = z.object({
  model: modelId,
  z: z.array(z.number()).describe('the edited z'),
  scores,
  edits: z.array(edit),
  preview: z.union([
    z.object({
      available: z.literal(true),
      contentType: z.literal('image/png'),
      format: z.enum(['dataUrl', 'base64']),
      image: z.string(),
      inversionSteps: z.number().int().nullable(),
      renderSteps: z.number().int(),
    }),
    z.object({ available: z.literal(false), reason: z.string() }),
  ]),
  cached: z.object({ encode: z.boolean(), inversion: z.boolean() }),
  ms: z.record(z.string(), z.number()),
});

export const webhookSpec = z.object({ url: z.string().url() }).strict();
/** A job spec (the shared schema) plus an optional webhook the worker calls at the end. */
export const jobSubmission = z.discriminatedUnion(
  'kind',
  jobSpec.options.map((o) => o.extend({ webhook: webhookSpec.optional() })) as unknown as [
    (typeof jobSpec.options)[number],
    ...(typeof jobSpec.options)[number][],
  ],
);

const jobLinks = z.object({ self: z.string(), events: z.string(), result: z.string(), cancel: z.string() });
export const jobAccepted = z.object({ id: z.string(), status: z.enum(JOB_STATES), links: jobLinks });
export const jobStatusResponse = jobStatus.extend({ links: jobLinks });
export const jobResult = z.object({
  id: z.string(),
  outputs: z.array(
    z.object({
      name: z.string(),
      contentType: z.string(),
      bytes: z.number().int(),
      url: z.string(),
      expiresAt: z.string(),
    }),
  ),
  expiresIn: z.number().int().describe('seconds the output URLs stay valid'),
});
export const cancelResponse = z.object({
  id: z.string(),
  status: z.enum(JOB_STATES),
  cancelRequested: z.literal(true),
});

export type ModelSummary = z.infer<typeof modelSummary>;
export type ModelList = z.infer<typeof modelList>;
export type UploadRequest = z.infer<typeof uploadRequest>;
export type PresignedUpload = z.infer<typeof presignedUpload>;
export type DirectUpload = z.infer<typeof directUpload>;
export type EncodeResponse = z.infer<typeof encodeResponse>;
export type PreviewRequest = z.input<typeof previewRequest>;
export type PreviewResponse = z.infer<typeof previewResponse>;
export type JobSubmission = z.input<typeof jobSubmission>;
export type JobAccepted = z.infer<typeof jobAccepted>;
export type JobStatusResponse = z.infer<typeof jobStatusResponse>;
export type JobResult = z.infer<typeof jobResult>;
export type CancelResponse = z.infer<typeof cancelResponse>;
