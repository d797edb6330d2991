import { describe, expect, it } from 'vitest';
import { manipulateLatent, parseClassifierJson } from '../src/classifier.ts';
import { ddimStep, reverseDdimStep } from '../src/ddim.ts';
import { interpolationAlphas, slerp } from '../src/interpolation.ts';
import {
  batchMean,
  encode,
  encodeStochastic,
  IMAGE_DIFFUSION,
  interpolate,
  LATENT_DIFFUSION,
  manipulate,
  reconstruct,
  render,
  sample,
  stepCoefficients,
  varyStochastic,
} from '../src/pipelines.ts';
import { NormalStream, normalNoise } from '../src/prng.ts';
import type { ProgressEvent } from '../src/sampler.ts';
import { InvalidStepCountError } from '../src/schedule.ts';
import { sliceBatch, type Tensor, tensor } from '../src/tensor.ts';
import { FakeBackend } from './fake-backend.ts';

const S = 4;
const Z = FakeBackend.Z;

function images(n: number, seed: number): Tensor {
  const t = normalNoise(seed, [n, 3, S, S]);
  return tensor(
    t.shape,
    t.data.map((v) => Math.tanh(v)),
  );
}

function latents(n: number, seed: number): Tensor {
  return normalNoise(seed, [n, Z]);
}

/** Independent single-row loop: the fake eps formula applied directly with the DDIM step functions. */
function manualLoop(
  x: Tensor,
  z: Float32Array,
  K: number,
  direction: 'generate' | 'invert',
  clip: boolean,
  latent = false,
) {
  const spec = latent ? LATENT_DIFFUSION : IMAGE_DIFFUSION;
  const coeffs = stepCoefficients(spec, K);
  const order = direction === 'generate' ? [...coeffs].reverse() : coeffs;
  let cur: Float32Array = x.data.slice();
  for (const c of order) {
    const eps = latent
      ? cur.map((v) => 0.3 * v + 0.0001 * c.t)
      : cur.map((v, i) => 0.5 * v + 0.1 * z[i % z.length] + 0.0005 * c.t);
    cur = direction === 'generate' ? ddimStep(cur, eps, c, clip) : reverseDdimStep(cur, eps, c, clip);
  }
  return cur;
}

