/**
 * The DiffAE tasks as plain async functions over a backend (facts §3–§9). Every function takes a batch
 * of N rows, splits network calls into chunks of at most `maxBatch` rows, reports progress, honours an
 * AbortSignal between steps and accepts explicit noise wherever it would otherwise draw seeded noise.
 */
import type { DiffAEBackend } from './backend.ts';
import { type AttributeEdits, type Classifier, manipulateLatent } from './classifier.ts';
import { ddimCoefficients, type StepCoeff } from './ddim.ts';
import { angleBetween, interpolationAlphas, lerp, slerp } from './interpolation.ts';
import type { LatentStats } from './latent-stats.ts';
import { NormalStream } from './prng.ts';
import { mapBatches, type RunOptions, resolveMaxBatch, runDdim } from './sampler.ts';
import { assertValidStepCount, makeSchedule, respace, type Schedule, type ScheduleName } from './schedule.ts';
import { assertFinite, assertShape, batchSize, repeatBatch, rowSize, type Tensor } from './tensor.ts';

const f32 = Math.fround;

export interface DiffusionSpec {
  readonly schedule: ScheduleName;
  readonly T: number;
  readonly clip: boolean;
}

/** Every released image DPM: linear β, T = 1000, x0 clipped during sampling and inversion. */
export const IMAGE_DIFFUSION: DiffusionSpec = Object.freeze({ schedule: 'linear', T: 1000, clip: true });
/** Every released latent DPM: constant β = 0.008, T = 1000, no clipping. */
export const LATENT_DIFFUSION: DiffusionSpec = Object.freeze({
  schedule: 'const0.008',
  T: 1000,
  clip: false,
});

export type PipelineOptions = RunOptions;

export interface StepOptions extends PipelineOptions {
  /** DDIM step count K (must be a valid respacing, see VALID_STEP_COUNTS). */
  steps: number;
  /** Image diffusion; defaults to IMAGE_DIFFUSION. */
  diffusion?: DiffusionSpec;
}

const schedules = new Map<string, Schedule>();

function scheduleFor(spec: DiffusionSpec): Schedule {
  const key = `${spec.schedule}/${spec.T}`;
  let s = schedules.get(key);
  if (s === undefined) {
    s = makeSchedule(spec.schedule, spec.T);
    schedules.set(key, s);
  }
  return s;
}

/** Validates step counts before any network work starts, so a bad second count fails fast. */
function checkSteps(spec: DiffusionSpec | undefined, ...counts: (number | undefined)[]): void {
  for (const K of counts) if (K !== undefined) assertValidStepCount(K, (spec ?? IMAGE_DIFFUSION).T);
}

/** Float32 DDIM coefficients for K steps of a diffusion (throws InvalidStepCountError for bad K). */
export function stepCoefficients(spec: DiffusionSpec, K: number): StepCoeff[] {
  return ddimCoefficients(respace(scheduleFor(spec), K));
}

function assertImages(x: Tensor, name: string): number {
  if (x.shape.length !== 4 || x.shape[1] !== 3 || x.shape[2] !== x.shape[3] || x.shape[0] < 1) {
    throw new RangeError(`${name} must have shape [N, 3, S, S] with N >= 1, got [${x.shape.join(', ')}]`);
  }
  assertShape(x, x.shape, name);
  assertFinite(x, name);
  return x.shape[2];
}

function assertLatents(z: Tensor, rows: number | null, name: string): number {
  if (z.shape.length !== 2 || z.shape[0] < 1) {
    throw new RangeError(`${name} must have shape [N, Z] with N >= 1, got [${z.shape.join(', ')}]`);
  }
  assertShape(z, [rows, null], name);
  assertFinite(z, name);
  return z.shape[1];
}

function rowsOf(t: Tensor, start: number, end: number): Tensor {
  const row = rowSize(t);
  return { data: t.data.subarray(start * row, end * row), shape: [end - start, ...t.shape.slice(1)] };
}

/** (x + 1)/2 in float32, what the official render returns. */
export function toUnitRange(x: Tensor): Tensor {
  const data = new Float32Array(x.data.length);
  for (let i = 0; i < data.length; i++) data[i] = f32(x.data[i] + 1) / 2;
  return { data, shape: [...x.shape] };
}

