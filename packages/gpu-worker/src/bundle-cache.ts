/**
 * Model bundles from the object store, cached on local disk.
 *
 * Store layout: `models/{id}/{version}/manifest.json` plus the files it lists, at the same relative
 * paths. A reference without a version resolves to the text object `models/{id}/latest` (a version
 * string: lets operators pin or roll back without deleting anything) when it exists, else to the
 * highest version (semver order) that has a manifest.json.
 *
 * Local layout: `{cacheDir}/{id}/{version}/`. A version folder only ever appears through one rename of
 * a fully downloaded and sha256-verified temp folder (`{cacheDir}/.tmp/…`), so its existence means it is
 * complete; concurrent fetches (in this process: shared promise; across processes: the rename race,
 * loser discards its copy) never see or produce a partial bundle.
 */
import { createHash, randomBytes } from 'node:crypto';
import { createWriteStream } from 'node:fs';
import { mkdir, readFile, rename, rm, stat, writeFile } from 'node:fs/promises';
import path from 'node:path';
import { Readable, Transform } from 'node:stream';
import { pipeline } from 'node:stream/promises';
import {
  BUNDLE_ID_PATTERN,
  BUNDLE_VERSION_PATTERN,
  type Manifest,
  parseManifest,
} from '../../shared/src/bundle/manifest.ts';
import { keys } from '../../shared/src/jobs.ts';
import type { ObjectStore } from '../../shared/src/ports.ts';
import { JobInputError } from './errors.ts';
import type { Logger } from './log.ts';

export interface BundleRef {
  id: string;
  version: string;
}

export function parseModelRef(ref: string): { id: string; version?: string } {
  const [id, version, ...rest] = ref.split('@');
  if (!BUNDLE_ID_PATTERN.test(id) || rest.length > 0 || (version !== undefined && version === '')) {
    throw new JobInputError(
      'unknown_model',
      `model must be "<id>" or "<id>@<version>", got ${JSON.stringify(ref)}`,
    );
  }
  return version === undefined ? { id } : { id, version };
}

/** Semver precedence on the numeric core, then: a release above its pre-releases, then string order. */
export function compareVersions(a: string, b: string): number {
  const split = (v: string) => {
    const [core, pre] = v.split('+')[0].split(/-(.*)/s);
    return { nums: core.split('.').map(Number), pre };
  };
  const x = split(a);
  const y = split(b);
  for (let i = 0; i < 3; i++) {
    const d = (x.nums[i] ?? 0) - (y.nums[i] ?? 0);
    if (d !== 0) return d;
  }
  if (x.pre === undefined || y.pre === undefined) return x.pre === y.pre ? 0 : x.pre === undefined ? 1 : -1;
  return x.pre < y.pre ? -1 : x.pre > y.pre ? 1 : 0;
}

async function exists(p: string): Promise<boolean> {
  return stat(p).then(
    () => true,
    () => false,
  );
}

export class BundleCache {
  readonly #store: ObjectStore;
  readonly #dir: string;
  readonly #logger: Logger | undefined;
  readonly #inflight = new Map<string, Promise<string>>();

  constructor(opts: { store: ObjectStore; cacheDir: string; logger?: Logger }) {
    this.#store = opts.store;
    this.#dir = opts.cacheDir;
    this.#logger = opts.logger;
  }

  /** The version a reference means now (see the module doc for `id` alone). */
  async resolve(ref: string): Promise<BundleRef> {
    const { id, version } = parseModelRef(ref);
    if (version !== undefined) return { id, version };
    const pointer = await this.#store.get(`models/${id}/latest`);
    if (pointer !== null) {
      const v = new TextDecoder().decode(pointer).trim();
      if (!BUNDLE_VERSION_PATTERN.test(v)) {
        throw new Error(`models/${id}/latest holds ${JSON.stringify(v)}, not a version`);
      }
      return { id, version: v };
    }
    const versions = new Set<string>();
    let cursor: string | undefined;
    do {
      const page = await this.#store.list(`models/${id}/`, cursor ? { cursor } : {});
      for (const key of page.keys) {
        const m = /^models\/[^/]+\/([^/]+)\/manifest\.json$/.exec(key);
        if (m && BUNDLE_VERSION_PATTERN.test(m[1])) versions.add(m[1]);
      }
      cursor = page.cursor;
    } while (cursor);
    if (versions.size === 0)
      throw new JobInputError('unknown_model', `no bundle "${id}" in the store (models/${id}/)`);
    return { id, version: [...versions].sort(compareVersions).at(-1) as string };
  }