describe('render and encodeStochastic', () => {
  it('render calls the network with τ_j descending, one t per row, and returns (x+1)/2', async () => {
    const be = new FakeBackend();
    const xT = normalNoise(1, [2, 3, S, S]);
    const z = latents(2, 2);
    const img = await render(be, xT, z, { steps: 10 });
    expect(be.epsCalls.map((c) => c.t)).toEqual(
      [900, 800, 700, 600, 500, 400, 300, 200, 100, 0].map((t) => [t, t]),
    );
    const row0 = manualLoop(sliceBatch(xT, 0, 1), z.data.subarray(0, Z), 10, 'generate', true);
    expect(Array.from(img.data.subarray(0, 48))).toEqual(Array.from(row0, (v) => Math.fround(v + 1) / 2));
    expect(img.data.every((v) => v >= 0 && v <= 1)).toBe(true);
  });

  it('encodeStochastic walks τ_j ascending from t = 0 (clip on)', async () => {
    const be = new FakeBackend();
    const x = images(1, 3);
    const z = latents(1, 4);
    const xT = await encodeStochastic(be, x, z, { steps: 5 });
    expect(be.epsCalls.map((c) => c.t[0])).toEqual([0, 200, 400, 600, 800]);
    expect(Array.from(xT.data)).toEqual(Array.from(manualLoop(x, z.data, 5, 'invert', true)));
  });

  it('splits batches by maxBatch and gives every chunk its own rows of z', async () => {
    const be = new FakeBackend();
    const xT = normalNoise(5, [5, 3, S, S]);
    const z = latents(5, 6);
    const batched = await render(be, xT, z, { steps: 4, maxBatch: 2 });
    expect(be.epsCalls.map((c) => c.rows)).toEqual(Array.from({ length: 4 }, () => [2, 2, 1]).flat());
    expect(be.epsCalls[2].z).toEqual(Array.from(z.data.subarray(4 * Z)));
    const whole = await render(new FakeBackend(), xT, z, { steps: 4 });
    expect(batched.data).toEqual(whole.data);
  });

  it('takes the default batch limit from backend.info.maxBatch', async () => {
    const be = new FakeBackend({ maxBatch: 3 });
    await render(be, normalNoise(1, [4, 3, S, S]), latents(4, 1), { steps: 2 });
    expect(be.epsCalls.map((c) => c.rows)).toEqual([3, 1, 3, 1]);
  });

  it('reports progress once per step, K times', async () => {
    const events: ProgressEvent[] = [];
    await render(new FakeBackend(), normalNoise(1, [3, 3, S, S]), latents(3, 1), {
      steps: 20,
      maxBatch: 2,
      onProgress: (p) => events.push(p),
    });
    expect(events).toEqual(
      Array.from({ length: 20 }, (_, i) => ({ stage: 'render', step: i + 1, total: 20 })),
    );
  });

  it('stops between steps when the signal aborts, with an AbortError', async () => {
    const be = new FakeBackend();
    const controller = new AbortController();
    const run = render(be, normalNoise(1, [3, 3, S, S]), latents(3, 1), {
      steps: 10,
      maxBatch: 2,
      signal: controller.signal,
      onProgress: (p) => {
        if (p.step === 3) controller.abort();
      },
    });
    await expect(run).rejects.toMatchObject({ name: 'AbortError' });
    expect(be.epsCalls.length).toBe(3 * 2);
  });

  it('validates step counts before calling the network', async () => {
    const be = new FakeBackend();
    await expect(render(be, normalNoise(1, [1, 3, S, S]), latents(1, 1), { steps: 37 })).rejects.toThrow(
      InvalidStepCountError,
    );
    await expect(reconstruct(be, images(1, 1), { inversionSteps: 10, renderSteps: 45 })).rejects.toThrow(
      /45/,
    );
    expect(be.epsCalls.length + be.encodeCalls.length).toBe(0);
  });

  it('rejects mismatched shapes and bad network output clearly', async () => {
    const be = new FakeBackend();
    await expect(render(be, normalNoise(1, [2, 3, S, S]), latents(3, 1), { steps: 2 })).rejects.toThrow(
      /z must have shape \[2, \*\]/,
    );
    await expect(render(be, tensor([1, 3, 4, 5]), latents(1, 1), { steps: 2 })).rejects.toThrow(
      /\[N, 3, S, S\]/,
    );
    const broken = new FakeBackend();
    broken.eps = async (x) => tensor([x.shape[0], 3, 2, 2]);
    await expect(render(broken, normalNoise(1, [1, 3, S, S]), latents(1, 1), { steps: 2 })).rejects.toThrow(
      /eps from the network at t=500.*must have shape \[1, 3, 4, 4\]/,
    );
    const nan = new FakeBackend();
    nan.eps = async (x) => tensor(x.shape, new Float32Array(x.data.length).fill(Number.NaN));
    await expect(render(nan, normalNoise(1, [1, 3, S, S]), latents(1, 1), { steps: 2 })).rejects.toThrow(
      /non-finite/,
    );
  });
});

describe('encode and reconstruct', () => {
  it('encode batches the encoder and concatenates z', async () => {
    const be = new FakeBackend();
    const x = images(5, 9);
    const z = await encode(be, x, { maxBatch: 2 });
    expect(be.encodeCalls).toEqual([2, 2, 1]);
    expect(z.shape).toEqual([5, Z]);
    expect(z.data).toEqual((await encode(new FakeBackend(), x)).data);
    await expect(encode(be, x, { lite: true })).rejects.toThrow(/no lite encoder/);
  });

  it('reconstruct = encode → encodeStochastic → render', async () => {
    const x = images(2, 11);
    const be = new FakeBackend();
    const stages: string[] = [];
    const out = await reconstruct(be, x, {
      inversionSteps: 5,
      renderSteps: 4,
      onProgress: (p) => stages.push(p.stage),
    });
    const z = await encode(new FakeBackend(), x);
    const xT = await encodeStochastic(new FakeBackend(), x, z, { steps: 5 });
    expect(out.z.data).toEqual(z.data);
    expect(out.xT.data).toEqual(xT.data);
    expect(out.image.data).toEqual((await render(new FakeBackend(), xT, z, { steps: 4 })).data);
    expect([...new Set(stages)]).toEqual(['encode', 'invert', 'render']);
  });
});

