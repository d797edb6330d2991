/** Loading a model bundle folder from disk (Node only): manifest, file integrity, side files. */
import { createHash } from 'node:crypto';
import { createReadStream } from 'node:fs';
import { readFile, stat } from 'node:fs/promises';
import { isAbsolute, relative, resolve } from 'node:path';
import type { BackendLogger, OrtBackend } from '../backends/ort-common.ts';
import { type BundleFile, type BundleFileKey, type Manifest, parseManifest } from '../bundle/manifest.ts';
import { type Classifier, parseClassifierJson } from '../classifier.ts';
import { type LatentStats, parseLatentStatsJson } from '../latent-stats.ts';

export type BundleErrorCode =
  | 'manifest_missing'
  | 'manifest_invalid'
  | 'file_missing'
  | 'size_mismatch'
  | 'sha256_mismatch'
  | 'side_file_invalid';

export class BundleError extends Error {
  readonly code: BundleErrorCode;
  constructor(code: BundleErrorCode, message: string, options?: { cause?: unknown }) {
    super(message, options);
    this.name = 'BundleError';
    this.code = code;
  }
}

export type BundleFilePaths = {
  [K in keyof Manifest['files']]: Manifest['files'][K] extends BundleFile ? string : string | undefined;
};

export interface LoadedBundle {
  manifest: Manifest;
  /** Absolute path of the bundle folder. */
  dir: string;
  /** Absolute path of every file the manifest lists. */
  files: BundleFilePaths;
  classifier?: Classifier;
  latentStats?: LatentStats;
}

export interface LoadBundleOptions {
  /** Check every file's SHA-256 (default true). Existence and byte size are always checked. */
  verify?: boolean;
}

export async function sha256File(path: string): Promise<string> {
  const hash = createHash('sha256');
  for await (const chunk of createReadStream(path)) hash.update(chunk as Buffer);
  return hash.digest('hex');
}

function resolveInside(dir: string, key: string, file: BundleFile): string {
  const path = resolve(dir, file.path);
  const rel = relative(dir, path);
  if (rel.startsWith('..') || isAbsolute(rel)) {
    throw new BundleError(
      'manifest_invalid',
      `files.${key}.path "${file.path}" points outside the bundle folder`,
    );
  }
  return path;
}

async function checkFile(key: string, file: BundleFile, path: string, verify: boolean): Promise<void> {
  let size: number;
  try {
    const info = await stat(path);
    if (!info.isFile()) throw new Error('not a regular file');
    size = info.size;
  } catch (cause) {
    throw new BundleError('file_missing', `bundle file files.${key} "${file.path}" is missing (${path})`, {
      cause,
    });
  }
  if (size !== file.bytes) {
    throw new BundleError(
      'size_mismatch',
      `bundle file "${file.path}" has ${size} bytes, the manifest says ${file.bytes}`,
    );
  }
  if (!verify) return;
  const actual = await sha256File(path);
  if (actual !== file.sha256) {
    throw new BundleError(
      'sha256_mismatch',
      `bundle file "${file.path}" is corrupt: sha256 ${actual}, the manifest says ${file.sha256}`,
    );
  }
}

async function readJson(path: string, what: string): Promise<unknown> {
  try {
    return JSON.parse(await readFile(path, 'utf8'));
  } catch (cause) {
    throw new BundleError('side_file_invalid', `${what} is not valid JSON: ${(cause as Error).message}`, {
      cause,
    });
  }
}

async function parseSideFile<T>(path: string, what: string, parse: (json: unknown) => T): Promise<T> {
  const json = await readJson(path, what);
  try {
    return parse(json);
  } catch (cause) {
    throw new BundleError('side_file_invalid', `${what}: ${(cause as Error).message}`, { cause });
  }
}

