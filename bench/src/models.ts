/** The two architectures the benchmark runs, exported once (by the torch worker) into bench/.cache. */
import { CACHE_DIR, TRAINED_DEFAULT_BUNDLE } from './paths.ts';
import type { TorchWorker } from './torch-client.ts';

export type ModelKey = 'default' | 'ffhq256';

export interface BenchModel {
  key: ModelKey;
  label: string;
  bundleDir: string;
  /** Official-layout checkpoint of the same weights (what PyTorch eager loads). */
  checkpoint: string;
  config: string;
  weights: 'trained' | 'random';
  notes: string[];
  /** MACs per sample given by the facts sheet (null: counted with macs.py). */
  factsMacs: { unet: number; encoder: number } | null;
}

const SPECS: Record<
  ModelKey,
  { label: string; request: Record<string, unknown>; factsMacs: BenchModel['factsMacs'] }
> = {
  default: {
    label: 'default bundle (facesynth64 small, 64 px, z 256)',
    request: {
      name: 'facesynth64-small',
      config: 'facesynth:small',
      fullBundle: true,
      trainedBundle: TRAINED_DEFAULT_BUNDLE,
    },
    factsMacs: null,
  },
  ffhq256: {
    label: 'FFHQ256 (ffhq256_autoenc, random weights)',
    request: { name: 'ffhq256-autoenc', config: 'released:ffhq256_autoenc', fullBundle: false },
    factsMacs: { unet: 277_217_542_144, encoder: 35_396_255_744 },
  },
};

const prepared = new Map<ModelKey, Promise<BenchModel>>();

/** The model's bundle and checkpoint (exported on first use; later runs reuse the cache). */
export function benchModel(torch: TorchWorker, key: ModelKey): Promise<BenchModel> {
  let p = prepared.get(key);
  if (!p) {
    const spec = SPECS[key];
    p = torch
      .request<Omit<BenchModel, 'key' | 'label' | 'factsMacs'>>('prepare', {
        ...spec.request,
        cacheDir: CACHE_DIR,
      })
      .then((r) => ({ ...r, key, label: spec.label, factsMacs: spec.factsMacs }));
    p.catch(() => prepared.delete(key));
    prepared.set(key, p);
  }
  return p;
}
