/** Where the local stack finds its parts. The default bundle path lives here and nowhere else. */
import path from 'node:path';
import { fileURLToPath } from 'node:url';

export const REPO_ROOT = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '../..');

/** The embedded default model (64-px faces). */
export const DEFAULT_BUNDLE_DIR = path.join(REPO_ROOT, 'models/bundles/facesynth64');

/** State of `npm start`: store, queue, keys (git-ignored). */
export const DEFAULT_STACK_DIR = path.join(REPO_ROOT, 'local-stack');

export const WEB_PACKAGE_DIR = path.join(REPO_ROOT, 'packages/web');
export const WEB_DIST_DIR = path.join(WEB_PACKAGE_DIR, 'dist');
export const WORKER_MAIN = path.join(REPO_ROOT, 'packages/gpu-worker/src/main.ts');

export const DEFAULT_PORT = 8787;
