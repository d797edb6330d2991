// End to end on the AWS protocols: the typed client → the edge (Node adapter) → SQS → real worker
// processes (onnxruntime-node, configured by environment only) → S3 → presigned S3 links. fauxqs serves
// both protocols on 127.0.0.1; the bundle reaches the worker and the edge through the bucket, as in a
// deployment (docs/deploy.md §6).
import { randomUUID } from 'node:crypto';
import { mkdtemp, readdir, readFile, rm } from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { type EdgeServer, startEdgeServer } from '../../packages/edge/src/adapters/node.ts';
import { fetchBundle } from '../../packages/edge/src/adapters/s3-bundles.ts';
import { createClient, type DiffaeClient } from '../../packages/edge/src/client.ts';
import { createApiKey } from '../../packages/edge/src/keys.ts';
import { readStatus } from '../../packages/gpu-worker/src/status.ts';
import { until as poll } from '../../packages/gpu-worker/test/helpers/until.ts';
import { openQueue, openStore } from '../../packages/shared/src/adapters/from-url.ts';
import { S3ObjectStore } from '../../packages/shared/src/adapters/s3-store.ts';
import type { Manifest } from '../../packages/shared/src/bundle/manifest.ts';
import { decodeImage } from '../../packages/shared/src/image/index.ts';
import { type JobSpec, keys } from '../../packages/shared/src/jobs.ts';
import type { JobQueue, ObjectStore } from '../../packages/shared/src/ports.ts';
import {
  type Fauxqs,
  startFauxqs,
  TEST_CREDENTIALS,
  TEST_REGION,
} from '../../packages/shared/test/adapters/fauxqs-server.ts';
import { DEFAULT_BUNDLE_DIR } from '../../scripts/local-stack/paths.ts';
import { startWorker, type WorkerProcess } from '../../scripts/local-stack/worker.ts';
import { download, waitForEnd } from './helpers.ts';

const PHOTOS = path.resolve(import.meta.dirname, '../../../shared/data/photos');
const BUCKET = 'diffae-e2e';
/** The store lives under a key prefix, so every key the edge and the worker agree on is prefixed. */
const PREFIX = 'stage/';
const QUEUE = 'diffae-jobs';
/** The queue's redrive maxReceiveCount, and the worker's DIFFAE_MAX_RECEIVES (they must agree). */
const MAX_RECEIVES = 3;
const TENANT = 'e2e';

interface Worker {
  process: WorkerProcess;
  lines: string[];
}

/** Polls `fn` until it holds; the timeout error carries the workers' last log lines. */
const until = (what: string, fn: () => Promise<boolean> | boolean, logs: () => string[], ms = 90_000) =>
  poll(what, fn, { ms, everyMs: 50, detail: () => `worker log tail:\n${logs().slice(-30).join('\n')}` });

const logged = (lines: string[], msg: string, jobId?: string) =>
  lines.filter(
    (l) => l.includes(`"msg":"${msg}"`) && (jobId === undefined || l.includes(`"jobId":"${jobId}"`)),
  );

/** `aws s3 sync <bundle>/ s3://bucket/<prefix>models/<id>/<version>/`: every file of the folder. */
async function syncBundle(bucket: ObjectStore, dir: string, prefix: string): Promise<Manifest> {
  const manifest = JSON.parse(await readFile(path.join(dir, 'manifest.json'), 'utf8')) as Manifest;
  const target = `${prefix}${keys.bundlePrefix(manifest.id, manifest.version)}`;
  for (const name of await readdir(dir))
    await bucket.put(`${target}${name}`, await readFile(path.join(dir, name)));
  return manifest;
}

