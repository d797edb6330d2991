import { PREFIXES } from './access.ts';
import type { DeployOptions } from './stage.ts';

/** Local origins of `npm run dev -w packages/web` (Vite), allowed on non-production stages only. */
const DEV_ORIGINS = ['http://localhost:5173', 'http://127.0.0.1:5173'];

/**
 * The one bucket holding uploads/, results/, models/, cache/ and directions/. Browsers PUT presigned
 * uploads and GET presigned results directly, so CORS allows the router's origin and the configured
 * widget origins.
 */
export function createStorage(options: DeployOptions, siteOrigin: $util.Input<string>) {
  const origins = [siteOrigin, ...options.allowedOrigins, ...(options.production ? [] : DEV_ORIGINS)];
  return new sst.aws.Bucket('Storage', {
    cors: {
      allowOrigins: origins,
      allowMethods: ['PUT', 'GET', 'HEAD'],
      allowHeaders: ['content-type'],
      exposeHeaders: ['etag'],
      maxAge: '1 hour',
    },
    lifecycle: [
      { id: 'expire-uploads', prefix: PREFIXES.uploads, expiresIn: `${options.uploadsExpiryDays} days` },
      { id: 'expire-results', prefix: PREFIXES.results, expiresIn: `${options.resultsExpiryDays} days` },
      { id: 'expire-cache', prefix: PREFIXES.cache, expiresIn: `${options.cacheExpiryDays} days` },
    ],
  });
}

/** Job queue with a dead-letter queue: a job that fails 5 receives is parked for 14 days. */
export const JOB_VISIBILITY_TIMEOUT_SECONDS = 120;
export const JOB_MAX_RECEIVES = 5;
const DEAD_LETTER_RETENTION_SECONDS = 14 * 24 * 3600;

export function createQueues() {
  const deadLetters = new sst.aws.Queue('JobsDeadLetter', {
    transform: { queue: { messageRetentionSeconds: DEAD_LETTER_RETENTION_SECONDS } },
  });
  const jobs = new sst.aws.Queue('Jobs', {
    visibilityTimeout: `${JOB_VISIBILITY_TIMEOUT_SECONDS} seconds`,
    dlq: { queue: deadLetters.arn, retry: JOB_MAX_RECEIVES },
  });
  return { jobs, deadLetters };
}
