// End to end through the product's front door: the typed client → the edge (Node adapter) → the SQLite
// queue → a real worker process (onnxruntime-node) → the filesystem store → presigned result links.
import { mkdtemp, readFile, rm } from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { ApiError, createClient, type DiffaeClient } from '../../packages/edge/src/client.ts';
import { decodeImage } from '../../packages/shared/src/image/index.ts';
import { readNpy } from '../../packages/shared/src/npy.ts';
import { type LocalStack, startLocalStack } from '../../scripts/local-stack/index.ts';
import { download, waitForEnd } from './helpers.ts';

const PHOTOS = path.resolve(import.meta.dirname, '../../../shared/data/photos');

describe('local stack end to end (edge + worker process + queue + storage)', () => {
  let dir: string;
  let stack: LocalStack;
  let client: DiffaeClient;
  let imageSize: number;
  let attribute: string;
  let upload: string;

  beforeAll(async () => {
    dir = await mkdtemp(path.join(os.tmpdir(), 'diffae-e2e-'));
    stack = await startLocalStack({ dir, port: 0, buildWidget: false, log: () => {} });
    client = createClient({ baseUrl: stack.url, apiKey: stack.secretKey });
    const { models } = (await client.listModels()) as { models: { id: string }[] };
    const model = (await client.getModel(models[0].id)) as { imageSize: number; attributes: string[] };
    imageSize = model.imageSize;
    attribute = model.attributes[0];
    const bytes = new Uint8Array(await readFile(path.join(PHOTOS, 'imgs_align_sandy.png')));
    upload = (await client.uploadDirect(bytes, 'image/png')).key;
  }, 240_000);

  afterAll(async () => {
    await stack?.close();
    if (dir) await rm(dir, { recursive: true, force: true });
  });

  it('runs a manipulate job to the end and serves its PNG and latents', async () => {
    const accepted = await client.submitJob({
      kind: 'manipulate',
      input: { image: upload },
      edits: [{ attribute, amplitude: 0.5 }],
      inversionSteps: 5,
      renderSteps: 5,
    });
    const { status } = await waitForEnd(client, accepted.id);
    expect(status.state).toBe('succeeded');
    const result = await client.getJobResult(accepted.id);
    const byName = Object.fromEntries(result.outputs.map((o) => [o.name, o.url]));
    const png = decodeImage(await download(byName['image.png']));
    expect([png.width, png.height]).toEqual([imageSize, imageSize]);
    const z = readNpy(await download(byName['z.npy']));
    expect(z.shape[0]).toBe(1);
  }, 240_000);

  it('submits with an Idempotency-Key once, and samples a batch of images', async () => {
    const spec = { kind: 'sample' as const, n: 2, seed: 3, renderSteps: 3, latentSteps: 3 };
    const first = await client.submitJob(spec, { idempotencyKey: 'e2e-sample-1' });
    const again = await client.submitJob(spec, { idempotencyKey: 'e2e-sample-1' });
    expect(again.id).toBe(first.id);
    const { status } = await waitForEnd(client, first.id);
    expect(status.state).toBe('succeeded');
    expect(status.outputs.filter((o) => o.contentType === 'image/png').length).toBeGreaterThanOrEqual(2);
  }, 240_000);

  it('rejects bad submissions with a 4xx and a reason before anything is queued', async () => {
    const err = await client
      .submitJob({
        kind: 'manipulate',
        input: { image: upload },
        edits: [{ attribute: 'Not_An_Attribute', amplitude: 1 }],
      })
      .catch((e: unknown) => e);
    expect(err).toBeInstanceOf(ApiError);
    expect((err as ApiError).status).toBeGreaterThanOrEqual(400);
    expect((err as ApiError).status).toBeLessThan(500);
    const badSteps = await client
      .submitJob({ kind: 'reconstruct', input: { image: upload }, inversionSteps: 37 })
      .catch((e: unknown) => e);
    expect((badSteps as ApiError).status).toBe(400);
    expect((badSteps as ApiError).message).toMatch(/37|step/);
  });
});