/** Reads `dir/manifest.json`, validates it and every file it lists, and parses the side files. */
export async function loadBundle(dir: string, options: LoadBundleOptions = {}): Promise<LoadedBundle> {
  const root = resolve(dir);
  const manifestPath = resolve(root, 'manifest.json');
  let text: string;
  try {
    text = await readFile(manifestPath, 'utf8');
  } catch (cause) {
    throw new BundleError('manifest_missing', `no manifest.json in bundle folder ${root}`, { cause });
  }
  let manifest: Manifest;
  try {
    manifest = parseManifest(JSON.parse(text));
  } catch (cause) {
    throw new BundleError('manifest_invalid', `${manifestPath}: ${(cause as Error).message}`, { cause });
  }

  const entries = (Object.entries(manifest.files) as [BundleFileKey, BundleFile | undefined][]).filter(
    (e): e is [BundleFileKey, BundleFile] => e[1] !== undefined,
  );
  const files: Partial<Record<BundleFileKey, string>> = {};
  for (const [key, file] of entries) files[key] = resolveInside(root, key, file);
  // One file at a time: hashing large models in parallel only thrashes the disk.
  for (const [key, file] of entries) await checkFile(key, file, files[key] as string, options.verify ?? true);

  const bundle: LoadedBundle = { manifest, dir: root, files: files as BundleFilePaths };
  const { classifier: classifierFile, latentStats: latentStatsFile } = manifest.files;
  if (files.classifier && classifierFile) {
    const classifier = await parseSideFile(files.classifier, classifierFile.path, parseClassifierJson);
    const zDim = classifier.zMean.length;
    if (zDim !== manifest.zDim) {
      throw new BundleError(
        'side_file_invalid',
        `classifier z width ${zDim} does not match manifest zDim ${manifest.zDim}`,
      );
    }
    if (classifier.attributes.join('\n') !== manifest.attributes.join('\n')) {
      throw new BundleError(
        'side_file_invalid',
        `classifier attributes [${classifier.attributes.join(', ')}] differ from manifest attributes [${manifest.attributes.join(', ')}]`,
      );
    }
    bundle.classifier = classifier;
  }
  if (files.latentStats && latentStatsFile) {
    const stats = await parseSideFile(files.latentStats, latentStatsFile.path, parseLatentStatsJson);
    if (stats.zMean.length !== manifest.zDim) {
      throw new BundleError(
        'side_file_invalid',
        `latent stats have ${stats.zMean.length} values, manifest zDim is ${manifest.zDim}`,
      );
    }
    bundle.latentStats = stats;
  }
  return bundle;
}

export interface OpenBundleBackendOptions {
  /** 'node' (onnxruntime-node, default) or 'web' (onnxruntime-web WASM, also runs in Node). */
  runtime?: 'node' | 'web';
  /** onnxruntime-node execution providers, e.g. ['cuda', 'cpu']. Ignored by 'web'. */
  providers?: readonly string[];
  /** intraOpNumThreads for 'node', WASM threads for 'web' (default 1). */
  threads?: number;
  eager?: boolean;
  maxBatch?: number;
  logger?: BackendLogger;
}

/** The ort backend for a loaded bundle; the runtime's module is only imported when chosen. */
export async function openBundleBackend(
  bundle: LoadedBundle,
  options: OpenBundleBackendOptions = {},
): Promise<OrtBackend> {
  const { encoder, unet, latent, liteEncoder } = bundle.files;
  const models = { encoder, unet, ...(latent ? { latent } : {}), ...(liteEncoder ? { liteEncoder } : {}) };
  const common = {
    ...(options.eager !== undefined ? { eager: options.eager } : {}),
    ...(options.maxBatch !== undefined ? { maxBatch: options.maxBatch } : {}),
    ...(options.logger ? { logger: options.logger } : {}),
  };
  if ((options.runtime ?? 'node') === 'web') {
    const { createOrtWebBackend } = await import('../backends/ort-web.ts');
    return createOrtWebBackend(models, {
      ...common,
      ...(options.threads !== undefined ? { numThreads: options.threads } : {}),
    });
  }
  const { createOrtNodeBackend } = await import('../backends/ort-node.ts');
  return createOrtNodeBackend(models, {
    ...common,
    ...(options.providers ? { providers: options.providers } : {}),
    ...(options.threads !== undefined ? { intraOpNumThreads: options.threads } : {}),
  });
}
