/** Where the benchmark reads and writes. */
import os from 'node:os';
import path from 'node:path';

export const REPO_ROOT = path.resolve(import.meta.dirname, '../..');
/**
 * Exported random-weight bundles. Outside the repository by default: biome and git would otherwise
 * walk hundreds of MB of ONNX/JSON (and `biome format` would rewrite the bundles' JSON files, breaking
 * their manifest sizes). DIFFAE_BENCH_CACHE overrides it (bench/.gitignore covers bench/.cache).
 */
export const CACHE_DIR = path.resolve(
  process.env.DIFFAE_BENCH_CACHE ?? path.join(os.homedir(), '.cache', 'diffae-bench'),
);
export const RESULTS_DIR = path.join(REPO_ROOT, 'bench/results');
/** Where the trained default bundle is exported to (models/diffae_toolkit/facesynth/export_default.py). */
export const TRAINED_DEFAULT_BUNDLE = path.join(REPO_ROOT, 'models/bundles/facesynth64');
export const PHOTOS_DIR = '/work/shared/data/photos';
