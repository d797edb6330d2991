/** The OpenAPI 3.1 document, generated from the route table and its zod schemas. */
import { z } from 'zod';
import { ROUTES, type RouteDoc } from './routes/table.ts';
import { errorResponse } from './schemas.ts';

type Json = Record<string, unknown>;

const STATUS_TEXT: Record<number, string> = {
  304: 'not modified (ETag matched)',
  400: 'invalid request',
  401: 'missing or invalid API key',
  403: 'not allowed for this key, origin or tenant',
  404: 'not found',
  409: 'conflict with the current state',
  413: 'body or image too large',
  415: 'unsupported content type or image format',
  429: 'rate limit or quota exceeded',
  500: 'internal error',
  501: 'not supported by this deployment',
  503: 'a dependency is unavailable; retry later',
};

function schemaOf(schema: z.ZodType, io: 'input' | 'output'): Json {
  const json = z.toJSONSchema(schema, { io, unrepresentable: 'any', target: 'draft-2020-12' }) as Json;
  delete json.$schema;
  return json;
}

function pathParameters(path: string): Json[] {
  return [...path.matchAll(/\{(\w+)\}/g)].map((m) => ({
    name: m[1],
    in: 'path',
    required: true,
    schema: { type: 'string' },
  }));
}

function operation(route: RouteDoc): Json {
  const op: Json = {
    operationId: route.operationId,
    summary: route.summary,
    parameters: pathParameters(route.path),
  };
  for (const [name, description] of Object.entries(route.query ?? {})) {
    (op.parameters as Json[]).push({
      name,
      in: 'query',
      required: false,
      description,
      schema: { type: 'string' },
    });
  }
  if (route.operationId === 'submitJob') {
    (op.parameters as Json[]).push({
      name: 'Idempotency-Key',
      in: 'header',
      required: false,
      description: 'same key and body → the same job; same key, other body → 409',
      schema: { type: 'string', maxLength: 255 },
    });
  }
  const content: Json = {};
  if (route.json) content['application/json'] = { schema: schemaOf(route.json, 'input') };
  for (const type of route.raw ?? []) content[type] = { schema: { type: 'string', contentMediaType: type } };
  if (Object.keys(content).length > 0) op.requestBody = { required: true, content };

  const ok = route.success;
  const okContent = ok.schema
    ? { 'application/json': { schema: schemaOf(ok.schema, 'output') } }
    : ok.sse
      ? { 'text/event-stream': { schema: { type: 'string' } } }
      : {
          [ok.binary ?? 'application/octet-stream']: {
            schema: { type: 'string', contentMediaType: ok.binary },
          },
        };
  const responses: Json = { [String(ok.status)]: { description: ok.description, content: okContent } };
  const errors = new Set<number>(route.errors);
  if (route.access !== 'public') for (const s of [401, 429]) errors.add(s);
  errors.add(500);
  for (const status of [...errors].sort()) {
    responses[String(status)] =
      status === 304
        ? { description: STATUS_TEXT[304] }
        : {
            description: STATUS_TEXT[status] ?? 'error',
            content: { 'application/json': { schema: { $ref: '#/components/schemas/Error' } } },
          };
  }
  op.responses = responses;
  if (route.access === 'public') op.security = [];
  else if (route.access === 'secret') op.security = [{ secretKey: [] }];
  else op.security = [{ secretKey: [] }, { publishableKey: [] }];
  return op;
}

export function buildOpenApiDocument(opts: { serverUrl?: string; version?: string } = {}): Json {
  const paths: Record<string, Json> = {};
  for (const route of ROUTES as readonly RouteDoc[]) {
    paths[route.path] ??= {};
    paths[route.path][route.method.toLowerCase()] = operation(route);
  }
  return {
    openapi: '3.1.0',
    info: {
      title: 'diffae-edge API',
      version: opts.version ?? '1.0.0',
      description:
        'Instant DiffAE encodes and edit previews, and the front door for full-quality render jobs. Errors are `{ error: { code, message } }`.',
    },
    ...(opts.serverUrl ? { servers: [{ url: opts.serverUrl }] } : {}),
    paths,
    components: {
      schemas: { Error: schemaOf(errorResponse, 'output') },
      securitySchemes: {
        secretKey: { type: 'http', scheme: 'bearer', description: 'secret key sk_… (servers only)' },
        publishableKey: {
          type: 'http',
          scheme: 'bearer',
          description:
            'publishable key pk_… (browsers; listed origins; encode, preview, uploads, jobs submit/status/events)',
        },
      },
    },
  };
}
