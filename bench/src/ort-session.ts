/** Bare onnxruntime sessions on the CPU, timed around `run` only (inputs are built beforehand). */
import * as ortNode from 'onnxruntime-node';
import * as ortWeb from 'onnxruntime-web';
import { normalNoise } from '../../packages/shared/src/prng.ts';

type OrtModule = typeof ortNode | typeof ortWeb;
type Session = ortNode.InferenceSession | ortWeb.InferenceSession;

export interface TimedSession {
  /** One run on fixed inputs; returns its wall time in ms. */
  time(): Promise<number>;
  release(): Promise<void>;
}

let webThreads: number | undefined;

/** onnxruntime-web reads env.wasm once per process: the first caller fixes the thread count. */
function configureWeb(threads: number): void {
  if (webThreads === undefined) {
    ortWeb.env.wasm.numThreads = threads;
    webThreads = threads;
  } else if (webThreads !== threads) {
    throw new Error(`onnxruntime-web is already set up with ${webThreads} thread(s), asked for ${threads}`);
  }
}

/** Seeded inputs for every input of `session` with `batch` rows (t gets timesteps in 0..999). */
function feedsFor(
  ort: OrtModule,
  session: Session,
  batch: number,
  dims: Record<string, number[]>,
): Record<string, unknown> {
  const feeds: Record<string, unknown> = {};
  session.inputNames.forEach((name, k) => {
    const shape = [batch, ...(dims[name] ?? [])];
    const data =
      name === 't'
        ? Float32Array.from({ length: batch }, (_, i) => (i * 997 + 11) % 1000)
        : normalNoise(k + 1, shape).data;
    feeds[name] = new ort.Tensor('float32', data, shape);
  });
  return feeds;
}

export async function openTimedSession(
  runtime: 'ort-node' | 'ort-web',
  file: string,
  threads: number,
  batch: number,
  /** Per-input shape after the batch axis, e.g. { x: [3, 64, 64], z: [256] }. */
  dims: Record<string, number[]>,
): Promise<TimedSession> {
  let session: Session;
  let ort: OrtModule;
  if (runtime === 'ort-node') {
    ort = ortNode;
    session = await ortNode.InferenceSession.create(file, {
      executionProviders: ['cpu'],
      intraOpNumThreads: threads,
    });
  } else {
    ort = ortWeb;
    configureWeb(threads);
    session = await ortWeb.InferenceSession.create(file, { executionProviders: ['wasm'] });
  }
  const feeds = feedsFor(ort, session, batch, dims);
  return {
    async time() {
      const started = performance.now();
      // biome-ignore lint/suspicious/noExplicitAny: the two packages' feed types differ only nominally
      await session.run(feeds as any);
      return performance.now() - started;
    },
    release: () => session.release(),
  };
}
