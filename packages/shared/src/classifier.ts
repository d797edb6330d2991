/**
 * Linear attribute classifier on normalised z and the official manipulation recipe (facts §8).
 *
 * Arithmetic: float32 throughout, emulating the PyTorch float32 reference
 * `z' = ((z − μ)/σ + a·√512·d)·σ + μ` with `d = W[k] / max(‖W[k]‖₂, 1e-12)`: every elementwise
 * operation is rounded to float32, `a·√512` is a float64 product rounded to float32 (a Python scalar
 * times a float32 tensor), and ‖W[k]‖ is accumulated in float64 then rounded (PyTorch's float32
 * reduction may differ from it by an ulp). Several edits add their steps in normalised space in the
 * order the edits are given.
 */
import { z as zod } from 'zod';
import { assertShape, batchSize, type Tensor } from './tensor.ts';
import { formatIssues, issuesMessage, readableErrors } from './zod-issues.ts';

const f32 = Math.fround;

/** √512 is a literal constant of the official recipe, not derived from the z width. */
export const MANIPULATION_SCALE = Math.sqrt(512);

export interface Classifier {
  readonly attributes: readonly string[];
  /** A×Z, row-major; row k belongs to attributes[k]. */
  readonly weight: Float32Array;
  readonly bias: Float32Array;
  readonly zMean: Float32Array;
  readonly zStd: Float32Array;
}

export class ClassifierFormatError extends Error {
  readonly problems: readonly string[];
  constructor(problems: readonly string[]) {
    super(issuesMessage('Invalid classifier.json', problems));
    this.name = 'ClassifierFormatError';
    this.problems = problems;
  }
}

export class UnknownAttributeError extends Error {
  constructor(name: string, attributes: readonly string[]) {
    const negatable = attributes.filter((a) => a.startsWith('No_')).map((a) => a.slice(3));
    super(
      `Unknown attribute "${name}". Valid attributes: ${attributes.join(', ')}` +
        (negatable.length > 0 ? ` (also accepted with the sign flipped: ${negatable.join(', ')})` : ''),
    );
    this.name = 'UnknownAttributeError';
  }
}

const classifierJsonSchema = zod
  .object({
    attributes: zod.array(zod.string().min(1)).min(1),
    weight: zod.array(zod.array(zod.number())),
    bias: zod.array(zod.number()),
    zMean: zod.array(zod.number()).min(1),
    zStd: zod.array(zod.number().positive()),
  })
  .superRefine((c, ctx) => {
    const A = c.attributes.length;
    const Z = c.zMean.length;
    const problem = (path: (string | number)[], message: string) =>
      ctx.addIssue({ code: 'custom', path, message });
    if (new Set(c.attributes).size !== A) problem(['attributes'], 'attribute names must be unique');
    if (c.weight.length !== A)
      problem(['weight'], `expected ${A} rows (one per attribute), got ${c.weight.length}`);
    c.weight.forEach((row, k) => {
      if (row.length !== Z)
        problem(['weight', k], `expected ${Z} values (the zMean length), got ${row.length}`);
    });
    if (c.bias.length !== A)
      problem(['bias'], `expected ${A} values (one per attribute), got ${c.bias.length}`);
    if (c.zStd.length !== Z)
      problem(['zStd'], `expected ${Z} values (the zMean length), got ${c.zStd.length}`);
  });

/** Validates a parsed classifier.json (`{ attributes, weight[A][Z], bias[A], zMean[Z], zStd[Z] }`). */
export function parseClassifierJson(json: unknown): Classifier {
  const parsed = classifierJsonSchema.safeParse(json, { error: readableErrors });
  if (!parsed.success) throw new ClassifierFormatError(formatIssues(parsed.error.issues));
  const c = parsed.data;
  return {
    attributes: [...c.attributes],
    weight: Float32Array.from(c.weight.flat()),
    bias: Float32Array.from(c.bias),
    zMean: Float32Array.from(c.zMean),
    zStd: Float32Array.from(c.zStd),
  };
}

export function classifierZDim(c: Classifier): number {
  return c.zMean.length;
}

function weightRow(c: Classifier, k: number): Float32Array {
  const Z = classifierZDim(c);
  return c.weight.subarray(k * Z, (k + 1) * Z);
}

function assertLatent(z: Tensor, zDim: number): void {
  assertShape(z, [null, zDim], 'z');
}

/** (z − μ)/σ in float32, one row. */
function normaliseRow(z: Float32Array, offset: number, c: Classifier, out: Float32Array): void {
  for (let i = 0; i < out.length; i++) out[i] = f32(f32(z[offset + i] - c.zMean[i]) / c.zStd[i]);
}

/** Logits W·((z − μ)/σ) + b: [N,Z] → [N,A] (dot products accumulated in float64). */
export function attributeScores(c: Classifier, z: Tensor): Tensor {
  const Z = classifierZDim(c);
  assertLatent(z, Z);
  const n = batchSize(z);
  const A = c.attributes.length;
  const out = new Float32Array(n * A);
  const zn = new Float32Array(Z);
  for (let r = 0; r < n; r++) {
    normaliseRow(z.data, r * Z, c, zn);
    for (let k = 0; k < A; k++) {
      const w = weightRow(c, k);
      let acc = 0;
      for (let i = 0; i < Z; i++) acc += w[i] * zn[i];
      out[r * A + k] = f32(acc) + c.bias[k];
    }
  }
  return { data: out, shape: [n, A] };
}

export interface ResolvedAttribute {
  readonly index: number;
  /** The classifier's name for the row. */
  readonly attribute: string;
  /** −1 when the request was the `No_` attribute's positive form (e.g. "Beard" → "No_Beard"). */
  readonly sign: 1 | -1;
}