export interface EncodeOptions extends PipelineOptions {
  /** Use the backend's lite encoder (approximate, for previews). */
  lite?: boolean;
}

/** x [N,3,S,S] in [−1, 1] → z [N,Z]. */
export async function encode(backend: DiffAEBackend, x: Tensor, opts: EncodeOptions = {}): Promise<Tensor> {
  assertImages(x, 'x');
  const run = opts.lite ? backend.liteEncode?.bind(backend) : backend.encode.bind(backend);
  if (run === undefined)
    throw new Error('This backend has no lite encoder (lite_encoder.onnx is not in the bundle)');
  const z = await mapBatches(x, resolveMaxBatch(backend, opts), 'encode', opts, run, 'z from the encoder');
  assertLatents(z, batchSize(x), 'z from the encoder');
  return z;
}

/** DDIM inversion x0 → x_T (facts §4, clip on), conditioned on z [N,Z]. */
export async function encodeStochastic(
  backend: DiffAEBackend,
  x: Tensor,
  z: Tensor,
  opts: StepOptions,
): Promise<Tensor> {
  assertImages(x, 'x');
  assertLatents(z, batchSize(x), 'z');
  const spec = opts.diffusion ?? IMAGE_DIFFUSION;
  return runDdim(
    {
      x,
      coeffs: stepCoefficients(spec, opts.steps),
      direction: 'invert',
      clip: spec.clip,
      eps: (xs, t, start, end) => backend.eps(xs, t, rowsOf(z, start, end)),
      stage: 'invert',
    },
    resolveMaxBatch(backend, opts),
    opts,
  );
}

/** DDIM sampling x_T → image in [0, 1] (facts §3, clip on), conditioned on z [N,Z]. */
export async function render(
  backend: DiffAEBackend,
  xT: Tensor,
  z: Tensor,
  opts: StepOptions,
): Promise<Tensor> {
  assertImages(xT, 'xT');
  assertLatents(z, batchSize(xT), 'z');
  const spec = opts.diffusion ?? IMAGE_DIFFUSION;
  const x0 = await runDdim(
    {
      x: xT,
      coeffs: stepCoefficients(spec, opts.steps),
      direction: 'generate',
      clip: spec.clip,
      eps: (xs, t, start, end) => backend.eps(xs, t, rowsOf(z, start, end)),
      stage: 'render',
    },
    resolveMaxBatch(backend, opts),
    opts,
  );
  return toUnitRange(x0);
}

/** The two codes of an image: semantic z [N,Z] and stochastic x_T [N,3,S,S]. */
export interface Codes {
  readonly z: Tensor;
  readonly xT: Tensor;
}

export interface ReconstructOptions extends PipelineOptions {
  inversionSteps: number;
  renderSteps: number;
  diffusion?: DiffusionSpec;
}

/** Encode, invert and render back: x → { z, xT, image }. */
export async function reconstruct(
  backend: DiffAEBackend,
  x: Tensor,
  opts: ReconstructOptions,
): Promise<Codes & { image: Tensor }> {
  checkSteps(opts.diffusion, opts.inversionSteps, opts.renderSteps);
  const codes = await encodeCodes(backend, x, opts.inversionSteps, opts);
  const image = await render(backend, codes.xT, codes.z, { ...opts, steps: opts.renderSteps });
  return { ...codes, image };
}

async function encodeCodes(
  backend: DiffAEBackend,
  x: Tensor,
  inversionSteps: number,
  opts: PipelineOptions & { diffusion?: DiffusionSpec },
): Promise<Codes> {
  const z = await encode(backend, x, opts);
  const xT = await encodeStochastic(backend, x, z, { ...opts, steps: inversionSteps });
  return { z, xT };
}

export interface ManipulateOptions extends PipelineOptions {
  renderSteps: number;
  /** Required when the input is an image rather than codes. */
  inversionSteps?: number;
  diffusion?: DiffusionSpec;
}

/**
 * Attribute editing (facts §8): z' = manipulateLatent(z), rendered from the unchanged x_T.
 * `edits` maps attribute names (or "Beard"-style names of `No_` attributes) to amplitudes.
 */
