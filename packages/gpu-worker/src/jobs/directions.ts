/**
 * Saved custom directions (`directions/{tenant}/{model}/{name}.json`) and the classifier a manipulate
 * job edits with: the bundle's classifier plus any `direction:<name>` rows the edits name.
 */

import { z } from 'zod';
import { type Classifier, directionFromExamples, withDirection } from '../../../shared/src/classifier.ts';
import { keys } from '../../../shared/src/jobs.ts';
import type { ObjectStore } from '../../../shared/src/ports.ts';
import type { Tensor } from '../../../shared/src/tensor.ts';
import { JobInputError } from '../errors.ts';
import type { LoadedModel } from '../sessions.ts';

export const DIRECTION_PREFIX = 'direction:';

export const savedDirection = z.object({
  name: z.string(),
  model: z.object({ id: z.string(), version: z.string() }),
  /** Unit vector in normalised-z space ((z − zMean)/zStd with the stats named by `normalisation`). */
  direction: z.array(z.number()),
  normalisation: z.enum(['classifier', 'latentStats']),
  positives: z.number().int(),
  negatives: z.number().int(),
  createdAt: z.string(),
});
export type SavedDirection = z.infer<typeof savedDirection>;

/** The z statistics directions are measured in: the classifier's, else the latent DPM's. */
export function normalisation(model: LoadedModel): {
  zMean: Float32Array;
  zStd: Float32Array;
  source: SavedDirection['normalisation'];
} {
  if (model.classifier)
    return { zMean: model.classifier.zMean, zStd: model.classifier.zStd, source: 'classifier' };
  if (model.latentStats) return { ...model.latentStats, source: 'latentStats' };
  throw new JobInputError(
    'unsupported',
    `model ${model.ref.id} has neither a classifier nor latent stats to normalise z`,
  );
}

export function buildDirection(
  model: LoadedModel,
  name: string,
  positives: Tensor,
  negatives: Tensor,
): SavedDirection {
  const norm = normalisation(model);
  let d: Float32Array;
  try {
    d = directionFromExamples(positives, negatives, norm.zMean, norm.zStd);
  } catch (err) {
    throw new JobInputError('bad_image', `cannot derive direction "${name}": ${(err as Error).message}`, {
      cause: err,
    });
  }
  return {
    name,
    model: { ...model.ref },
    direction: Array.from(d),
    normalisation: norm.source,
    positives: positives.shape[0],
    negatives: negatives.shape[0],
    createdAt: new Date().toISOString(),
  };
}

async function loadDirection(
  store: ObjectStore,
  tenant: string,
  model: LoadedModel,
  name: string,
): Promise<SavedDirection> {
  const key = keys.direction(tenant, model.ref.id, name);
  const bytes = await store.get(key);
  if (bytes === null)
    throw new JobInputError(
      'unknown_direction',
      `no saved direction "${name}" for model ${model.ref.id} (${key})`,
    );
  const parsed = savedDirection.safeParse(JSON.parse(new TextDecoder().decode(bytes)));
  if (!parsed.success) throw new JobInputError('unknown_direction', `saved direction ${key} is malformed`);
  if (parsed.data.direction.length !== model.manifest.zDim) {
    throw new JobInputError(
      'unknown_direction',
      `saved direction ${key} has ${parsed.data.direction.length} values, the model's z has ${model.manifest.zDim}`,
    );
  }
  return parsed.data;
}

/** The classifier for a set of edits, with every `direction:<name>` edit added as a row of that name. */
export async function classifierForEdits(
  store: ObjectStore,
  tenant: string,
  model: LoadedModel,
  attributes: readonly string[],
): Promise<Classifier> {
  const custom = [...new Set(attributes.filter((a) => a.startsWith(DIRECTION_PREFIX)))];
  let classifier: Classifier;
  if (model.classifier) classifier = model.classifier;
  else {
    if (custom.length < attributes.length) {
      throw new JobInputError(
        'unknown_attribute',
        `model ${model.ref.id} has no attribute classifier; only ${DIRECTION_PREFIX}<name> edits work`,
      );
    }
    const norm = normalisation(model);
    classifier = {
      attributes: [],
      weight: new Float32Array(0),
      bias: new Float32Array(0),
      zMean: norm.zMean,
      zStd: norm.zStd,
    };
  }
  for (const attr of custom) {
    const saved = await loadDirection(store, tenant, model, attr.slice(DIRECTION_PREFIX.length));
    if (saved.normalisation !== normalisation(model).source) {
      throw new JobInputError(
        'unknown_direction',
        `direction ${attr} was measured with ${saved.normalisation} statistics, this model uses ${normalisation(model).source}`,
      );
    }
    classifier = withDirection(classifier, attr, saved.direction);
  }
  return classifier;
}
