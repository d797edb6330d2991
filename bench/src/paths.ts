/** Where the benchmark reads and writes. */
import path from 'node:path';

export const REPO_ROOT = path.resolve(import.meta.dirname, '../..');
/** Exported random-weight bundles (ignored by git through bench/.gitignore). */
export const CACHE_DIR = path.join(REPO_ROOT, 'bench/.cache');
export const RESULTS_DIR = path.join(REPO_ROOT, 'bench/results');
/** Where the trained default bundle is exported to (models/diffae_toolkit/facesynth/export_default.py). */
export const TRAINED_DEFAULT_BUNDLE = path.join(REPO_ROOT, 'models/bundles/facesynth64');
export const PHOTOS_DIR = '/work/shared/data/photos';
