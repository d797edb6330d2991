// @diffae/edge: the edge API (runtime-agnostic; adapters under ./adapters).
export { createApp, type EdgeApp } from './app.ts';
export type * from './deps.ts';
export { DEFAULT_LIMITS } from './deps.ts';
export { ApiError } from './errors.ts';
export { apiKeyRecord, createApiKey, createKeyStore, keyId, parseApiKeys, sha256Hex } from './keys.ts';
export { buildOpenApiDocument } from './openapi.ts';
export { createMemoryRateLimiter } from './rate-limit.ts';
export { createModelRegistry, lazyBackend } from './registry.ts';
export { ROUTES } from './routes/table.ts';
export { jsonLogger, randomIds, systemClock } from './runtime.ts';
export { serialBackend } from './serial-backend.ts';
