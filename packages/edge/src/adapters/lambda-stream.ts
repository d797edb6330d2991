/**
 * Lambda entry with response streaming (Function URL, invoke mode RESPONSE_STREAM), so that
 * GET /v1/jobs/:id/events streams. Needs the Lambda runtime's `awslambda` global at import time.
 */
import { streamHandle } from 'hono/aws-lambda';
import { lazyApp } from './lambda.ts';

export const handler = streamHandle(lazyApp);
