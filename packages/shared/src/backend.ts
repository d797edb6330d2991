/**
 * The boundary between the pipelines and whatever runs the networks (onnxruntime-node, onnxruntime-web,
 * the worker's cross-job batcher, test fakes). See docs/architecture.md.
 */
import type { Tensor } from './tensor.ts';

export interface BackendInfo {
  /** e.g. "ort-node", "ort-web", "batcher". */
  readonly name: string;
  /** e.g. "cuda:0", "cpu", "webgpu", "wasm". */
  readonly device: string;
  /** Largest batch one network call should get; pipelines split larger batches. */
  readonly maxBatch?: number;
}

export interface DiffAEBackend {
  /** encoder.onnx: x [N,3,S,S] in [−1, 1] → z [N,Z]. */
  encode(x: Tensor): Promise<Tensor>;
  /** lite_encoder.onnx: same contract as `encode`, cheaper and approximate. */
  liteEncode?(x: Tensor): Promise<Tensor>;
  /** unet.onnx: x [N,3,S,S], t [N] (ORIGINAL timesteps 0..999, one per row), z [N,Z] → eps [N,3,S,S]. */
  eps(x: Tensor, t: Float32Array, z: Tensor): Promise<Tensor>;
  /** latent.onnx: x [N,Z] (normalised z), t [N] → eps [N,Z]. */
  latentEps?(x: Tensor, t: Float32Array): Promise<Tensor>;
  dispose(): Promise<void>;
  /** Optional description; `info.maxBatch` is the pipelines' default batch limit. */
  readonly info?: BackendInfo;
}
