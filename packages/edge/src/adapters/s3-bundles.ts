/** Copies a model bundle from the object store (`models/{id}/{version}/`) into a local folder. */
import { mkdir, stat, writeFile } from 'node:fs/promises';
import { dirname, join } from 'node:path';
import { parseManifest } from '@diffae/shared';
import { keys } from '../../../shared/src/jobs.ts';
import type { ObjectStore } from '../../../shared/src/ports.ts';
import { compareVersions } from '../registry.ts';

/** The newest version under `models/{id}/` (versions compared numerically). */
async function newestVersion(store: ObjectStore, id: string): Promise<string> {
  const prefix = `models/${id}/`;
  const versions = new Set<string>();
  let cursor: string | undefined;
  do {
    const page = await store.list(prefix, cursor ? { cursor } : {});
    for (const key of page.keys) versions.add(key.slice(prefix.length).split('/')[0]);
    cursor = page.cursor;
  } while (cursor);
  const sorted = [...versions].sort((a, b) => compareVersions(b, a));
  if (!sorted[0]) throw new Error(`no bundle under ${prefix} in the store`);
  return sorted[0];
}

/** `ref` is "id" or "id@version"; returns the local bundle folder (files already there are kept). */
export async function fetchBundle(store: ObjectStore, ref: string, cacheDir: string): Promise<string> {
  const [id, pinned] = ref.split('@');
  const version = pinned ?? (await newestVersion(store, id));
  const prefix = keys.bundlePrefix(id, version);
  const dir = join(cacheDir, id, version);
  const manifestBytes = await store.get(`${prefix}manifest.json`);
  if (!manifestBytes) throw new Error(`no ${prefix}manifest.json in the store`);
  const manifest = parseManifest(JSON.parse(new TextDecoder().decode(manifestBytes)));
  for (const file of Object.values(manifest.files)) {
    if (!file) continue;
    const local = join(dir, file.path);
    const have = await stat(local).catch(() => undefined);
    if (have?.size === file.bytes) continue;
    const bytes = await store.get(`${prefix}${file.path}`);
    if (!bytes) throw new Error(`bundle file ${prefix}${file.path} is missing in the store`);
    await mkdir(dirname(local), { recursive: true });
    await writeFile(local, bytes);
  }
  await mkdir(dir, { recursive: true });
  await writeFile(join(dir, 'manifest.json'), manifestBytes);
  return dir;
}
