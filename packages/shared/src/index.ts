// @diffae/shared main entry: runtime-agnostic (no node: imports, no Buffer, no onnxruntime).
// Kept in one alphabetical block (biome sorts exports); owners add their modules' lines here.
export type * from './backend.ts'; // DiffAEBackend, BackendInfo
export * from './bundle/manifest.ts'; // bundle format: parseManifest, ManifestError
export * from './classifier.ts'; // attribute classifier and manipulation
export * from './ddim.ts'; // DDIM update rules
export * from './image/index.ts'; // PNG/JPEG decode, Exif, PIL-compatible resize, image <-> tensor
export * from './interpolation.ts'; // lerp / slerp / alphas
export * from './jobs.ts'; // render-job schemas and the storage key layout
export * from './latent-stats.ts'; // latent_stats.json
export * from './npy.ts'; // .npy read/write
export * from './pipelines.ts'; // encode, render, reconstruct, manipulate, interpolate, varyStochastic, sample
export type * from './ports.ts'; // ObjectStore, JobQueue
export * from './prng.ts'; // seeded noise
export * from './sampler.ts'; // batched DDIM loop, progress, cancellation
export * from './schedule.ts'; // schedules and respacing
export * from './streams.ts'; // bounded body reading
export * from './tensor.ts'; // Tensor and helpers
export * from './webhooks.ts'; // signed webhook delivery
export * from './zod-issues.ts'; // validation message formatting