export async function manipulate(
  backend: DiffAEBackend,
  input: Codes | { x: Tensor },
  classifier: Classifier,
  edits: AttributeEdits,
  opts: ManipulateOptions,
): Promise<{ z: Tensor; sourceZ: Tensor; xT: Tensor; image: Tensor }> {
  checkSteps(opts.diffusion, opts.inversionSteps, opts.renderSteps);
  let codes: Codes;
  if ('x' in input) {
    if (opts.inversionSteps === undefined)
      throw new RangeError('manipulate from an image needs inversionSteps');
    codes = await encodeCodes(backend, input.x, opts.inversionSteps, opts);
  } else {
    codes = input;
  }
  const z = manipulateLatent(codes.z, classifier, edits);
  const image = await render(backend, codes.xT, z, { ...opts, steps: opts.renderSteps });
  return { z, sourceZ: codes.z, xT: codes.xT, image };
}

export interface InterpolateOptions extends PipelineOptions {
  renderSteps: number;
  diffusion?: DiffusionSpec;
}

function assertSingleCodes(c: Codes, name: string): void {
  assertImages(c.xT, `${name}.xT`);
  assertLatents(c.z, 1, `${name}.z`);
  if (c.xT.shape[0] !== 1) throw new RangeError(`${name}.xT must hold one image, got ${c.xT.shape[0]}`);
}

/**
 * Frames between two images' codes (facts §9): z lerped, x_T slerped, every frame rendered.
 * `alphas`: explicit α values, or a frame count n for α = float32 linspace(0, 1, n).
 */
export async function interpolate(
  backend: DiffAEBackend,
  a: Codes,
  b: Codes,
  alphas: readonly number[] | number,
  opts: InterpolateOptions,
): Promise<{ alphas: Float32Array; z: Tensor; xT: Tensor; images: Tensor }> {
  checkSteps(opts.diffusion, opts.renderSteps);
  assertSingleCodes(a, 'a');
  assertSingleCodes(b, 'b');
  assertShape(b.z, a.z.shape, 'b.z');
  assertShape(b.xT, a.xT.shape, 'b.xT');
  const al = typeof alphas === 'number' ? interpolationAlphas(alphas) : Float32Array.from(alphas);
  if (al.length === 0) throw new RangeError('interpolate needs at least one alpha');
  al.forEach((v, i) => {
    if (!Number.isFinite(v)) throw new RangeError(`alphas[${i}] must be a finite number, got ${v}`);
  });
  const theta = angleBetween(a.xT.data, b.xT.data);
  const zRow = rowSize(a.z);
  const xRow = rowSize(a.xT);
  const z = new Float32Array(al.length * zRow);
  const xT = new Float32Array(al.length * xRow);
  al.forEach((alpha, i) => {
    z.set(lerp(a.z.data, b.z.data, alpha), i * zRow);
    xT.set(slerp(a.xT.data, b.xT.data, alpha, theta), i * xRow);
  });
  const zT: Tensor = { data: z, shape: [al.length, zRow] };
  const xTT: Tensor = { data: xT, shape: [al.length, ...a.xT.shape.slice(1)] };
  const images = await render(backend, xTT, zT, { ...opts, steps: opts.renderSteps });
  return { alphas: al, z: zT, xT: xTT, images };
}

/** Seeded or explicit noise. */
export type NoiseSource<N> = { seed: number; noise?: undefined } | { noise: N; seed?: undefined };

export type VaryOptions = StepOptions &
  NoiseSource<Tensor> & {
    /** Image side S; needed with a seed (explicit noise carries its shape). */
    imageSize?: number;
  };

function assertImageSize(size: number | undefined, what: string): number {
  if (size === undefined || !Number.isInteger(size) || size < 1) {
    throw new RangeError(
      `${what} needs imageSize (an integer >= 1) when noise is drawn from a seed, got ${size}`,
    );
  }
  return size;
}

/** Mean over the batch axis, accumulated in float64: [n, ...] → [1, ...]. */
export function batchMean(t: Tensor): Tensor {
  const n = batchSize(t);
  const row = rowSize(t);
  const acc = new Float64Array(row);
  for (let r = 0; r < n; r++) for (let i = 0; i < row; i++) acc[i] += t.data[r * row + i];
  return { data: Float32Array.from(acc, (v) => v / n), shape: [1, ...t.shape.slice(1)] };
}

/**
 * Stochastic variations of one z [1,Z]: n random x_T rendered with the same z, plus their mean image.
 * Seeded noise: x_T = normalNoise(seed, [n, 3, S, S]).
 */
