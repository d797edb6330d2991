/**
 * ObjectStore on a local directory (the single-machine setup).
 *
 * Layout: object `a/b/c.png` is the plain file `<root>/a/b/c.png`, so bundles can be copied in by hand.
 * Metadata (content type, cache control) lives in a sidecar `<root>/a/b/.c.png.meta.json`; keys cannot
 * have segments starting with "." so sidecars and temp files never collide with objects.
 *
 * Atomicity: bodies are written to a temp file in the target directory, fsynced, then renamed over the
 * target. The sidecar records the inode of the data file it describes, so a reader that races a writer
 * and sees a new body with the old sidecar ignores that sidecar instead of mislabelling the body.
 */
import { randomBytes } from 'node:crypto';
import * as fsp from 'node:fs/promises';
import path from 'node:path';
import { Readable } from 'node:stream';
import type {
  ListOptions,
  ListPage,
  ObjectInfo,
  ObjectStore,
  PresignedGet,
  PresignedPut,
  PresignPutOptions,
  PutOptions,
} from '../ports.ts';
import { listLimit, presignSeconds, storageArg, toBytes } from './args.ts';
import { StorageError } from './errors.ts';
import { assertValidKey, assertValidPrefix } from './keys.ts';
import type { LocalSigner } from './local-signer.ts';

interface Sidecar {
  ino: number;
  contentType?: string;
  cacheControl?: string;
}

export interface FsObjectStoreOptions {
  /** Absolute directory; created if missing. */
  root: string;
  /** Enables presignPut/presignGet (URLs to the edge's `/v1/local-storage/` route). */
  signer?: LocalSigner;
}

const errno = (err: unknown): string | undefined => (err as NodeJS.ErrnoException | null)?.code;

function wrapFsError(err: unknown, what: string): never {
  if (err instanceof StorageError) throw err;
  const code = errno(err);
  const transient = code === 'EMFILE' || code === 'ENFILE' || code === 'EAGAIN' || code === 'EBUSY';
  throw new StorageError(transient ? 'storage_unavailable' : 'storage_error', `${what}: ${String(err)}`, {
    cause: err,
  });
}

function objectInfo(st: import('node:fs').Stats, sidecar: Sidecar | null): ObjectInfo {
  const info: ObjectInfo = {
    bytes: st.size,
    etag: `"${st.ino.toString(16)}-${Math.round(st.mtimeMs * 1000).toString(16)}"`,
    lastModified: st.mtime,
  };
  if (sidecar?.contentType !== undefined) info.contentType = sidecar.contentType;
  if (sidecar?.cacheControl !== undefined) info.cacheControl = sidecar.cacheControl;
  return info;
}

export class FsObjectStore implements ObjectStore {
  readonly root: string;
  readonly #signer: LocalSigner | undefined;

  constructor(opts: FsObjectStoreOptions) {
    if (!path.isAbsolute(opts.root)) {
      throw new StorageError('invalid_argument', `filesystem store root must be absolute: ${opts.root}`);
    }
    this.root = path.resolve(opts.root);
    this.#signer = opts.signer;
  }

