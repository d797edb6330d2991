/** A worker's surroundings for tests: a real filesystem store, the tiny bundle opened on the CPU. */
import { mkdtemp, readFile, rm } from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';
import { FsObjectStore } from '../../../shared/src/adapters/fs-store.ts';
import type { JobMessage, JobSpec } from '../../../shared/src/jobs.ts';
import type { ObjectStore } from '../../../shared/src/ports.ts';
import { InversionCache } from '../../src/inversion-cache.ts';
import { silentLogger } from '../../src/log.ts';
import type { JobServices } from '../../src/process-job.ts';
import { type LoadedModel, openModel } from '../../src/sessions.ts';
import { PHOTOS, tinyBundleDir } from './bundle.ts';

export interface World {
  dir: string;
  store: ObjectStore;
  model: LoadedModel;
  bundleDir: string;
  services(overrides?: Partial<JobServices>): JobServices;
  upload(name: string, photo: string): Promise<string>;
  close(): Promise<void>;
}

export async function createWorld(): Promise<World> {
  const bundleDir = await tinyBundleDir();
  const dir = await mkdtemp(path.join(os.tmpdir(), 'diffae-gw-'));
  const store = new FsObjectStore({ root: path.join(dir, 'store') });
  const model = await openModel(
    bundleDir,
    {
      executionProviders: ['cpu'],
      workers: 1,
      intraOpThreads: 1,
      maxBatch: 8,
      batchWaitMs: 2,
      warmup: false,
    },
    silentLogger,
  );
  return {
    dir,
    store,
    model,
    bundleDir,
    services: (overrides = {}) => ({
      store,
      models: { get: async () => model },
      inversionCache: new InversionCache(overrides.store ?? store, silentLogger),
      imageLimits: {},
      progressIntervalMs: 0,
      cancelCheckIntervalMs: 0,
      logger: silentLogger,
      ...overrides,
    }),
    upload: async (name, photo) => {
      const key = `uploads/t1/${name}`;
      await store.put(key, await readFile(path.join(PHOTOS, photo)));
      return key;
    },
    close: async () => {
      await model.batcher.dispose();
      await rm(dir, { recursive: true, force: true });
    },
  };
}

let counter = 0;
export function message(
  spec: JobSpec,
  jobId = `job${Date.now().toString(36)}${(counter++).toString(36)}x`,
): JobMessage {
  return { jobId, tenant: 't1', spec, submittedAt: new Date().toISOString() };
}
