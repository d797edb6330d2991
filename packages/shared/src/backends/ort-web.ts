/**
 * DiffAEBackend on onnxruntime-web (WASM): browsers, edge runtimes and Node.
 * onnxruntime-web reads `env.wasm` once, when its first session is created: thread count and
 * wasm location are process-wide, so a later backend asking for other values only gets a warning.
 */
import * as ort from 'onnxruntime-web';
import { type BackendLogger, createOrtBackend, type OrtBackend, type OrtModelSources } from './ort-common.ts';

export interface OrtWebBackendOptions {
  /** WASM threads. Default 1 (onnxruntime-web's own default in Node is min(4, cores/2) worker threads). */
  numThreads?: number;
  /**
   * Where the `ort-wasm-simd-threaded.{mjs,wasm}` files are served from (browsers). In Node the
   * default loader finds them inside the package (`onnxruntime-web/dist`), so leave this unset.
   */
  wasmPaths?: string | { wasm?: string; mjs?: string };
  /** The wasm binary itself, for runtimes that cannot fetch it. */
  wasmBinary?: ArrayBuffer | Uint8Array;
  /** Default ['wasm']. */
  providers?: readonly string[];
  eager?: boolean;
  maxBatch?: number;
  logger?: BackendLogger;
}

let applied: { numThreads: number; wasmPaths: OrtWebBackendOptions['wasmPaths'] } | undefined;

function configureWasm(options: OrtWebBackendOptions, logger: BackendLogger): number {
  const numThreads = options.numThreads ?? 1;
  if (!Number.isInteger(numThreads) || numThreads < 1) {
    throw new RangeError(`numThreads must be a positive integer, got ${numThreads}`);
  }
  if (applied) {
    if (
      applied.numThreads !== numThreads ||
      (options.wasmPaths !== undefined && options.wasmPaths !== applied.wasmPaths)
    ) {
      logger.warn(
        `ort-web: onnxruntime-web is already set up with ${applied.numThreads} thread(s); numThreads=${numThreads}/wasmPaths of this backend are ignored`,
      );
    }
    return applied.numThreads;
  }
  ort.env.wasm.numThreads = numThreads;
  if (options.wasmPaths !== undefined) ort.env.wasm.wasmPaths = options.wasmPaths;
  if (options.wasmBinary !== undefined) ort.env.wasm.wasmBinary = options.wasmBinary;
  applied = { numThreads, wasmPaths: options.wasmPaths };
  return numThreads;
}

export function createOrtWebBackend(
  models: OrtModelSources,
  options: OrtWebBackendOptions = {},
): Promise<OrtBackend> {
  const logger = options.logger ?? { warn: (message: string) => console.warn(message) };
  const threads = configureWasm(options, logger);
  return createOrtBackend(ort, models, {
    name: 'ort-web',
    providers: options.providers ?? ['wasm'],
    threads,
    ...(options.eager !== undefined ? { eager: options.eager } : {}),
    ...(options.maxBatch !== undefined ? { maxBatch: options.maxBatch } : {}),
    logger,
  });
}

export type {
  BackendLogger,
  ModelSource,
  OrtBackend,
  OrtBackendInfo,
  OrtModelSources,
} from './ort-common.ts';
