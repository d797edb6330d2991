/** FaceSynth64 generation: seeds → images, labels and per-face records, in process or on worker threads. */
import { closeSync, mkdirSync, openSync, renameSync, writeFileSync, writeSync } from 'node:fs';
import { join } from 'node:path';
import { Worker } from 'node:worker_threads';
import { GENERATION_OPTIONS, HAIR_PALETTE, sampleFace } from './face.ts';
import { ATTRIBUTES, hairColorClass, labelFace, skinTone } from './labels.ts';
import { NpyUint8Writer } from './npy.ts';
import type { RenderOptions } from './render.ts';
import { DEFAULT_RENDER, renderFace } from './render.ts';
import { GENERATOR_VERSION } from './splits.ts';

/** Raw categorical fields of one face, for debugging labels (one JSON line per image). */
export interface FaceRecord {
  seed: number;
  gender: string;
  race: string;
  hairId: string;
  hairColor: string;
  hairColorClass: string;
  skinColor: string;
  skinTone: string;
  glassesId: string;
  facialHairId: string;
  accessoriesId: string;
  mouthId: string;
  fatness: number;
}

export interface GeneratedFace {
  image: Uint8Array; // [S, S, 3]
  labels: Uint8Array; // [A]
  record: FaceRecord;
}

export function generateFace(seed: number, render: RenderOptions = DEFAULT_RENDER): GeneratedFace {
  const { gender, race, face } = sampleFace(seed);
  return {
    image: renderFace(face, render),
    labels: labelFace(face, gender),
    record: {
      seed,
      gender,
      race,
      hairId: face.hair.id,
      hairColor: face.hair.color,
      hairColorClass: hairColorClass(face.hair.color),
      skinColor: face.body.color,
      skinTone: skinTone(face.body.color),
      glassesId: face.glasses.id,
      facialHairId: face.facialHair.id,
      accessoriesId: face.accessories.id,
      mouthId: face.mouth.id,
      fatness: face.fatness,
    },
  };
}

export interface GeneratedBatch {
  start: number;
  count: number;
  images: Uint8Array<ArrayBuffer>; // [count, S, S, 3]
  labels: Uint8Array<ArrayBuffer>; // [count, A]
  records: FaceRecord[];
}

export function generateBatch(
  start: number,
  count: number,
  render: RenderOptions = DEFAULT_RENDER,
): GeneratedBatch {
  const pixels = render.size * render.size * 3;
  const images = new Uint8Array(count * pixels);
  const labels = new Uint8Array(count * ATTRIBUTES.length);
  const records: FaceRecord[] = [];
  for (let i = 0; i < count; i++) {
    const face = generateFace(start + i, render);
    images.set(face.image, i * pixels);
    labels.set(face.labels, i * ATTRIBUTES.length);
    records.push(face.record);
  }
  return { start, count, images, labels, records };
}

export interface BatchSource {
  /** Yields batches covering [start, start+count) in seed order. */
  batches(start: number, count: number, batchSize: number): AsyncIterable<GeneratedBatch>;
  close(): Promise<void>;
}

export function inProcessSource(render: RenderOptions = DEFAULT_RENDER): BatchSource {
  return {
    async *batches(start, count, batchSize) {
      for (let s = start; s < start + count; s += batchSize)
        yield generateBatch(s, Math.min(batchSize, start + count - s), render);
    },
    async close() {},
  };
}

/**
 * Starts a worker on a .ts entry. Node 20 resolves a worker's entry before `--import` loaders
 * inherited from tsx take effect, so the worker registers tsx itself, then imports the entry.
 */
function spawnTsWorker(entry: URL, workerData: unknown): Worker {
  const tsxApi = import.meta.resolve('tsx/esm/api');
  const bootstrap = `import(${JSON.stringify(tsxApi)}).then(({ register }) => { register(); return import(${JSON.stringify(entry.href)}); })`;
  return new Worker(bootstrap, { eval: true, workerData });
}

/**
 * Worker-thread pool; batches may finish out of order and are re-ordered before being yielded.
 */