describe('AWS stack end to end (edge + worker processes over S3 and SQS)', () => {
  let dir: string;
  let fauxqs: Fauxqs;
  /** The operator's view: the bucket from its root, through the test's own client. */
  let bucket: S3ObjectStore;
  let store: ObjectStore;
  let queue: JobQueue;
  let edge: EdgeServer;
  let client: DiffaeClient;
  let manifest: Manifest;
  let upload: string;
  const workers: Worker[] = [];
  const allLines = () => workers.flatMap((w) => w.lines);

  function spawnWorker(): Worker {
    const lines: string[] = [];
    const proc = startWorker(
      {
        DIFFAE_STORAGE: `s3://${BUCKET}/${PREFIX}?endpoint=${fauxqs.endpoint}&region=${TEST_REGION}`,
        DIFFAE_QUEUE: `sqs://${QUEUE}?endpoint=${fauxqs.endpoint}&region=${TEST_REGION}`,
        DIFFAE_MODEL: manifest.id,
        DIFFAE_CACHE_DIR: path.join(dir, 'worker-cache'),
        DIFFAE_EXECUTION_PROVIDERS: 'cpu',
        DIFFAE_INTRA_OP_THREADS: '1',
        DIFFAE_VISIBILITY_TIMEOUT: '3',
        DIFFAE_MAX_RECEIVES: String(MAX_RECEIVES),
        DIFFAE_RETRY_BASE_S: '0',
        DIFFAE_POLL_WAIT_S: '1',
        DIFFAE_PROGRESS_INTERVAL_MS: '0',
        DIFFAE_SHUTDOWN_GRACE_S: '5',
        AWS_ACCESS_KEY_ID: TEST_CREDENTIALS.accessKeyId,
        AWS_SECRET_ACCESS_KEY: TEST_CREDENTIALS.secretAccessKey,
        AWS_REGION: TEST_REGION,
        AWS_EC2_METADATA_DISABLED: 'true',
      },
      (line) => lines.push(line),
    );
    const w = { process: proc, lines };
    workers.push(w);
    return w;
  }

  const started = (w: Worker) =>
    until('the worker to start', () => logged(w.lines, 'worker started').length > 0, allLines);

  beforeAll(async () => {
    dir = await mkdtemp(path.join(os.tmpdir(), 'diffae-aws-e2e-'));
    fauxqs = await startFauxqs();
    await fauxqs.createBucket(BUCKET);
    const { queueUrl } = await fauxqs.createQueuePair(QUEUE, {
      visibilityTimeout: 30,
      maxReceiveCount: MAX_RECEIVES,
    });
    // 5 MiB parts: latent.onnx (5.3 MB) goes up in two, like the AWS CLI's multipart for large files.
    bucket = new S3ObjectStore({ bucket: BUCKET, client: fauxqs.s3, multipartThreshold: 5 * 1024 * 1024 });
    manifest = await syncBundle(bucket, DEFAULT_BUNDLE_DIR, PREFIX);

    // The worker loads the model (from the bucket) while the edge starts.
    spawnWorker();

    const endpointParams = `endpoint=${fauxqs.endpoint}&region=${TEST_REGION}`;
    store = await openStore(`s3://${BUCKET}/${PREFIX}?${endpointParams}`, { credentials: TEST_CREDENTIALS });
    // The edge takes the queue URL form, the worker the sqs://name form.
    queue = await openQueue(`${queueUrl}?${endpointParams}`, { credentials: TEST_CREDENTIALS });
    // Like the Lambda edge: the bundle is copied from the store, then served from the local copy.
    const edgeBundle = await fetchBundle(store, manifest.id, path.join(dir, 'edge-models'));
    const key = await createApiKey('secret', TENANT);
    edge = await startEdgeServer({
      store,
      queue,
      bundleDirs: [edgeBundle],
      apiKeys: [key.record],
      logger: { info() {}, warn() {}, error() {} },
    });
    client = createClient({ baseUrl: edge.url, apiKey: key.key });
    const bytes = new Uint8Array(await readFile(path.join(PHOTOS, 'imgs_align_sandy.png')));
    // Presigned PUT straight to S3.
    upload = await client.uploadLarge(bytes, 'image/png');
    await started(workers[0]);
  }, 240_000);

  afterAll(async () => {
    await Promise.all(workers.map((w) => w.process.stop()));
    await edge?.close();
    await Promise.allSettled([store?.close(), queue?.close(), bucket?.close()]);
    await fauxqs?.close();
    if (dir) await rm(dir, { recursive: true, force: true });
  });

  it('reconstructs and manipulates an upload; PNGs through presigned S3 links; inversion cached in S3', async () => {
    const reconstruct = await client.submitJob({
      kind: 'reconstruct',
      input: { image: upload },
      inversionSteps: 10,
      renderSteps: 10,
    });
    const first = await waitForEnd(client, reconstruct.id);
    expect(first.ends).toEqual([{ state: 'succeeded' }]);
    expect(first.status).toMatchObject({
      state: 'succeeded',
      model: { id: manifest.id, version: manifest.version },
      attempts: 1,
    });
    expect(Object.keys(first.status.stageMs)).toEqual(expect.arrayContaining(['encode', 'inversion']));

    const result = await client.getJobResult(reconstruct.id);
    const byName = Object.fromEntries(result.outputs.map((o) => [o.name, o.url]));
    expect(Object.keys(byName).sort()).toEqual(['image.png', 'xT.npy', 'z.npy']);
    expect(byName['image.png'].startsWith(`${fauxqs.endpoint}/${BUCKET}/${PREFIX}results/`)).toBe(true);
    const png = decodeImage(await download(byName['image.png']));
    expect([png.width, png.height]).toEqual([manifest.imageSize, manifest.imageSize]);

    // The inversion cache entry, seen from the bucket root: z.npy and xT.npy under k10.
    const cachePrefix = `${PREFIX}cache/${manifest.id}/${manifest.version}/`;
    const cached = (await bucket.list(cachePrefix)).keys.map((k) => k.slice(cachePrefix.length));
    expect(cached).toHaveLength(2);
    expect(cached.map((k) => k.replace(/^[0-9a-f]{64}\//, '')).sort()).toEqual(['k10/xT.npy', 'k10/z.npy']);

    const manipulate = await client.submitJob({
      kind: 'manipulate',
      input: { image: upload },
      edits: [{ attribute: manifest.attributes[0], amplitude: 0.5 }],
      inversionSteps: 10,
      renderSteps: 10,
    });
    const second = await waitForEnd(client, manipulate.id);
    expect(second.status.state).toBe('succeeded');
    // A cache hit: no encoder run and no DDIM inversion (the `inversion` stage is only the lookup).
    expect(second.status.stageMs.encode).toBeUndefined();
    expect(logged(allLines(), 'inversion cache hit', manipulate.id)).toHaveLength(1);
    const edited = await client.getJobResult(manipulate.id);
    const editedUrl = edited.outputs.find((o) => o.name === 'image.png')?.url ?? '';
    const editedPng = decodeImage(await download(editedUrl));
    expect([editedPng.width, editedPng.height]).toEqual([manifest.imageSize, manifest.imageSize]);
  }, 180_000);

  it('kill -9 mid-job: a new worker finishes it exactly once and the message leaves the queue', async () => {
    const spec: JobSpec = {
      kind: 'reconstruct',
      input: { image: upload },
      inversionSteps: 100,
      renderSteps: 100,
    };
    const { id } = await client.submitJob(spec);
    await until('the job to be running', async () => (await client.getJob(id)).state === 'running', allLines);
    // Mid-job: some DDIM steps done, many to go.
    await until('progress', async () => (await store.get(keys.progress(id))) !== null, allLines);
    const victim = workers[0];
    victim.process.child.kill('SIGKILL');
    await victim.process.exited;
    expect((await client.getJob(id)).state).toBe('running');

    const next = spawnWorker();
    const { status, ends } = await waitForEnd(client, id);
    expect(ends).toEqual([{ state: 'succeeded' }]);
    expect(status).toMatchObject({ state: 'succeeded', attempts: 2 });
    expect(logged(victim.lines, 'job succeeded', id)).toHaveLength(0);
    expect(logged(next.lines, 'job succeeded', id)).toHaveLength(1);
    expect(logged(allLines(), 'job failed', id)).toHaveLength(0);
    // The heartbeat kept the new delivery hidden while it ran (no second copy reached the worker).
    expect(logged(next.lines, 'duplicate delivery of a running job', id)).toHaveLength(0);
    const png = status.outputs.find((o) => o.name === 'image.png');
    if (!png) throw new Error('no image.png among the outputs');
    expect((await store.head(png.key))?.bytes).toBe(png.bytes);
    await until(
      'the queue to empty',
      async () => {
        const s = await queue.stats();
        return s.visible === 0 && s.inFlight === 0;
      },
      allLines,
    );
  }, 180_000);

  it('poison messages: invalid ones and missing inputs fail at once; a persistent failure ends in the DLQ', async () => {
    const worker = workers.at(-1) as Worker;
    await started(worker);
    const jobId = () => `poison_${randomUUID().replace(/-/g, '').slice(0, 16)}`;
    const messageOf = (id: string, spec: unknown) =>
      JSON.stringify({ jobId: id, tenant: TENANT, spec, submittedAt: new Date().toISOString() });

    // A partly synced bundle: its manifest is in the bucket, its files are not.
    const partial = { ...manifest, version: '0.0.1-partial' };
    await bucket.put(
      `${PREFIX}${keys.bundlePrefix(partial.id, partial.version)}manifest.json`,
      JSON.stringify(partial),
    );

    const invalid = jobId();
    const missing = jobId();
    const unloadable = jobId();
    await queue.send('{"jobId": "not json');
    await queue.send(
      messageOf(invalid, { kind: 'reconstruct', input: { image: upload }, inversionSteps: 37 }),
    );
    await queue.send(
      messageOf(missing, {
        kind: 'reconstruct',
        input: { image: `uploads/${TENANT}/img_never_uploaded.png` },
        inversionSteps: 2,
        renderSteps: 2,
      }),
    );
    await queue.send(
      messageOf(unloadable, {
        kind: 'reconstruct',
        model: `${partial.id}@${partial.version}`,
        input: { image: upload },
        inversionSteps: 2,
        renderSteps: 2,
      }),
    );

    const dlq = await queue.deadLetterQueue();
    expect(dlq).not.toBeNull();
    await until(
      'the unloadable job in the dead-letter queue, the queue empty',
      async () => {
        const [q, d] = await Promise.all([queue.stats(), dlq?.stats()]);
        return q.visible === 0 && q.inFlight === 0 && d?.visible === 1;
      },
      () => worker.lines,
    );

    expect(await readStatus(store, invalid)).toMatchObject({
      state: 'failed',
      error: { code: 'invalid_job', message: expect.stringContaining('inversionSteps') },
      attempts: 1,
    });
    expect(await readStatus(store, missing)).toMatchObject({
      state: 'failed',
      error: { code: 'missing_input', message: expect.stringContaining('img_never_uploaded.png') },
      attempts: 1,
    });
    expect(await readStatus(store, unloadable)).toMatchObject({
      state: 'failed',
      error: {
        code: 'internal_error',
        message: expect.stringMatching(new RegExp(`gave up after ${MAX_RECEIVES} attempts: .*missing`)),
      },
      attempts: MAX_RECEIVES,
    });
    expect(logged(worker.lines, 'invalid job message; dropping it')).toHaveLength(2);

    const dead = (await dlq?.receive({ max: 10, waitSeconds: 1, visibilityTimeout: 30 })) ?? [];
    expect(dead.map((m) => JSON.parse(m.body).jobId)).toEqual([unloadable]);
    await dlq?.close();
  }, 180_000);
});
