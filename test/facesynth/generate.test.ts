import { execFile } from 'node:child_process';
import { existsSync, mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { promisify } from 'node:util';
import { generate } from 'facesjs';
import { afterAll, describe, expect, it } from 'vitest';
import { HAIR_PALETTE, RACES, sampleFace } from '../../models/facesynth/face.ts';
import { generateBatch, generateDataset, generateFace } from '../../models/facesynth/generate.ts';
import { ATTRIBUTE_NAMES } from '../../models/facesynth/labels.ts';
import { parseNpyHeader } from '../../models/facesynth/npy.ts';
import { mulberry32, withMathRandom } from '../../models/facesynth/random.ts';
import { DEFAULT_RENDER } from '../../models/facesynth/render.ts';
import { readNpy as readNpyShared } from '../../packages/shared/src/npy.ts';

const run = promisify(execFile);
const root = join(import.meta.dirname, '..', '..');
const dir = mkdtempSync(join(tmpdir(), 'facesynth-gen-'));
afterAll(() => rmSync(dir, { recursive: true, force: true }));

const S = DEFAULT_RENDER.size;
const PIXELS = S * S * 3;
const A = ATTRIBUTE_NAMES.length;

function readNpy(path: string) {
  const bytes = new Uint8Array(readFileSync(path));
  const header = parseNpyHeader(bytes);
  return { header, data: bytes.subarray(header.dataOffset) };
}

describe('determinism', () => {
  it('same seed → byte-identical image and labels, regardless of order', () => {
    const forward = generateBatch(100, 6);
    const backward = [105, 104, 103, 102, 101, 100].map((seed) => generateFace(seed));
    backward.reverse();
    backward.forEach((face, i) => {
      expect(
        Buffer.from(face.image).equals(Buffer.from(forward.images.subarray(i * PIXELS, (i + 1) * PIXELS))),
      ).toBe(true);
      expect([...face.labels]).toEqual([...forward.labels.subarray(i * A, (i + 1) * A)]);
      expect(face.record).toEqual(forward.records[i]);
    });
  });

  it('different seeds → different faces', () => {
    const images = [0, 1, 2, 3].map((seed) => Buffer.from(generateFace(seed).image).toString('base64'));
    expect(new Set(images).size).toBe(4);
  });

  it('restores Math.random and is unaffected by prior Math.random use', () => {
    const original = Math.random;
    const first = generateFace(7);
    for (let i = 0; i < 10; i++) Math.random();
    const second = generateFace(7);
    expect(Math.random).toBe(original);
    expect(Buffer.from(first.image).equals(Buffer.from(second.image))).toBe(true);
  });

  it('another process with 2 worker threads writes the same bytes', async () => {
    const out = join(dir, 'cli');
    await run(
      'npx',
      ['tsx', 'models/facesynth/cli.ts', '--start', '40', '--count', '10', '--workers', '2', '--out', out],
      {
        cwd: root,
        timeout: 60_000,
      },
    );
    const inProcess = generateBatch(40, 10);
    expect(Buffer.from(readNpy(join(out, 'images.npy')).data).equals(Buffer.from(inProcess.images))).toBe(
      true,
    );
    expect(Buffer.from(readNpy(join(out, 'labels.npy')).data).equals(Buffer.from(inProcess.labels))).toBe(
      true,
    );
  });
});

describe('rendering', () => {
  it('the face fills a sensible part of the crop on an opaque white background', () => {
    const batch = generateBatch(500, 24);
    for (let k = 0; k < batch.count; k++) {
      const image = batch.images.subarray(k * PIXELS, (k + 1) * PIXELS);
      let foreground = 0;
      for (let p = 0; p < S * S; p++)
        if (image[p * 3] < 245 || image[p * 3 + 1] < 245 || image[p * 3 + 2] < 245) foreground++;
      const fraction = foreground / (S * S);
      expect(fraction, `seed ${500 + k}`).toBeGreaterThan(0.2);
      expect(fraction, `seed ${500 + k}`).toBeLessThan(0.9);
      // The crop extends past facesjs's canvas on the left, so the corner is always pure background.
      const corner = [image[0], image[1], image[2]];
      expect(corner, `seed ${500 + k} top-left corner`).toEqual([255, 255, 255]);
    }
  });
});

describe('sampling', () => {
  it('keeps to the facesjs palettes that the label rules were checked on', () => {
    const knownHair = new Set(
      Object.values(HAIR_PALETTE)
        .flat()
        .map((c) => c.toLowerCase()),
    );
    const rng = mulberry32(1);
    for (let i = 0; i < 200; i++) {
      const face = withMathRandom(rng, () =>
        generate(undefined, { gender: i % 2 ? 'male' : 'female', race: RACES[i % 4] }),
      );
      expect(knownHair.has(face.hair.color.toLowerCase()), face.hair.color).toBe(true);
    }
  });

  it('draws both genders and all races', () => {
    const faces = Array.from({ length: 200 }, (_, i) => sampleFace(i));
    expect(new Set(faces.map((f) => f.gender))).toEqual(new Set(['male', 'female']));
    expect(new Set(faces.map((f) => f.race))).toEqual(new Set(RACES));
  });

  it('rejects seeds that are not 32-bit unsigned integers', () => {
    expect(() => sampleFace(-1)).toThrow(/face seed must be an integer/);
    expect(() => sampleFace(1.5)).toThrow(/face seed must be an integer/);
  });
});

describe('generateDataset', () => {
  it('writes npy files of the right shape, per-face records and attributes.json', async () => {
    const out = join(dir, 'ds');
    const summary = await generateDataset({
      outDir: out,
      start: 1_000_000,
      count: 20,
      batchSize: 8,
      split: 'val',
    });
    const images = readNpy(join(out, 'images.npy'));
    const labels = readNpy(join(out, 'labels.npy'));
    expect(images.header).toMatchObject({ descr: '|u1', fortranOrder: false, shape: [20, S, S, 3] });
    expect(images.data.length).toBe(20 * PIXELS);
    expect(labels.header.shape).toEqual([20, A]);
    expect(labels.data.length).toBe(20 * A);
    const records = readFileSync(join(out, 'faces.jsonl'), 'utf8')
      .trim()
      .split('\n')
      .map((l) => JSON.parse(l));
    expect(records.map((r) => r.seed)).toEqual(Array.from({ length: 20 }, (_, i) => 1_000_000 + i));
    const meta = JSON.parse(readFileSync(join(out, 'attributes.json'), 'utf8'));
    expect(meta.attributes).toEqual(ATTRIBUTE_NAMES);
    expect(meta.seeds).toEqual({ start: 1_000_000, end: 1_000_020 });
    expect(meta.split).toBe('val');
    expect(summary.positiveRate.Male).toBeCloseTo(
      labels.data.filter((_, i) => i % A === 0).reduce((a, b) => a + b, 0) / 20,
    );
  });

  it('the npy reader of @diffae/shared reads the files', () => {
    const out = join(dir, 'ds');
    const images = readNpyShared(new Uint8Array(readFileSync(join(out, 'images.npy'))));
    expect(images.dtype).toBe('uint8');
    expect(images.shape).toEqual([20, S, S, 3]);
    expect(
      Buffer.from(images.data as Uint8Array).equals(Buffer.from(readNpy(join(out, 'images.npy')).data)),
    ).toBe(true);
  });

  it('numpy reads the files', async () => {
    const python = '/usr/bin/python3';
    expect(existsSync(python), 'the repo documents /usr/bin/python3 with numpy').toBe(true);
    const out = join(dir, 'ds');
    const script = `import numpy as np, sys
x = np.load(sys.argv[1] + '/images.npy'); y = np.load(sys.argv[1] + '/labels.npy')
print(x.shape, x.dtype, int(x.astype(np.int64).sum()), y.shape, int(y.sum()))`;
    const { stdout } = await run(python, ['-c', script, out], { timeout: 30_000 });
    const images = readNpy(join(out, 'images.npy')).data;
    const labels = readNpy(join(out, 'labels.npy')).data;
    const sum = (a: Uint8Array) => a.reduce((s, v) => s + v, 0);
    expect(stdout.trim()).toBe(`(20, ${S}, ${S}, 3) uint8 ${sum(images)} (20, ${A}) ${sum(labels)}`);
  });
});
