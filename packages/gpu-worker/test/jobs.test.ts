/** Job handlers end to end: the tiny bundle on onnxruntime-node (CPU), a real filesystem store. */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { decodeImage } from '../../shared/src/image/decode.ts';
import { type JobSpec, keys } from '../../shared/src/jobs.ts';
import { readNpyTensor } from '../../shared/src/npy.ts';
import { processJob } from '../src/process-job.ts';
import { readStatus } from '../src/status.ts';
import { HookedStore } from './helpers/stores.ts';
import { createWorld, message, type World } from './helpers/world.ts';

let world: World;
let photo: string;
let photoB: string;

beforeAll(async () => {
  world = await createWorld();
  photo = await world.upload('sandy.png', 'imgs_align_sandy.png');
  photoB = await world.upload('b.png', 'imgs_interpolate_1_b.png');
});
afterAll(() => world?.close());

const never = new AbortController().signal;

async function run(spec: JobSpec, jobId?: string) {
  const msg = message(spec, jobId);
  const outcome = await processJob(
    { message: msg, receiveCount: 1, lastAttempt: false },
    world.services(),
    never,
  );
  const status = await readStatus(world.store, msg.jobId);
  if (status === null) throw new Error('no status written');
  return { outcome, status, jobId: msg.jobId };
}

async function output(jobId: string, name: string): Promise<Uint8Array> {
  const bytes = await world.store.get(keys.output(jobId, name));
  if (bytes === null) throw new Error(`missing output ${name}`);
  return bytes;
}

function epsRuns(): number {
  return world.model.batcher.stats().runs.eps.rows;
}

