/**
 * manifest.json of a model bundle, schema version 1 (docs/bundle-format.md describes every field).
 * `parseManifest` is the single gate every bundle passes on load.
 */
import { z } from 'zod';
import { isValidStepCount, nearbyValidStepCounts, type ScheduleName } from '../schedule.ts';
import { formatIssues, issuesMessage, readableErrors } from '../zod-issues.ts';

export const MANIFEST_SCHEMA_VERSION = 1;
export const BUNDLE_ID_PATTERN = /^[a-z0-9][a-z0-9._-]*$/;
export const BUNDLE_VERSION_PATTERN = /^\d+\.\d+\.\d+(?:[-+][0-9A-Za-z.+-]+)?$/;

const positiveInt = z.number().int().min(1);

const relativePath = z
  .string()
  .min(1)
  .refine((p) => !p.startsWith('/') && !/^[A-Za-z]:/.test(p), {
    message: 'must be relative to the manifest folder',
  })
  .refine((p) => !p.includes('\\'), { message: 'must use "/" as the separator' })
  .refine((p) => !p.split('/').includes('..'), { message: 'must not leave the bundle folder ("..")' });

export const bundleFileSchema = z.strictObject({
  path: relativePath,
  sha256: z.string().regex(/^[0-9a-f]{64}$/, { message: 'must be 64 lowercase hex digits (SHA-256)' }),
  bytes: z.number().int().min(0),
});

export const diffusionSchema = z.strictObject({
  schedule: z.enum(['linear', 'const0.008'] as const satisfies readonly ScheduleName[]),
  T: z.number().int().min(2),
  clip: z.boolean(),
});

const stepPair = z.strictObject({ inversionSteps: positiveInt, renderSteps: positiveInt });

export const manifestSchema = z
  .strictObject({
    schemaVersion: z.literal(MANIFEST_SCHEMA_VERSION, { message: `must be ${MANIFEST_SCHEMA_VERSION}` }),
    id: z.string().regex(BUNDLE_ID_PATTERN, { message: 'must match [a-z0-9][a-z0-9._-]*' }),
    version: z
      .string()
      .regex(BUNDLE_VERSION_PATTERN, { message: 'must look like 1.2.3 (optionally -tag or +build)' }),
    description: z.string(),
    imageSize: positiveInt,
    zDim: positiveInt,
    source: z.strictObject({
      kind: z.enum(['official', 'trained', 'random']),
      config: z.string().min(1).optional(),
      step: z.number().int().min(0).optional(),
    }),
    diffusion: z.strictObject({ image: diffusionSchema, latent: diffusionSchema.optional() }),
    defaults: z.strictObject({
      inversionSteps: positiveInt,
      renderSteps: positiveInt,
      manipulateRenderSteps: positiveInt,
      latentSteps: positiveInt.optional(),
    }),
    preview: stepPair.optional(),
    attributes: z.array(z.string().min(1)),
    weightsDtype: z.enum(['float32', 'float16']),
    files: z.strictObject({
      encoder: bundleFileSchema,
      unet: bundleFileSchema,
      latent: bundleFileSchema.optional(),
      liteEncoder: bundleFileSchema.optional(),
      classifier: bundleFileSchema.optional(),
      latentStats: bundleFileSchema.optional(),
    }),
  })
  .superRefine((m, ctx) => {
    const problem = (path: (string | number)[], message: string) =>
      ctx.addIssue({ code: 'custom', path, message });
    const checkSteps = (path: string[], K: number | undefined, T: number) => {
      if (K !== undefined && !isValidStepCount(K, T)) {
        problem(
          path,
          `${K} is not a valid DDIM step count for T=${T} (nearby valid: ${nearbyValidStepCounts(K, T).join(', ')})`,
        );
      }
    };
    const imageT = m.diffusion.image.T;
    checkSteps(['defaults', 'inversionSteps'], m.defaults.inversionSteps, imageT);
    checkSteps(['defaults', 'renderSteps'], m.defaults.renderSteps, imageT);
    checkSteps(['defaults', 'manipulateRenderSteps'], m.defaults.manipulateRenderSteps, imageT);
    if (m.preview) {
      checkSteps(['preview', 'inversionSteps'], m.preview.inversionSteps, imageT);
      checkSteps(['preview', 'renderSteps'], m.preview.renderSteps, imageT);
    }

    const hasLatent = m.files.latent !== undefined;
    if (hasLatent) {
      if (!m.diffusion.latent) problem(['diffusion', 'latent'], 'required when files.latent is present');
      if (m.defaults.latentSteps === undefined)
        problem(['defaults', 'latentSteps'], 'required when files.latent is present');
      if (!m.files.latentStats) problem(['files', 'latentStats'], 'required when files.latent is present');
    } else {
      if (m.diffusion.latent) problem(['diffusion', 'latent'], 'only allowed when files.latent is present');
      if (m.defaults.latentSteps !== undefined)
        problem(['defaults', 'latentSteps'], 'only allowed when files.latent is present');
      if (m.files.latentStats) problem(['files', 'latentStats'], 'only allowed when files.latent is present');
    }
    if (m.diffusion.latent)
      checkSteps(['defaults', 'latentSteps'], m.defaults.latentSteps, m.diffusion.latent.T);

    if (m.files.classifier && m.attributes.length === 0) {
      problem(['attributes'], 'must list the classifier attributes when files.classifier is present');
    }
    if (!m.files.classifier && m.attributes.length > 0) {
      problem(['files', 'classifier'], 'required when attributes is not empty');
    }
    const seen = new Set<string>();
    m.attributes.forEach((a, i) => {
      if (seen.has(a)) problem(['attributes', i], `duplicate attribute "${a}"`);
      seen.add(a);
    });

    const paths = new Map<string, string>();
    for (const [key, file] of Object.entries(m.files)) {
      if (!file) continue;
      const other = paths.get(file.path);
      if (other !== undefined)
        problem(['files', key, 'path'], `"${file.path}" is also used by files.${other}`);
      else paths.set(file.path, key);
    }
  });

export type Manifest = z.infer<typeof manifestSchema>;
export type BundleFile = z.infer<typeof bundleFileSchema>;
export type BundleFileKey = keyof Manifest['files'];
export type ManifestDiffusion = z.infer<typeof diffusionSchema>;

export class ManifestError extends Error {
  /** One `path: what is wrong` line per problem. */
  readonly problems: readonly string[];
  constructor(problems: readonly string[]) {
    super(
      issuesMessage(
        `Invalid bundle manifest (${problems.length} problem${problems.length === 1 ? '' : 's'})`,
        problems,
      ),
    );
    this.name = 'ManifestError';
    this.problems = problems;
  }
}

/** Validates a parsed manifest.json; throws ManifestError listing every problem. */
export function parseManifest(json: unknown): Manifest {
  const parsed = manifestSchema.safeParse(json, { error: readableErrors });
  if (!parsed.success) throw new ManifestError(formatIssues(parsed.error.issues));
  return parsed.data;
}