/** Maps a requested name to a classifier row: exact name, or `No_<name>` with the sign flipped. */
export function resolveAttribute(c: Classifier, name: string): ResolvedAttribute {
  const exact = c.attributes.indexOf(name);
  if (exact >= 0) return { index: exact, attribute: name, sign: 1 };
  const negated = c.attributes.indexOf(`No_${name}`);
  if (negated >= 0) return { index: negated, attribute: `No_${name}`, sign: -1 };
  throw new UnknownAttributeError(name, c.attributes);
}

/** Row k of W scaled to unit length in float32: W[k] / max(‖W[k]‖₂, 1e-12). */
export function unitDirection(c: Classifier, k: number): Float32Array {
  const w = weightRow(c, k);
  let sq = 0;
  for (let i = 0; i < w.length; i++) sq += w[i] * w[i];
  const norm = Math.max(f32(Math.sqrt(sq)), 1e-12);
  const d = new Float32Array(w.length);
  for (let i = 0; i < w.length; i++) d[i] = w[i] / norm;
  return d;
}

/** Attribute name → amplitude a (official range about −0.5..0.5). */
export type AttributeEdits = Readonly<Record<string, number>>;

/** z [N,Z] → z' [N,Z]: every row moved by Σ a·√512·d in normalised space (facts §8). */
export function manipulateLatent(z: Tensor, c: Classifier, edits: AttributeEdits): Tensor {
  const Z = classifierZDim(c);
  assertLatent(z, Z);
  const steps = Object.entries(edits).map(([name, amplitude]) => {
    if (!Number.isFinite(amplitude)) {
      throw new RangeError(`Amplitude for attribute "${name}" must be a finite number, got ${amplitude}`);
    }
    const { index, sign } = resolveAttribute(c, name);
    const scale = f32(sign * amplitude * MANIPULATION_SCALE);
    const d = unitDirection(c, index);
    const step = new Float32Array(Z);
    for (let i = 0; i < Z; i++) step[i] = scale * d[i];
    return step;
  });
  const n = batchSize(z);
  const out = new Float32Array(z.data.length);
  const zn = new Float32Array(Z);
  for (let r = 0; r < n; r++) {
    normaliseRow(z.data, r * Z, c, zn);
    for (const step of steps) for (let i = 0; i < Z; i++) zn[i] = zn[i] + step[i];
    for (let i = 0; i < Z; i++) out[r * Z + i] = f32(zn[i] * c.zStd[i]) + c.zMean[i];
  }
  return { data: out, shape: [n, Z] };
}

type LatentSet = Tensor | readonly ArrayLike<number>[];

function rowsOf(set: LatentSet, zDim: number, name: string): ArrayLike<number>[] {
  const rows: ArrayLike<number>[] = [];
  if ('data' in set && 'shape' in set) {
    assertShape(set, [null, zDim], name);
    for (let r = 0; r < set.shape[0]; r++) rows.push(set.data.subarray(r * zDim, (r + 1) * zDim));
  } else {
    set.forEach((row, r) => {
      if (row.length !== zDim)
        throw new RangeError(`${name}[${r}] has ${row.length} values, expected ${zDim}`);
      rows.push(row);
    });
  }
  if (rows.length === 0) throw new RangeError(`${name} needs at least one latent`);
  return rows;
}

/**
 * Few-shot custom direction: the difference of the class means of normalised z (positives minus
 * negatives), scaled to unit length (float64 arithmetic, float32 result). Usable as a classifier
 * row through `withDirection`.
 */
export function directionFromExamples(
  positives: LatentSet,
  negatives: LatentSet,
  zMean: ArrayLike<number>,
  zStd: ArrayLike<number>,
): Float32Array {
  const Z = zMean.length;
  if (zStd.length !== Z) throw new RangeError(`zStd has ${zStd.length} values but zMean has ${Z}`);
  const meanOf = (set: LatentSet, name: string) => {
    const rows = rowsOf(set, Z, name);
    const mean = new Float64Array(Z);
    for (const row of rows) for (let i = 0; i < Z; i++) mean[i] += (row[i] - zMean[i]) / zStd[i];
    for (let i = 0; i < Z; i++) mean[i] /= rows.length;
    return mean;
  };
  const pos = meanOf(positives, 'positives');
  const neg = meanOf(negatives, 'negatives');
  const diff = pos.map((v, i) => v - neg[i]);
  let sq = 0;
  for (const v of diff) sq += v * v;
  const norm = Math.sqrt(sq);
  if (!(norm > 0) || !Number.isFinite(norm)) {
    throw new RangeError(
      'directionFromExamples: positives and negatives have the same normalised mean (or non-finite values)',
    );
  }
  return Float32Array.from(diff, (v) => v / norm);
}

/** A classifier with one more row: `direction` (normalised-z space) under `name`, bias 0. */
export function withDirection(c: Classifier, name: string, direction: ArrayLike<number>): Classifier {
  const Z = classifierZDim(c);
  if (name.length === 0) throw new RangeError('A direction needs a non-empty name');
  if (c.attributes.includes(name))
    throw new RangeError(`Attribute "${name}" already exists in the classifier`);
  if (direction.length !== Z)
    throw new RangeError(`Direction "${name}" has ${direction.length} values, expected ${Z}`);
  const weight = new Float32Array(c.weight.length + Z);
  weight.set(c.weight);
  weight.set(Float32Array.from(direction), c.weight.length);
  const bias = new Float32Array(c.bias.length + 1);
  bias.set(c.bias);
  return { ...c, attributes: [...c.attributes, name], weight, bias };
}