export async function varyStochastic(
  backend: DiffAEBackend,
  z: Tensor,
  n: number,
  opts: VaryOptions,
): Promise<{ xT: Tensor; images: Tensor; mean: Tensor }> {
  assertLatents(z, 1, 'z');
  if (!Number.isInteger(n) || n < 1) throw new RangeError(`varyStochastic needs n >= 1 variations, got ${n}`);
  let xT: Tensor;
  if (opts.noise !== undefined) {
    assertImages(opts.noise, 'noise');
    if (opts.noise.shape[0] !== n)
      throw new RangeError(`noise must hold ${n} images, got ${opts.noise.shape[0]}`);
    xT = opts.noise;
  } else {
    const S = assertImageSize(opts.imageSize, 'varyStochastic');
    xT = new NormalStream(opts.seed).tensor([n, 3, S, S]);
  }
  const images = await render(backend, xT, repeatBatch(z, n), opts);
  return { xT, images, mean: batchMean(images) };
}

export interface SampleNoise {
  /** [n, 3, S, S] */
  readonly xT: Tensor;
  /** [n, Z], the latent DDIM's starting point */
  readonly latentNoise: Tensor;
}

export type SampleOptions = PipelineOptions &
  NoiseSource<SampleNoise> & {
    steps: number;
    latentSteps: number;
    imageSize?: number;
    diffusion?: DiffusionSpec;
    latentDiffusion?: DiffusionSpec;
  };

/**
 * Unconditional sampling (facts §7): latent DDIM without clipping from latentNoise, de-normalise
 * z = z_n·σ + μ, then render x_T with z.
 *
 * Seeded noise is drawn from ONE normal stream of the seed, image noise first, like the official
 * order: x_T = the first n·3·S·S values (equal to normalNoise(seed, [n, 3, S, S])), latentNoise =
 * the next n·Z values.
 */
export async function sample(
  backend: DiffAEBackend,
  n: number,
  latentStats: LatentStats,
  opts: SampleOptions,
): Promise<{ z: Tensor; xT: Tensor; images: Tensor }> {
  const latentEps = backend.latentEps?.bind(backend);
  if (latentEps === undefined)
    throw new Error('This backend has no latent network (latent.onnx is not in the bundle)');
  if (!Number.isInteger(n) || n < 1) throw new RangeError(`sample needs n >= 1 images, got ${n}`);
  checkSteps(opts.diffusion, opts.steps);
  checkSteps(opts.latentDiffusion ?? LATENT_DIFFUSION, opts.latentSteps);
  const Z = latentStats.zMean.length;
  if (latentStats.zStd.length !== Z) throw new RangeError('latentStats.zStd and zMean differ in length');
  let noise: SampleNoise;
  if (opts.noise !== undefined) {
    noise = opts.noise;
    assertImages(noise.xT, 'noise.xT');
    assertShape(noise.xT, [n, 3, null, null], 'noise.xT');
    assertLatents(noise.latentNoise, n, 'noise.latentNoise');
    assertShape(noise.latentNoise, [n, Z], 'noise.latentNoise');
  } else {
    const S = assertImageSize(opts.imageSize, 'sample');
    const stream = new NormalStream(opts.seed);
    const xT = stream.tensor([n, 3, S, S]);
    noise = { xT, latentNoise: stream.tensor([n, Z]) };
  }
  const latentSpec = opts.latentDiffusion ?? LATENT_DIFFUSION;
  const zn = await runDdim(
    {
      x: noise.latentNoise,
      coeffs: stepCoefficients(latentSpec, opts.latentSteps),
      direction: 'generate',
      clip: latentSpec.clip,
      eps: (xs, t) => latentEps(xs, t),
      stage: 'latent',
    },
    resolveMaxBatch(backend, opts),
    opts,
  );
  const z = new Float32Array(zn.data.length);
  for (let r = 0; r < n; r++) {
    for (let i = 0; i < Z; i++)
      z[r * Z + i] = f32(zn.data[r * Z + i] * latentStats.zStd[i]) + latentStats.zMean[i];
  }
  const zT: Tensor = { data: z, shape: [n, Z] };
  const images = await render(backend, noise.xT, zT, { ...opts, steps: opts.steps });
  return { z: zT, xT: noise.xT, images };
}
