/**
 * The lite encoder in the browser on onnxruntime-web: WebGPU when `navigator.gpu` exists and an
 * adapter comes up, WASM otherwise. onnxruntime-web is loaded on first use, and its loader + wasm (the
 * JSEP build, which has both providers) come from the edge (`/v1/assets/ort/`): the build resolves the
 * package's "extern wasm" variant (vite.config.ts), so the widget carries no binary of its own.
 */
import type { Tensor } from '@diffae/shared';
import type { EncodeVia } from './events.ts';

type Ort = typeof import('onnxruntime-web');
type Session = import('onnxruntime-web').InferenceSession;

export interface LiteEncoder {
  readonly via: Exclude<EncodeVia, 'server'>;
  encode(x: Tensor): Promise<Float32Array>;
  release(): Promise<void>;
}

let ortPromise: Promise<Ort> | undefined;

function loadOrt(wasmBase: string): Promise<Ort> {
  ortPromise ??= import('onnxruntime-web').then((ort) => {
    ort.env.wasm.wasmPaths = wasmBase.endsWith('/') ? wasmBase : `${wasmBase}/`;
    // Threads need cross-origin isolation, which an embedding page rarely has.
    ort.env.wasm.numThreads = 1;
    return ort as unknown as Ort;
  });
  return ortPromise;
}

async function hasWebGpuAdapter(): Promise<boolean> {
  const gpu = (navigator as Navigator & { gpu?: { requestAdapter(): Promise<unknown> } }).gpu;
  if (!gpu) return false;
  try {
    return (await gpu.requestAdapter()) != null;
  } catch {
    return false;
  }
}

/** Creates a session on WebGPU if possible, on WASM otherwise. Throws when neither works. */
export async function createLiteEncoder(model: Uint8Array, wasmBase: string): Promise<LiteEncoder> {
  const ort = await loadOrt(wasmBase);
  const attempts: Array<LiteEncoder['via']> = (await hasWebGpuAdapter()) ? ['webgpu', 'wasm'] : ['wasm'];
  let lastError: unknown;
  for (const via of attempts) {
    let session: Session;
    try {
      session = await ort.InferenceSession.create(model, { executionProviders: [via] });
    } catch (err) {
      lastError = err;
      continue;
    }
    const input = session.inputNames[0];
    const output = session.outputNames[0];
    return {
      via,
      async encode(x) {
        const feeds = { [input]: new ort.Tensor('float32', x.data, [...x.shape]) };
        const out = await session.run(feeds);
        const z = out[output];
        const data = await z.getData();
        if (!(data instanceof Float32Array))
          throw new Error(`lite encoder returned ${z.type}, expected float32`);
        return data;
      },
      release: () => session.release(),
    };
  }
  throw new Error(`onnxruntime-web could not create a session (${String(lastError)})`);
}
