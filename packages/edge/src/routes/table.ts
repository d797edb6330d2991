/**
 * Every /v1 route in one table: method, path, who may call it, and its request/response schemas.
 * The app registers handlers from this table and the OpenAPI document is generated from it, so the
 * two cannot drift apart.
 */
import type { z } from 'zod';
import type { Access } from '../auth.ts';
import { IMAGE_CONTENT_TYPES } from '../images.ts';
import * as s from '../schemas.ts';

export interface RouteDoc {
  operationId: string;
  method: 'GET' | 'POST';
  /** OpenAPI style: /v1/jobs/{id}. */
  path: string;
  summary: string;
  access: Access;
  /** JSON request body. */
  json?: z.ZodType;
  /** Raw request body content types (binary). */
  raw?: readonly string[];
  /** Query parameters (name → description). */
  query?: Record<string, string>;
  /** Success status and body; `binary`: a file of that content type; `sse`: an event stream. */
  success: { status: number; description: string; schema?: z.ZodType; binary?: string; sse?: boolean };
  /** Error statuses this route can answer with (besides 401/429/500 for keyed routes). */
  errors: number[];
}

const image = IMAGE_CONTENT_TYPES;

export const ROUTES = [
  {
    operationId: 'listModels',
    method: 'GET',
    path: '/v1/models',
    summary: 'Models this server can encode and preview with',
    access: 'public',
    success: { status: 200, description: 'the models', schema: s.modelList },
    errors: [],
  },
  {
    operationId: 'getModel',
    method: 'GET',
    path: '/v1/models/{id}',
    summary: 'Manifest summary of a model ("id" or "id@version")',
    access: 'public',
    success: { status: 200, description: 'the model', schema: s.modelSummary },
    errors: [404],
  },
  {
    operationId: 'getLiteEncoder',
    method: 'GET',
    path: '/v1/models/{id}/lite-encoder.onnx',
    summary: 'The lite encoder ONNX file for in-browser encodes (immutable when addressed as id@version)',
    access: 'public',
    success: { status: 200, description: 'ONNX model', binary: 'application/octet-stream' },
    errors: [304, 404],
  },
  {
    operationId: 'getClassifier',
    method: 'GET',
    path: '/v1/models/{id}/classifier.json',
    summary: 'The attribute classifier (classifier.json of the bundle)',
    access: 'public',
    success: { status: 200, description: 'classifier JSON', binary: 'application/json' },
    errors: [304, 404],
  },
  {
    operationId: 'getOrtAsset',
    method: 'GET',
    path: '/v1/assets/ort/{file}',
    summary: "onnxruntime-web's wasm/mjs files (allowlisted), for env.wasm.wasmPaths",
    access: 'public',
    success: { status: 200, description: 'the file', binary: 'application/wasm' },
    errors: [304, 404],
  },
  {
    operationId: 'createUpload',
    method: 'POST',
    path: '/v1/uploads',
    summary: 'A presigned PUT URL for a large image (the image is checked when it is first used)',
    access: 'any',
    json: s.uploadRequest,
    success: { status: 201, description: 'where to PUT the file', schema: s.presignedUpload },
    errors: [400, 413, 415, 501],
  },
  {
    operationId: 'uploadDirect',
    method: 'POST',
    path: '/v1/uploads/direct',
    summary: 'Upload a small image in the request body',
    access: 'any',
    raw: image,
    success: { status: 201, description: 'the stored image', schema: s.directUpload },
    errors: [400, 413, 415],
  },
  {
    operationId: 'encode',
    method: 'POST',
    path: '/v1/encode',
    summary: 'Semantic code z (lite encoder when the bundle has one) and attribute scores of an image',
    access: 'any',
    json: s.encodeRequest,
    raw: image,
    query: { model: 'model "id" or "id@version" (raw bodies; JSON bodies use the model field)' },
    success: { status: 200, description: 'z and scores', schema: s.encodeResponse },
    errors: [400, 403, 404, 413, 415],
  },
  {
    operationId: 'preview',
    method: 'POST',
    path: '/v1/preview',
    summary: 'Edited z, scores and (when the model allows it) a quick decoded preview PNG',
    access: 'any',
    json: s.previewRequest,
    success: { status: 200, description: 'the preview', schema: s.previewResponse },
    errors: [400, 403, 404, 413, 415],
  },
  {
    operationId: 'submitJob',
    method: 'POST',
    path: '/v1/jobs',
    summary: 'Queue a full-quality render job (honours Idempotency-Key)',
    access: 'any',
    json: s.jobSubmission,
    success: { status: 202, description: 'the job was queued', schema: s.jobAccepted },
    errors: [400, 403, 404, 409, 413, 415, 429, 503],
  },
  {
    operationId: 'getJob',
    method: 'GET',
    path: '/v1/jobs/{id}',
    summary: 'Status of a job of your tenant',
    access: 'any',
    success: { status: 200, description: 'the status document', schema: s.jobStatusResponse },
    errors: [400, 404],
  },
  {
    operationId: 'jobEvents',
    method: 'GET',
    path: '/v1/jobs/{id}/events',
    summary: 'Server-sent events: status and progress until the job ends (publishable keys may use ?key=)',
    access: 'any',
    query: { key: 'publishable key (EventSource cannot send headers)' },
    success: { status: 200, description: 'event stream: status, progress, end', sse: true },
    errors: [400, 404],
  },
  {
    operationId: 'getJobResult',
    method: 'GET',
    path: '/v1/jobs/{id}/result',
    summary: 'Presigned download links for every output of a succeeded job',
    access: 'any',
    success: { status: 200, description: 'output links', schema: s.jobResult },
    errors: [400, 403, 404, 409, 501],
  },
  {
    operationId: 'cancelJob',
    method: 'POST',
    path: '/v1/jobs/{id}/cancel',
    summary: 'Ask the worker to stop a job',
    access: 'any',
    success: { status: 202, description: 'cancellation requested', schema: s.cancelResponse },
    errors: [400, 403, 404, 409],
  },
] as const satisfies readonly RouteDoc[];

export type OperationId = (typeof ROUTES)[number]['operationId'];

export function honoPath(path: string): string {
  return path.replace(/\{(\w+)\}/g, ':$1');
}

/** Paths that need no key (CORS answers any origin for them). */
export function isPublicPath(path: string): boolean {
  return (
    path === '/openapi.json' ||
    path.startsWith('/v1/assets/') ||
    path === '/v1/models' ||
    path.startsWith('/v1/models/')
  );
}
