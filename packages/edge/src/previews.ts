/**
 * Instant encodes and edit previews. Encodes and coarse inversions are cached by image SHA-256 (LRU),
 * so moving a slider over the same image only re-renders.
 */
import {
  assertValidStepCount,
  attributeScores,
  type Classifier,
  encode,
  encodePng,
  encodeStochastic,
  manipulateLatent,
  NormalStream,
  render,
  type Tensor,
  tensorToImages,
} from '@diffae/shared';
import type { Edit } from '../../shared/src/jobs.ts';
import type { ModelEntry } from './deps.ts';
import { ApiError } from './errors.ts';
import { LruCache } from './lru.ts';

interface CachedImage {
  x: Tensor;
  z: Promise<{ z: Tensor; encoder: 'lite' | 'full' }>;
  /** Inversion x_T by step count. */
  xT: Map<number, Promise<Tensor>>;
}

export interface EncodeResult {
  z: Tensor;
  encoder: 'lite' | 'full';
  cached: boolean;
}

export interface PreviewInput {
  /** The image (bytes hashed by the caller) or a z. */
  image?: { sha256: string; x: () => Tensor };
  z?: Tensor;
  edits: readonly Edit[];
  inversionSteps?: number;
  renderSteps?: number;
  seed: number;
}

export type PreviewOutcome = {
  z: Tensor;
  cached: { encode: boolean; inversion: boolean };
  ms: Record<string, number>;
} & (
  | { image: Uint8Array; inversionSteps: number | null; renderSteps: number }
  | { image?: undefined; reason: string }
);

export function scoresOf(classifier: Classifier | undefined, z: Tensor): Record<string, number> | null {
  if (!classifier) return null;
  const s = attributeScores(classifier, z);
  return Object.fromEntries(classifier.attributes.map((a, i) => [a, s.data[i]]));
}

/** Edits as the classifier's `{ attribute: amplitude }` map (duplicates refused: they would collapse). */
export function editMap(entry: ModelEntry, edits: readonly Edit[]): Record<string, number> {
  if (edits.length === 0) return {};
  if (!entry.classifier) {
    throw new ApiError(
      400,
      'no_classifier',
      `model ${entry.manifest.id} has no attribute classifier; send edits: []`,
    );
  }
  const out: Record<string, number> = {};
  for (const e of edits) {
    if (e.attribute in out)
      throw new ApiError(400, 'duplicate_attribute', `attribute "${e.attribute}" is edited twice`);
    out[e.attribute] = e.amplitude;
  }
  return out;
}

export class PreviewService {
  readonly #cache: LruCache<string, CachedImage>;
  constructor(
    entries: number,
    private readonly now: () => number,
    private readonly maxSteps: number,
  ) {
    this.#cache = new LruCache(entries);
  }

  #entryFor(model: ModelEntry, sha256: string, x: () => Tensor): { cached: CachedImage; hit: boolean } {
    const key = `${model.manifest.id}@${model.manifest.version}/${sha256}`;
    const existing = this.#cache.get(key);
    if (existing) return { cached: existing, hit: true };
    const input = x();
    const z = (async () => {
      const backend = await model.backend();
      const lite = backend.liteEncode !== undefined;
      return {
        z: await encode(backend, input, { lite }),
        encoder: lite ? ('lite' as const) : ('full' as const),
      };
    })();
    const cached: CachedImage = { x: input, z, xT: new Map() };
    z.catch(() => this.#cache.delete(key));
    this.#cache.set(key, cached);
    return { cached, hit: false };
  }

  async encode(model: ModelEntry, sha256: string, x: () => Tensor): Promise<EncodeResult> {
    const { cached, hit } = this.#entryFor(model, sha256, x);
    const { z, encoder } = await cached.z;
    return { z, encoder, cached: hit };
  }

  #steps(value: number | undefined, fallback: number, name: string, T: number): number {
    const K = value ?? fallback;
    if (K > this.maxSteps) {
      throw new ApiError(
        400,
        'invalid_steps',
        `${name} may be at most ${this.maxSteps} for previews (got ${K}); submit a job for more`,
      );
    }
    assertValidStepCount(K, T);
    return K;
  }

  async preview(model: ModelEntry, input: PreviewInput): Promise<PreviewOutcome> {
    const { manifest } = model;
    const edits = editMap(model, input.edits);
    const ms: Record<string, number> = {};
    const timed = async <T>(name: string, work: () => Promise<T>): Promise<T> => {
      const start = this.now();
      const result = await work();
      ms[name] = this.now() - start;
      return result;
    };
    const preview = manifest.preview;
    const T = manifest.diffusion.image.T;
    const renderSteps = preview ? this.#steps(input.renderSteps, preview.renderSteps, 'renderSteps', T) : 0;
    const inversionSteps =
      preview && input.image
        ? this.#steps(input.inversionSteps, preview.inversionSteps, 'inversionSteps', T)
        : null;

    let z: Tensor;
    let cachedImage: CachedImage | undefined;
    const cached = { encode: false, inversion: false };
    if (input.image) {
      const found = this.#entryFor(model, input.image.sha256, input.image.x);
      cachedImage = found.cached;
      cached.encode = found.hit;
      z = (await timed('encode', () => found.cached.z)).z;
    } else {
      z = input.z as Tensor;
      if (z.shape[1] !== manifest.zDim) {
        throw new ApiError(
          400,
          'invalid_latent',
          `z must have ${manifest.zDim} values for model ${manifest.id}, got ${z.shape[1]}`,
        );
      }
    }
    const edited =
      model.classifier && Object.keys(edits).length > 0 ? manipulateLatent(z, model.classifier, edits) : z;
    if (!preview) {
      return {
        z: edited,
        cached,
        ms,
        reason: `model ${manifest.id}@${manifest.version} allows no decoded previews (its manifest has no preview settings); submit a manipulate job to see the edit`,
      };
    }
    const backend = await model.backend();
    const diffusion = manifest.diffusion.image;
    let xT: Tensor;
    if (cachedImage && inversionSteps !== null) {
      const image = cachedImage;
      let pending = image.xT.get(inversionSteps);
      cached.inversion = pending !== undefined;
      if (!pending) {
        pending = encodeStochastic(backend, image.x, z, { steps: inversionSteps, diffusion });
        image.xT.set(inversionSteps, pending);
        pending.catch(() => image.xT.delete(inversionSteps));
      }
      xT = await timed('invert', () => pending);
    } else {
      const S = manifest.imageSize;
      xT = new NormalStream(input.seed).tensor([1, 3, S, S]);
    }
    const out = await timed('render', () => render(backend, xT, edited, { steps: renderSteps, diffusion }));
    const png = encodePng(tensorToImages(out)[0]);
    return { z: edited, cached, ms, image: png, inversionSteps, renderSteps };
  }
}