  #dataPath(key: string): string {
    return path.join(this.root, ...assertValidKey(key).split('/'));
  }

  #sidecarPath(dataPath: string): string {
    return path.join(path.dirname(dataPath), `.${path.basename(dataPath)}.meta.json`);
  }

  async put(key: string, body: Uint8Array | string, opts: PutOptions = {}): Promise<void> {
    const target = this.#dataPath(key);
    const bytes = toBytes(body);
    try {
      await this.#ensureParentDirs(key, target);
      const tmpData = await this.#writeTemp(path.dirname(target), bytes);
      try {
        const { ino } = await fsp.stat(tmpData);
        await this.#publish(key, tmpData, target, opts.ifNoneMatch === '*');
        const sidecar: Sidecar = { ino };
        if (opts.contentType !== undefined) sidecar.contentType = opts.contentType;
        if (opts.cacheControl !== undefined) sidecar.cacheControl = opts.cacheControl;
        const tmpMeta = await this.#writeTemp(path.dirname(target), JSON.stringify(sidecar));
        await fsp.rename(tmpMeta, this.#sidecarPath(target));
      } finally {
        await fsp.rm(tmpData, { force: true });
      }
    } catch (err) {
      wrapFsError(err, `put ${key}`);
    }
  }

  /** Moves the finished temp file to its key: rename (replace), or link (create only, no race). */
  async #publish(key: string, tmp: string, target: string, createOnly: boolean): Promise<void> {
    try {
      if (createOnly) await fsp.link(tmp, target);
      else await fsp.rename(tmp, target);
    } catch (err) {
      const code = errno(err);
      if (createOnly && code === 'EEXIST') {
        throw new StorageError('precondition_failed', `object ${key} already exists (ifNoneMatch: '*')`);
      }
      if (code === 'EISDIR' || code === 'ENOTEMPTY' || code === 'EEXIST' || code === 'EPERM') {
        throw new StorageError('key_conflict', `key ${key} is already a prefix of other objects`);
      }
      throw err;
    }
  }

  async #ensureParentDirs(key: string, target: string): Promise<void> {
    try {
      await fsp.mkdir(path.dirname(target), { recursive: true });
    } catch (err) {
      if (errno(err) === 'ENOTDIR' || errno(err) === 'EEXIST') {
        throw new StorageError('key_conflict', `a parent of key ${key} is already an object`);
      }
      throw err;
    }
  }

  async #writeTemp(dir: string, data: Uint8Array | string): Promise<string> {
    const tmp = path.join(dir, `.tmp-${randomBytes(8).toString('hex')}`);
    const handle = await fsp.open(tmp, 'wx', 0o644);
    try {
      await handle.writeFile(data);
      await handle.sync();
    } finally {
      await handle.close();
    }
    return tmp;
  }

  async get(key: string): Promise<Uint8Array | null> {
    const file = this.#dataPath(key);
    try {
      const buf = await fsp.readFile(file);
      return new Uint8Array(buf.buffer, buf.byteOffset, buf.byteLength);
    } catch (err) {
      if (errno(err) === 'ENOENT' || errno(err) === 'ENOTDIR' || errno(err) === 'EISDIR') return null;
      wrapFsError(err, `get ${key}`);
    }
  }

  async getStream(key: string): Promise<ReadableStream<Uint8Array> | null> {
    const file = this.#dataPath(key);
    let handle: fsp.FileHandle;
    try {
      handle = await fsp.open(file, 'r');
      if (!(await handle.stat()).isFile()) {
        await handle.close();
        return null;
      }
    } catch (err) {
      if (errno(err) === 'ENOENT' || errno(err) === 'ENOTDIR') return null;
      wrapFsError(err, `getStream ${key}`);
    }
    // The open descriptor pins this version of the file even if it is replaced meanwhile.
    return Readable.toWeb(handle.createReadStream()) as ReadableStream<Uint8Array>;
  }

  async head(key: string): Promise<ObjectInfo | null> {
    const file = this.#dataPath(key);
    try {
      // A writer renames the body before its sidecar: on an inode mismatch look again briefly (a first
      // write read in that window just shows no metadata yet).
      for (let attempt = 0; ; attempt++) {
        const st = await fsp.stat(file);
        if (!st.isFile()) return null;
        const sidecar = await this.#readSidecar(file);
        if (!sidecar || sidecar.ino === st.ino || attempt === 3) {
          return objectInfo(st, sidecar?.ino === st.ino ? sidecar : null);
        }
        await new Promise((r) => setTimeout(r, 5));
      }
    } catch (err) {
      if (errno(err) === 'ENOENT' || errno(err) === 'ENOTDIR') return null;
      wrapFsError(err, `head ${key}`);
    }
  }

  async #readSidecar(dataPath: string): Promise<Sidecar | null> {
    try {
      return JSON.parse(await fsp.readFile(this.#sidecarPath(dataPath), 'utf8')) as Sidecar;
    } catch {
      return null; // absent (file copied in by hand) or unreadable: no metadata
    }
  }

  async delete(key: string): Promise<void> {
    const file = this.#dataPath(key);
    try {
      await fsp.rm(file, { force: true });
      await fsp.rm(this.#sidecarPath(file), { force: true });
      await this.#pruneEmptyDirs(path.dirname(file));
    } catch (err) {
      if (errno(err) === 'ENOTDIR') return;
      if (errno(err) === 'EISDIR' || errno(err) === 'ERR_FS_EISDIR') return; // a prefix, not an object
      wrapFsError(err, `delete ${key}`);
    }
  }

  /** Removes now-empty folders up to the root; a concurrent put into one of them just recreates it. */
  async #pruneEmptyDirs(dir: string): Promise<void> {
    for (let d = dir; d.startsWith(this.root + path.sep); d = path.dirname(d)) {
      try {
        await fsp.rmdir(d);
      } catch {
        return; // not empty (or already gone): stop
      }
    }
  }

  async list(prefix: string, opts: ListOptions = {}): Promise<ListPage> {
    assertValidPrefix(prefix);
    const limit = listLimit(opts.limit);
    const slash = prefix.lastIndexOf('/');
    const baseKey = slash < 0 ? '' : prefix.slice(0, slash + 1);
    const keys: string[] = [];
    try {
      await this.#collect(path.join(this.root, ...baseKey.split('/').filter(Boolean)), baseKey, prefix, keys);
    } catch (err) {
      wrapFsError(err, `list ${prefix}`);
    }
    keys.sort((a, b) => (a < b ? -1 : a > b ? 1 : 0));
    const after = opts.cursor;
    const start = after === undefined ? 0 : keys.findIndex((k) => k > after);
    const page = start < 0 ? [] : keys.slice(start, start + limit);
    const more = start >= 0 && start + limit < keys.length;
    return more ? { keys: page, cursor: page[page.length - 1] } : { keys: page };
  }

  async #collect(dir: string, dirKey: string, prefix: string, out: string[]): Promise<void> {
    let entries: import('node:fs').Dirent[];
    try {
      entries = await fsp.readdir(dir, { withFileTypes: true });
    } catch (err) {
      if (errno(err) === 'ENOENT' || errno(err) === 'ENOTDIR') return;
      throw err;
    }
    for (const entry of entries) {
      if (entry.name.startsWith('.')) continue; // sidecars, temp files
      const key = dirKey + entry.name;
      if (entry.isDirectory()) {
        const sub = `${key}/`;
        if (sub.startsWith(prefix) || prefix.startsWith(sub))
          await this.#collect(path.join(dir, entry.name), sub, prefix, out);
      } else if (entry.isFile() && key.startsWith(prefix)) {
        out.push(key);
      }
    }
  }

  #requireSigner(): LocalSigner {
    if (!this.#signer) {
      throw new StorageError(
        'not_supported',
        'this filesystem store has no LocalSigner: set DIFFAE_LOCAL_SIGNING_SECRET and DIFFAE_PUBLIC_URL',
      );
    }
    return this.#signer;
  }

  async presignPut(key: string, opts: PresignPutOptions): Promise<PresignedPut> {
    const signer = this.#requireSigner();
    assertValidKey(key);
    const expires = Math.floor(Date.now() / 1000) + presignSeconds(opts.expiresIn);
    if (typeof opts.contentType !== 'string' || opts.contentType.length === 0) {
      throw new StorageError('invalid_argument', 'presignPut needs a contentType');
    }
    const grant = { method: 'PUT' as const, key, expires, contentType: opts.contentType };
    const maxBytes =
      opts.maxBytes === undefined ? undefined : storageArg('maxBytes', opts.maxBytes, 0, 5 * 2 ** 40);
    const url = signer.sign(maxBytes === undefined ? grant : { ...grant, maxBytes });
    return {
      url,
      method: 'PUT',
      headers: { 'content-type': opts.contentType },
      expiresAt: new Date(expires * 1000),
      maxBytesEnforced: maxBytes !== undefined,
    };
  }

  async presignGet(key: string, opts: { expiresIn: number }): Promise<PresignedGet> {
    const signer = this.#requireSigner();
    const expires = Math.floor(Date.now() / 1000) + presignSeconds(opts.expiresIn);
    return {
      url: signer.sign({ method: 'GET', key: assertValidKey(key), expires }),
      expiresAt: new Date(expires * 1000),
    };
  }

  async close(): Promise<void> {}
}