export function workerSource(workers: number, render: RenderOptions = DEFAULT_RENDER): BatchSource {
  if (!Number.isInteger(workers) || workers < 1)
    throw new RangeError(`workers must be a positive integer, got ${workers}`);
  const pool = Array.from({ length: workers }, () =>
    spawnTsWorker(new URL('./worker.ts', import.meta.url), { render }),
  );
  const run = (worker: Worker, start: number, count: number) =>
    new Promise<GeneratedBatch>((resolve, reject) => {
      const onError = (err: Error) => {
        worker.off('message', onMessage);
        reject(err);
      };
      const onMessage = (batch: GeneratedBatch) => {
        worker.off('error', onError);
        resolve(batch);
      };
      worker.once('message', onMessage);
      worker.once('error', onError);
      worker.postMessage({ start, count });
    });
  return {
    async *batches(start, count, batchSize) {
      const starts: number[] = [];
      for (let s = start; s < start + count; s += batchSize) starts.push(s);
      const sizeOf = (s: number) => Math.min(batchSize, start + count - s);
      const pending = new Map<number, Promise<GeneratedBatch>>();
      let next = 0;
      const submit = (worker: Worker) => {
        if (next >= starts.length) return;
        const s = starts[next++];
        const result = run(worker, s, sizeOf(s)).then((batch) => {
          submit(worker);
          return batch;
        });
        // Rejections surface when the batch is awaited in order; this only avoids an unhandled-rejection crash first.
        result.catch(() => {});
        pending.set(s, result);
      };
      for (const worker of pool) submit(worker);
      for (const s of starts) {
        const batch = await pending.get(s);
        pending.delete(s);
        if (!batch) throw new Error(`internal: batch ${s} was never submitted`);
        yield batch;
      }
    },
    async close() {
      await Promise.all(pool.map((w) => w.terminate()));
    },
  };
}

export interface DatasetOptions {
  outDir: string;
  start: number;
  count: number;
  /** 1 = generate in this thread */
  workers?: number;
  batchSize?: number;
  render?: RenderOptions;
  /** name recorded in attributes.json (split name or 'custom') */
  split?: string;
  onProgress?: (done: number, total: number) => void;
}

export interface DatasetSummary {
  outDir: string;
  count: number;
  seconds: number;
  facesPerSecond: number;
  positiveRate: Record<string, number>;
}

export function attributesDocument(
  options: Pick<DatasetOptions, 'start' | 'count' | 'split'>,
  render: RenderOptions,
) {
  return {
    generator: 'facesynth64',
    generatorVersion: GENERATOR_VERSION,
    facesjsVersion: '5.0.3',
    split: options.split ?? 'custom',
    seeds: { start: options.start, end: options.start + options.count },
    image: {
      shape: [render.size, render.size, 3],
      dtype: 'uint8',
      layout: 'NHWC RGB',
      crop: render.crop,
      background: render.background,
      supersample: render.supersample,
    },
    attributes: ATTRIBUTES.map((a) => a.name),
    definitions: ATTRIBUTES,
    generationOptions: { ...GENERATION_OPTIONS, hairPalette: HAIR_PALETTE },
    files: { images: 'images.npy', labels: 'labels.npy', records: 'faces.jsonl' },
  };
}

/** Writes images.npy, labels.npy, faces.jsonl and attributes.json into `outDir`. */
export async function generateDataset(options: DatasetOptions): Promise<DatasetSummary> {
  const { outDir, start, count, workers = 1, batchSize = 256, render = DEFAULT_RENDER } = options;
  if (!Number.isInteger(start) || start < 0)
    throw new RangeError(`start must be a non-negative integer, got ${start}`);
  if (!Number.isInteger(count) || count <= 0)
    throw new RangeError(`count must be a positive integer, got ${count}`);
  mkdirSync(outDir, { recursive: true });
  const A = ATTRIBUTES.length;
  const images = new NpyUint8Writer(join(outDir, 'images.npy'), [count, render.size, render.size, 3]);
  const labels = new NpyUint8Writer(join(outDir, 'labels.npy'), [count, A]);
  const recordsPath = join(outDir, 'faces.jsonl');
  const recordsFd = openSync(`${recordsPath}.partial`, 'w');
  const positives = new Float64Array(A);
  const source = workers > 1 ? workerSource(workers, render) : inProcessSource(render);
  const t0 = performance.now();
  let done = 0;
  try {
    for await (const batch of source.batches(start, count, batchSize)) {
      images.append(batch.images);
      labels.append(batch.labels);
      writeSync(recordsFd, `${batch.records.map((r) => JSON.stringify(r)).join('\n')}\n`);
      for (let i = 0; i < batch.labels.length; i++) positives[i % A] += batch.labels[i];
      done += batch.count;
      options.onProgress?.(done, count);
    }
  } finally {
    await source.close();
    closeSync(recordsFd);
  }
  images.close();
  labels.close();
  renameSync(`${recordsPath}.partial`, recordsPath);
  writeFileSync(
    join(outDir, 'attributes.json'),
    `${JSON.stringify(attributesDocument(options, render), null, 2)}\n`,
  );
  const seconds = (performance.now() - t0) / 1000;
  return {
    outDir,
    count,
    seconds,
    facesPerSecond: count / seconds,
    positiveRate: Object.fromEntries(ATTRIBUTES.map((a, i) => [a.name, positives[i] / count])),
  };
}