describe('manipulate', () => {
  const cls = parseClassifierJson({
    attributes: ['Smiling', 'No_Beard'],
    weight: [
      [1, 0, 0],
      [0, 1, 1],
    ],
    bias: [0, 0],
    zMean: [0.1, 0.2, 0.3],
    zStd: [1, 2, 0.5],
  });

  it('renders the unchanged x_T with the edited z', async () => {
    const z = latents(2, 12);
    const xT = normalNoise(13, [2, 3, S, S]);
    const out = await manipulate(
      new FakeBackend(),
      { z, xT },
      cls,
      { Smiling: 0.3, Beard: 0.2 },
      { renderSteps: 5 },
    );
    const expectedZ = manipulateLatent(z, cls, { Smiling: 0.3, Beard: 0.2 });
    expect(out.z.data).toEqual(expectedZ.data);
    expect(out.sourceZ).toBe(z);
    expect(out.image.data).toEqual((await render(new FakeBackend(), xT, expectedZ, { steps: 5 })).data);
  });

  it('from an image it inverts first, and needs inversionSteps', async () => {
    const x = images(1, 14);
    await expect(
      manipulate(new FakeBackend(), { x }, cls, { Smiling: 0.1 }, { renderSteps: 5 }),
    ).rejects.toThrow(/inversionSteps/);
    const be = new FakeBackend();
    const out = await manipulate(be, { x }, cls, { Smiling: 0.1 }, { renderSteps: 5, inversionSteps: 10 });
    expect(be.epsCalls.length).toBe(15);
    expect(out.xT.data).toEqual(
      (await encodeStochastic(new FakeBackend(), x, out.sourceZ, { steps: 10 })).data,
    );
  });
});

describe('interpolationAlphas', () => {
  it('equals numpy.linspace(0, 1, n, dtype=float32)', () => {
    expect(Array.from(interpolationAlphas(10))).toEqual([
      0.0, 0.1111111119389534, 0.2222222238779068, 0.3333333432674408, 0.4444444477558136, 0.5555555820465088,
      0.6666666865348816, 0.7777777910232544, 0.8888888955116272, 1.0,
    ]);
    expect(Array.from(interpolationAlphas(7))).toEqual([
      0.0, 0.1666666716337204, 0.3333333432674408, 0.5, 0.6666666865348816, 0.8333333134651184, 1.0,
    ]);
    expect(() => interpolationAlphas(0)).toThrow(/frames >= 1/);
  });
});

describe('slerp', () => {
  it('keeps the norm between orthogonal unit vectors and falls back to lerp for parallel ones', () => {
    const e0 = Float32Array.from([1, 0]);
    const e1 = Float32Array.from([0, 1]);
    const mid = slerp(e0, e1, 0.5);
    expect(mid[0]).toBeCloseTo(Math.SQRT1_2, 7);
    expect(mid[1]).toBeCloseTo(Math.SQRT1_2, 7);
    expect(Array.from(slerp(e0, Float32Array.from([2, 0]), 0.5))).toEqual([1.5, 0]);
  });
});

describe('interpolate', () => {
  const a = { z: latents(1, 20), xT: normalNoise(21, [1, 3, S, S]) };
  const b = { z: latents(1, 22), xT: normalNoise(23, [1, 3, S, S]) };

  it('endpoints equal the inputs exactly and α is a float32 linspace', async () => {
    const out = await interpolate(new FakeBackend(), a, b, 5, { renderSteps: 2 });
    expect(Array.from(out.alphas)).toEqual([0, 0.25, 0.5, 0.75, 1]);
    const row = 3 * S * S;
    expect(out.z.data.subarray(0, Z)).toEqual(a.z.data);
    expect(out.z.data.subarray(4 * Z)).toEqual(b.z.data);
    expect(out.xT.data.subarray(0, row)).toEqual(a.xT.data);
    expect(out.xT.data.subarray(4 * row)).toEqual(b.xT.data);
    expect(out.images.shape).toEqual([5, 3, S, S]);
  });

  it('x_T follows the slerp formula and z the lerp formula', async () => {
    const out = await interpolate(new FakeBackend(), a, b, [0.3], { renderSteps: 2 });
    const x0 = a.xT.data;
    const x1 = b.xT.data;
    let dot = 0;
    let n0 = 0;
    let n1 = 0;
    for (let i = 0; i < x0.length; i++) {
      dot += x0[i] * x1[i];
      n0 += x0[i] ** 2;
      n1 += x1[i] ** 2;
    }
    const theta = Math.acos(dot / Math.sqrt(n0 * n1));
    const al = Math.fround(0.3);
    for (let i = 0; i < x0.length; i++) {
      const expected = (Math.sin((1 - al) * theta) * x0[i] + Math.sin(al * theta) * x1[i]) / Math.sin(theta);
      expect(out.xT.data[i]).toBeCloseTo(expected, 6);
    }
    for (let i = 0; i < Z; i++)
      expect(out.z.data[i]).toBeCloseTo((1 - al) * a.z.data[i] + al * b.z.data[i], 6);
  });

  it('rejects codes with more than one row', async () => {
    await expect(
      interpolate(new FakeBackend(), { z: latents(2, 1), xT: normalNoise(1, [2, 3, S, S]) }, b, 3, {
        renderSteps: 2,
      }),
    ).rejects.toThrow(/a.z must have shape \[1, \*\]/);
  });
});