  /** Local folder of the bundle, downloading and verifying it first when it is not cached. */
  async fetch(ref: BundleRef): Promise<string> {
    const key = `${ref.id}@${ref.version}`;
    let p = this.#inflight.get(key);
    if (!p) {
      p = this.#fetchOnce(ref).finally(() => this.#inflight.delete(key));
      this.#inflight.set(key, p);
    }
    return p;
  }

  async #fetchOnce(ref: BundleRef): Promise<string> {
    const final = path.join(this.#dir, ref.id, ref.version);
    if (await exists(path.join(final, 'manifest.json'))) return final;
    const prefix = keys.bundlePrefix(ref.id, ref.version);
    const manifestBytes = await this.#store.get(`${prefix}manifest.json`);
    if (manifestBytes === null) {
      throw new JobInputError(
        'unknown_model',
        `bundle ${ref.id}@${ref.version} is not in the store (${prefix}manifest.json)`,
      );
    }
    const manifest: Manifest = parseManifest(JSON.parse(new TextDecoder().decode(manifestBytes)));
    if (manifest.id !== ref.id || manifest.version !== ref.version) {
      throw new Error(
        `${prefix}manifest.json describes ${manifest.id}@${manifest.version}, expected ${ref.id}@${ref.version}`,
      );
    }
    const started = performance.now();
    const tmp = path.join(
      this.#dir,
      '.tmp',
      `${ref.id}-${ref.version}-${process.pid}-${randomBytes(4).toString('hex')}`,
    );
    await mkdir(tmp, { recursive: true });
    try {
      let bytes = 0;
      for (const file of Object.values(manifest.files)) {
        if (!file) continue;
        await this.#download(`${prefix}${file.path}`, path.join(tmp, file.path), file.sha256, file.bytes);
        bytes += file.bytes;
      }
      // The manifest goes in last, as the byte-identical copy of the store's.
      await writeFile(path.join(tmp, 'manifest.json'), manifestBytes);
      await mkdir(path.dirname(final), { recursive: true });
      try {
        await rename(tmp, final);
      } catch (err) {
        if (!(await exists(path.join(final, 'manifest.json')))) throw err;
        // Another process finished the same bundle first; its copy is as good as ours.
      }
      this.#logger?.info('bundle fetched', {
        model: ref.id,
        version: ref.version,
        bytes,
        ms: Math.round(performance.now() - started),
      });
      return final;
    } finally {
      await rm(tmp, { recursive: true, force: true });
    }
  }

  async #download(key: string, target: string, sha256: string, bytes: number): Promise<void> {
    const body = await this.#store.getStream(key);
    if (body === null) throw new Error(`bundle file ${key} is missing from the store`);
    await mkdir(path.dirname(target), { recursive: true });
    const hash = createHash('sha256');
    let size = 0;
    const tap = new Transform({
      transform(chunk: Buffer, _enc, done) {
        hash.update(chunk);
        size += chunk.length;
        done(null, chunk);
      },
    });
    await pipeline(
      Readable.fromWeb(body as import('node:stream/web').ReadableStream),
      tap,
      createWriteStream(target),
    );
    const actual = hash.digest('hex');
    if (size !== bytes || actual !== sha256) {
      throw new Error(
        `bundle file ${key} failed verification: ${size} bytes sha256 ${actual}, the manifest says ${bytes} bytes sha256 ${sha256}`,
      );
    }
  }
}

/** Reads the id and version of a local bundle folder (DIFFAE_BUNDLE_DIR) without loading it. */
export async function readLocalBundleRef(dir: string): Promise<BundleRef> {
  const manifest = parseManifest(JSON.parse(await readFile(path.join(dir, 'manifest.json'), 'utf8')));
  return { id: manifest.id, version: manifest.version };
}
