/**
 * What the widget needs from the edge API, as one interface so the panels never touch HTTP. The
 * implementation (`edge-api.ts`) goes through the edge's typed client.
 */
import type { Edit, JobSpec, JobStatus } from '@diffae/shared';
import type { ResultLink } from './events.ts';

export interface ModelSummary {
  id: string;
  version: string;
  description: string;
  imageSize: number;
  zDim: number;
  attributes: string[];
  /** The bundle ships a lite encoder the browser may download. */
  liteEncoder: boolean;
}

export interface PreviewRequest {
  model: string;
  /** Storage key of the uploaded image (the server inverts it for the stochastic code). */
  image: string;
  /** The image's z when already known (skips the server's semantic encode). */
  z?: Float32Array;
  edits: Edit[];
}

export interface PreviewResult {
  png: Blob;
  z: Float32Array;
  scores: Record<string, number>;
}

/** An error answered by the API: its `error.code` and `error.message`. */
export class EditorApiError extends Error {
  override readonly name = 'EditorApiError';
  constructor(
    readonly code: string,
    message: string,
    readonly status = 0,
  ) {
    super(message);
  }
}

export interface EditorApi {
  /** Base URL of onnxruntime-web's wasm files. */
  readonly ortAssetBase: string;
  model(ref: string | undefined, signal?: AbortSignal): Promise<ModelSummary>;
  /** The lite encoder's bytes, or null when the bundle has none. */
  liteEncoder(ref: string): Promise<Uint8Array | null>;
  /** Stores an image; returns its storage key for jobs. */
  upload(bytes: Uint8Array, contentType: string): Promise<string>;
  encode(model: string, image: string): Promise<Float32Array>;
  preview(req: PreviewRequest, signal?: AbortSignal): Promise<PreviewResult>;
  submitJob(spec: JobSpec, idempotencyKey: string): Promise<string>;
  /** Follows the job's server-sent events until it ends; resolves with the final status. */
  watchJob(jobId: string, onStatus: (s: JobStatus) => void, signal?: AbortSignal): Promise<JobStatus>;
  results(jobId: string): Promise<ResultLink[]>;
  cancelJob(jobId: string): Promise<void>;
}
