// @diffae/shared/node: Node-only parts (filesystem, onnxruntime-node).

export type {
  BackendLogger,
  ModelSource,
  OrtBackend,
  OrtBackendInfo,
  OrtModelSources,
} from '../backends/ort-common.ts';
export { createOrtNodeBackend, type OrtNodeBackendOptions } from '../backends/ort-node.ts';
export * from './bundle.ts'; // loadBundle, openBundleBackend, BundleError, sha256File
export { encodeGif } from './gif.ts'; // animated GIF of RGB frames
