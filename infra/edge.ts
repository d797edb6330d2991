import type { AccessTargets } from './access.ts';
import { edgeStatements } from './access.ts';
import type { DeployOptions } from './stage.ts';

export const EDGE_HANDLER = 'packages/edge/src/adapters/lambda.handler';
export const API_PATH = '/v1';
export const OPENAPI_PATH = '/openapi.json';

export function createSecrets() {
  return {
    /** Comma-separated API keys; list old and new keys together while rotating. */
    apiKeys: new sst.Secret('DiffaeApiKeys'),
    webhookSecret: new sst.Secret('DiffaeWebhookSecret'),
  };
}

export function createRouter() {
  return new sst.aws.Router('Router');
}

interface EdgeInputs {
  options: DeployOptions;
  router: sst.aws.Router;
  bucket: sst.aws.Bucket;
  jobs: sst.aws.Queue;
  secrets: ReturnType<typeof createSecrets>;
  access: AccessTargets<$util.Input<string>>;
}

/**
 * The Hono edge API as one Lambda function behind the router (`/v1/*` and `/openapi.json`).
 * Bucket and queue are not `link`ed: SST's default link grants `s3:*` and `sqs:*`; the function gets
 * their names through DIFFAE_* variables and the scoped statements of access.ts instead.
 */
export function createEdge({ options, router, bucket, jobs, secrets, access }: EdgeInputs) {
  const edge = new sst.aws.Function('Edge', {
    handler: EDGE_HANDLER,
    runtime: 'nodejs22.x',
    memory: '1536 MB',
    timeout: '30 seconds',
    url: true,
    // onnxruntime-web finds its .wasm files next to its own module: install it instead of bundling it.
    nodejs: { install: ['onnxruntime-web'] },
    link: [secrets.apiKeys, secrets.webhookSecret],
    permissions: edgeStatements(access),
    environment: {
      DIFFAE_STORAGE: $interpolate`s3://${bucket.name}`,
      DIFFAE_QUEUE: jobs.url,
      DIFFAE_MODEL_ID: options.modelId,
    },
  });
  router.route(API_PATH, edge.url);
  router.route(OPENAPI_PATH, edge.url);
  return edge;
}

/** The widget/demo site at the router's root; the API is on the same origin under /v1. */
export function createSite(router: sst.aws.Router) {
  return new sst.aws.StaticSite('Web', {
    path: 'packages/web',
    build: { command: 'npm run build', output: 'dist' },
    router: { instance: router },
    environment: { VITE_DIFFAE_API_BASE: API_PATH },
  });
}