describe('job handlers', () => {
  let reconstructed: string;

  it('reconstruct: image → z, xT and a rendered image, with stage timings', async () => {
    const { outcome, status, jobId } = await run({
      kind: 'reconstruct',
      input: { image: photo },
      inversionSteps: 3,
      renderSteps: 2,
    });
    expect(outcome).toEqual({ action: 'delete', state: 'succeeded' });
    expect(status.state).toBe('succeeded');
    expect(status.model).toEqual({ id: 'parity-tiny', version: '0.0.1' });
    expect(status.outputs.map((o) => o.name)).toEqual(['image.png', 'z.npy', 'xT.npy']);
    for (const stage of ['download', 'encode', 'inversion', 'render', 'upload']) {
      expect(status.stageMs[stage]).toBeGreaterThan(0);
    }
    const img = decodeImage(await output(jobId, 'image.png'));
    expect([img.width, img.height]).toEqual([32, 32]);
    expect(readNpyTensor(await output(jobId, 'z.npy')).shape).toEqual([1, 32]);
    expect(readNpyTensor(await output(jobId, 'xT.npy')).shape).toEqual([1, 3, 32, 32]);
    reconstructed = jobId;
  });

  it('reconstruct from latents of an earlier job reproduces its image', async () => {
    const { status, jobId } = await run({
      kind: 'reconstruct',
      input: {
        latents: { z: keys.output(reconstructed, 'z.npy'), xT: keys.output(reconstructed, 'xT.npy') },
      },
      renderSteps: 2,
    });
    expect(status.state).toBe('succeeded');
    expect(await output(jobId, 'image.png')).toEqual(await output(reconstructed, 'image.png'));
  });

  it('manipulate: several attributes at once; a repeated edit of the same image skips inversion', async () => {
    const image = await world.upload('fresh.png', 'imgs_interpolate_1_a.png');
    const spec = (amp: number): JobSpec => ({
      kind: 'manipulate',
      input: { image },
      edits: [
        { attribute: 'Smiling', amplitude: amp },
        { attribute: 'Beard', amplitude: 0.2 },
      ],
      inversionSteps: 5,
      renderSteps: 2,
    });
    const before = epsRuns();
    const encodesBefore = world.model.batcher.stats().runs.encode.rows;
    const first = await run(spec(0.3));
    const firstEps = epsRuns() - before;
    expect(first.status.state).toBe('succeeded');
    expect(firstEps).toBe(5 + 2);

    const mid = epsRuns();
    const second = await run(spec(-0.3));
    expect(second.status.state).toBe('succeeded');
    expect(epsRuns() - mid).toBe(2); // render only: 0 inversion eps calls
    expect(world.model.batcher.stats().runs.encode.rows - encodesBefore).toBe(1);
    expect(second.status.stageMs.encode).toBeUndefined();
    expect(await output(second.jobId, 'xT.npy')).toEqual(await output(first.jobId, 'xT.npy'));
    expect(await output(second.jobId, 'image.png')).not.toEqual(await output(first.jobId, 'image.png'));
  });

  it('manipulate with an unknown attribute fails as an input error', async () => {
    const { outcome, status } = await run({
      kind: 'manipulate',
      input: { image: photo },
      edits: [{ attribute: 'Sparkles', amplitude: 0.3 }],
      inversionSteps: 2,
      renderSteps: 2,
    });
    expect(outcome).toEqual({ action: 'delete', state: 'failed' });
    expect(status.error?.code).toBe('unknown_attribute');
    expect(status.error?.message).toMatch(/Unknown attribute "Sparkles"/);
  });

  it('interpolate: n frames and an animated GIF', async () => {
    const { outcome, status, jobId } = await run({
      kind: 'interpolate',
      a: { image: photo },
      b: { image: photoB },
      frames: 3,
      animated: true,
      inversionSteps: 2,
      renderSteps: 2,
    });
    expect(outcome).toEqual({ action: 'delete', state: 'succeeded' });
    expect(status.state).toBe('succeeded');
    expect(status.outputs.map((o) => o.name)).toEqual([
      'frame_00.png',
      'frame_01.png',
      'frame_02.png',
      'animation.gif',
    ]);
    const gif = await output(jobId, 'animation.gif');
    expect(new TextDecoder().decode(gif.subarray(0, 6))).toBe('GIF89a');
  });

  it('vary: n variations and their mean; the same job id reproduces the same bytes', async () => {
    const spec: JobSpec = { kind: 'vary', input: { image: photo }, n: 2, renderSteps: 2 };
    const a = await run(spec, 'vary-job-0001');
    expect(a.status.outputs.map((o) => o.name)).toEqual(['variation_00.png', 'variation_01.png', 'mean.png']);
    const first = await output(a.jobId, 'variation_01.png');
    await world.store.delete(keys.status(a.jobId)); // as if the worker died before finishing
    await run(spec, 'vary-job-0001');
    expect(await output(a.jobId, 'variation_01.png')).toEqual(first);
    expect(await output(a.jobId, 'variation_00.png')).not.toEqual(first);
  });

  it('sample: n images from a seed, deterministic', async () => {
    const spec: JobSpec = { kind: 'sample', n: 2, seed: 7, renderSteps: 2, latentSteps: 2 };
    const a = await run(spec);
    const b = await run(spec);
    expect(a.status.state).toBe('succeeded');
    expect(a.status.outputs.map((o) => o.name)).toEqual([
      'sample_00.png',
      'sample_01.png',
      'z.npy',
      'xT.npy',
    ]);
    expect(await output(b.jobId, 'sample_00.png')).toEqual(await output(a.jobId, 'sample_00.png'));
  });

  it('direction: examples → saved direction, usable as direction:<name> in manipulate', async () => {
    const made = await run({
      kind: 'direction',
      name: 'sandiness',
      positives: [{ image: photo }],
      negatives: [{ image: photoB }],
    });
    expect(made.status.state).toBe('succeeded');
    const saved = JSON.parse(
      new TextDecoder().decode(
        (await world.store.get('directions/t1/parity-tiny/sandiness.json')) as Uint8Array,
      ),
    );
    expect(saved.direction).toHaveLength(32);
    const norm = Math.hypot(...saved.direction);
    expect(norm).toBeCloseTo(1, 5);

    const used = await run({
      kind: 'manipulate',
      input: { image: photoB },
      edits: [
        { attribute: 'direction:sandiness', amplitude: 0.5 },
        { attribute: 'Smiling', amplitude: 0.1 },
      ],
      inversionSteps: 2,
      renderSteps: 2,
    });
    expect(used.status.state).toBe('succeeded');

    const missing = await run({
      kind: 'manipulate',
      input: { image: photoB },
      edits: [{ attribute: 'direction:nope', amplitude: 0.5 }],
      inversionSteps: 2,
      renderSteps: 2,
    });
    expect(missing.status.error?.code).toBe('unknown_direction');
  });

  it('input errors: a missing upload and an undecodable image fail with codes, not retries', async () => {
    const missing = await run({
      kind: 'reconstruct',
      input: { image: 'uploads/t1/none.png' },
      inversionSteps: 2,
      renderSteps: 2,
    });
    expect(missing.outcome).toEqual({ action: 'delete', state: 'failed' });
    expect(missing.status.error?.code).toBe('missing_input');
    await world.store.put('uploads/t1/junk.png', 'this is not an image');
    const junk = await run({
      kind: 'reconstruct',
      input: { image: 'uploads/t1/junk.png' },
      inversionSteps: 2,
      renderSteps: 2,
    });
    expect(junk.status.error?.code).toBe('bad_image');
  });

  it('cancellation: a cancel marker written mid-job ends it as cancelled between steps', async () => {
    const msg = message({
      kind: 'reconstruct',
      input: { image: photo },
      inversionSteps: 30,
      renderSteps: 30,
    });
    const services = world.services();
    let marked = false;
    // The first progress document is the edge's cue: it writes the cancel marker.
    const store = new HookedStore(world.store, async (key) => {
      if (key === keys.progress(msg.jobId) && !marked) {
        marked = true;
        await world.store.put(keys.cancel(msg.jobId), '');
      }
    });
    const outcome = await processJob(
      { message: msg, receiveCount: 1, lastAttempt: false },
      {
        ...services,
        store,
      },
      never,
    );
    expect(outcome).toEqual({ action: 'delete', state: 'cancelled' });
    const status = await readStatus(world.store, msg.jobId);
    expect(status?.state).toBe('cancelled');
    expect(status?.progress.done).toBeLessThan(30);
  });
});