describe('varyStochastic', () => {
  it('seeded noise equals explicit normalNoise, and mean is the average image', async () => {
    const z = latents(1, 30);
    const seeded = await varyStochastic(new FakeBackend(), z, 3, { seed: 77, steps: 4, imageSize: S });
    const explicit = await varyStochastic(new FakeBackend(), z, 3, {
      noise: normalNoise(77, [3, 3, S, S]),
      steps: 4,
    });
    expect(seeded.images.data).toEqual(explicit.images.data);
    expect(seeded.xT.data).toEqual(normalNoise(77, [3, 3, S, S]).data);
    expect(seeded.mean.shape).toEqual([1, 3, S, S]);
    const i = 17;
    const row = 3 * S * S;
    const avg = (seeded.images.data[i] + seeded.images.data[row + i] + seeded.images.data[2 * row + i]) / 3;
    expect(seeded.mean.data[i]).toBeCloseTo(avg, 6);
    expect(batchMean(seeded.images).data).toEqual(seeded.mean.data);
  });

  it('needs imageSize with a seed and the right noise count', async () => {
    const z = latents(1, 30);
    await expect(varyStochastic(new FakeBackend(), z, 2, { seed: 1, steps: 4 })).rejects.toThrow(/imageSize/);
    await expect(
      varyStochastic(new FakeBackend(), z, 2, { noise: normalNoise(1, [3, 3, S, S]), steps: 4 }),
    ).rejects.toThrow(/noise must hold 2 images/);
  });
});

describe('sample', () => {
  const stats = { zMean: Float32Array.from([0.5, -0.5, 1]), zStd: Float32Array.from([2, 1, 0.5]) };

  it('draws image noise then latent noise from one seeded stream; explicit noise gives the same result', async () => {
    const be = new FakeBackend({ withLatent: true });
    const seeded = await sample(be, 2, stats, { seed: 5, steps: 4, latentSteps: 10, imageSize: S });
    const stream = new NormalStream(5);
    const xT = stream.tensor([2, 3, S, S]);
    const latentNoise = stream.tensor([2, Z]);
    const explicit = await sample(new FakeBackend({ withLatent: true }), 2, stats, {
      noise: { xT, latentNoise },
      steps: 4,
      latentSteps: 10,
    });
    expect(seeded.xT.data).toEqual(normalNoise(5, [2, 3, S, S]).data);
    expect(seeded.z.data).toEqual(explicit.z.data);
    expect(seeded.images.data).toEqual(explicit.images.data);
    expect(be.latentCalls.map((c) => c.t[0])).toEqual([900, 800, 700, 600, 500, 400, 300, 200, 100, 0]);
  });

  it('runs the latent DDIM without clipping, then de-normalises z = z_n·σ + μ', async () => {
    const latentNoise = tensor([1, Z], [3, -2.5, 0.7]);
    const xT = normalNoise(8, [1, 3, S, S]);
    const out = await sample(new FakeBackend({ withLatent: true }), 1, stats, {
      noise: { xT, latentNoise },
      steps: 2,
      latentSteps: 5,
    });
    const zn = manualLoop(latentNoise, new Float32Array(0), 5, 'generate', false, true);
    expect(Math.max(...Array.from(zn, Math.abs))).toBeGreaterThan(1);
    const expectedZ = Array.from(zn, (v, i) => Math.fround(Math.fround(v * stats.zStd[i]) + stats.zMean[i]));
    expect(Array.from(out.z.data)).toEqual(expectedZ);
    expect(out.images.data).toEqual((await render(new FakeBackend(), xT, out.z, { steps: 2 })).data);
  });

  it('needs a backend with a latent network', async () => {
    await expect(
      sample(new FakeBackend(), 1, stats, { seed: 1, steps: 2, latentSteps: 2, imageSize: S }),
    ).rejects.toThrow(/no latent network/);
  });
});
