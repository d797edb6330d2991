/** DiffAEBackend on onnxruntime-node (Node only): CUDA or CPU, with a logged CPU fallback. */
import * as ort from 'onnxruntime-node';
import { type BackendLogger, createOrtBackend, type OrtBackend, type OrtModelSources } from './ort-common.ts';

export interface OrtNodeBackendOptions {
  /** Execution providers in order of preference, e.g. ['cuda', 'cpu']. Default ['cpu']. */
  providers?: readonly string[];
  /** Threads per operator on the CPU provider (onnxruntime's default: all cores). */
  intraOpNumThreads?: number;
  /** Create every session now (default) or on first use. */
  eager?: boolean;
  maxBatch?: number;
  logger?: BackendLogger;
}

/**
 * When several providers are requested and the accelerator cannot start (e.g. no CUDA libraries),
 * session creation throws; the backend then logs one line and retries with ['cpu'] for all models.
 * A single provider (['cuda']) is strict: the error propagates.
 */
export function createOrtNodeBackend(
  models: OrtModelSources,
  options: OrtNodeBackendOptions = {},
): Promise<OrtBackend> {
  const providers = options.providers ?? ['cpu'];
  const canFallBack = providers.length > 1 && providers.includes('cpu') && providers[0] !== 'cpu';
  return createOrtBackend(ort, models, {
    name: 'ort-node',
    providers,
    ...(canFallBack ? { fallbackProviders: ['cpu'] } : {}),
    ...(options.intraOpNumThreads !== undefined
      ? {
          threads: options.intraOpNumThreads,
          sessionOptions: { intraOpNumThreads: options.intraOpNumThreads },
        }
      : {}),
    ...(options.eager !== undefined ? { eager: options.eager } : {}),
    ...(options.maxBatch !== undefined ? { maxBatch: options.maxBatch } : {}),
    ...(options.logger ? { logger: options.logger } : {}),
  });
}

export type {
  BackendLogger,
  ModelSource,
  OrtBackend,
  OrtBackendInfo,
  OrtModelSources,
} from './ort-common.ts';
