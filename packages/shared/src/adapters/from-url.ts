/**
 * Storage and queue from one URL each, so the worker and the edge are configured by environment:
 *
 *   DIFFAE_STORAGE = file:///var/lib/diffae/store
 *                  | s3://bucket/optional/prefix?region=eu-west-1[&endpoint=http://127.0.0.1:4566&forcePathStyle=true]
 *   DIFFAE_QUEUE   = sqlite:///var/lib/diffae/queue.db?maxReceives=5&visibilityTimeout=60[&queue=jobs]
 *                  | https://sqs.eu-west-1.amazonaws.com/123456789012/diffae-jobs[?endpoint=…&dlq=<url>]
 *                  | sqs://diffae-jobs?region=eu-west-1[&endpoint=…&account=123456789012]
 *   DIFFAE_LOCAL_SIGNING_SECRET, DIFFAE_PUBLIC_URL: let a file:// store presign URLs to the edge's
 *                  /v1/local-storage/ route (both needed; the edge and the worker must share the secret).
 *
 * AWS credentials come from the SDK's default chain (environment, profile, task role).
 */

import { fileURLToPath } from 'node:url';
import { GetQueueUrlCommand } from '@aws-sdk/client-sqs';
import type { JobQueue, ObjectStore } from '../ports.ts';
import { QueueError, StorageError } from './errors.ts';
import { FsObjectStore } from './fs-store.ts';
import { LocalSigner } from './local-signer.ts';
import { S3ObjectStore, type S3ObjectStoreOptions } from './s3-store.ts';
import { openSqliteQueue, type SqliteQueueOptions } from './sqlite-queue.ts';
import { createSqsClient, SqsQueue, type SqsQueueOptions } from './sqs-queue.ts';

type AwsCredentials = S3ObjectStoreOptions['credentials'] & SqsQueueOptions['credentials'];

export interface OpenStoreOptions {
  /** Signer for file:// stores (presigned URLs to the local route). */
  signer?: LocalSigner;
  /** Explicit AWS credentials instead of the default chain. */
  credentials?: AwsCredentials;
}

export interface OpenQueueOptions {
  credentials?: AwsCredentials;
}

type Env = Record<string, string | undefined>;

function parseUrl(url: string, what: string, fail: (m: string) => Error): URL {
  try {
    return new URL(url);
  } catch {
    throw fail(`${what} is not a URL: ${JSON.stringify(url)}`);
  }
}

/** Query parameters as a record, refusing any not in `allowed` (typos should not pass silently). */
function params(url: URL, allowed: readonly string[], fail: (m: string) => Error): Record<string, string> {
  const out: Record<string, string> = {};
  for (const [k, v] of url.searchParams) {
    if (!allowed.includes(k))
      throw fail(`unknown parameter "${k}" in ${url.protocol} URL (allowed: ${allowed.join(', ')})`);
    out[k] = v;
  }
  return out;
}

function numberParam(
  p: Record<string, string>,
  name: string,
  fail: (m: string) => Error,
): number | undefined {
  if (p[name] === undefined) return undefined;
  const n = Number(p[name]);
  if (!Number.isFinite(n)) throw fail(`parameter ${name} must be a number, got ${JSON.stringify(p[name])}`);
  return n;
}

const storageFail = (m: string) => new StorageError('invalid_argument', m);
const queueFail = (m: string) => new QueueError('invalid_argument', m);

export async function openStore(url: string, opts: OpenStoreOptions = {}): Promise<ObjectStore> {
  const u = parseUrl(url, 'storage URL', storageFail);
  if (u.protocol === 'file:') {
    params(u, [], storageFail);
    if (u.host !== '') throw storageFail(`file:// storage URL must have an empty host: ${url}`);
    return new FsObjectStore({ root: fileURLToPath(u), ...(opts.signer && { signer: opts.signer }) });
  }
  if (u.protocol === 's3:') {
    const p = params(u, ['endpoint', 'region', 'forcePathStyle'], storageFail);
    const path = decodeURIComponent(u.pathname).replace(/^\/+/, '').replace(/\/+$/, '');
    const store: S3ObjectStoreOptions = { bucket: u.hostname, prefix: path === '' ? '' : `${path}/` };
    if (p.endpoint !== undefined) store.endpoint = p.endpoint;
    if (p.region !== undefined) store.region = p.region;
    if (p.forcePathStyle !== undefined || p.endpoint !== undefined)
      store.forcePathStyle = p.forcePathStyle !== 'false';
    if (opts.credentials) store.credentials = opts.credentials;
    return new S3ObjectStore(store);
  }
  throw storageFail(
    `unsupported storage URL scheme ${u.protocol} (use file:///abs/path or s3://bucket/prefix)`,
  );
}

/** Region from an AWS queue URL host (`sqs.<region>.amazonaws.com`). */
function regionFromHost(host: string): string | undefined {
  return /^sqs\.([a-z0-9-]+)\.amazonaws\.com/.exec(host)?.[1];
}

export async function openQueue(url: string, opts: OpenQueueOptions = {}): Promise<JobQueue> {
  const u = parseUrl(url, 'queue URL', queueFail);
  if (u.protocol === 'sqlite:') {
    const p = params(
      u,
      ['queue', 'maxReceives', 'visibilityTimeout', 'deadLetterQueue', 'pollIntervalMs'],
      queueFail,
    );
    if (u.host !== '')
      throw queueFail(`sqlite:// queue URL needs an absolute path (sqlite:///abs/file.db): ${url}`);
    const q: SqliteQueueOptions = { path: decodeURIComponent(u.pathname) };
    if (p.queue !== undefined) q.queue = p.queue;
    if (p.deadLetterQueue !== undefined) q.deadLetterQueue = p.deadLetterQueue;
    if (p.maxReceives !== undefined)
      q.maxReceives = p.maxReceives === 'none' ? null : numberParam(p, 'maxReceives', queueFail);
    const vt = numberParam(p, 'visibilityTimeout', queueFail);
    if (vt !== undefined) q.visibilityTimeout = vt;
    const poll = numberParam(p, 'pollIntervalMs', queueFail);
    if (poll !== undefined) q.pollIntervalMs = poll;
    return openSqliteQueue(q);
  }
  if (u.protocol === 'https:' || u.protocol === 'http:' || u.protocol === 'sqs:') {
    const p = params(
      u,
      ['endpoint', 'region', 'dlq', ...(u.protocol === 'sqs:' ? ['account'] : [])],
      queueFail,
    );
    const region = p.region ?? regionFromHost(u.host);
    const clientOpts = {
      ...(p.endpoint !== undefined && { endpoint: p.endpoint }),
      ...(region !== undefined && { region }),
      ...(opts.credentials && { credentials: opts.credentials }),
    };
    let queueUrl = `${u.origin}${u.pathname}`;
    const client = createSqsClient(clientOpts);
    if (u.protocol === 'sqs:') {
      try {
        const res = await client.send(
          new GetQueueUrlCommand({
            QueueName: u.hostname,
            ...(p.account && { QueueOwnerAWSAccountId: p.account }),
          }),
        );
        queueUrl = res.QueueUrl ?? '';
      } catch (err) {
        client.destroy();
        throw new QueueError('queue_unavailable', `cannot resolve SQS queue ${u.hostname}: ${String(err)}`, {
          cause: err,
        });
      }
    }
    return new SqsQueue({
      queueUrl,
      client,
      closeClient: true,
      ...(p.dlq !== undefined && { deadLetterQueueUrl: p.dlq }),
    });
  }
  throw queueFail(
    `unsupported queue URL scheme ${u.protocol} (use sqlite:///abs/file.db, https://sqs…, or sqs://name)`,
  );
}

/** `LocalSigner` from DIFFAE_LOCAL_SIGNING_SECRET + DIFFAE_PUBLIC_URL, or undefined when unset. */
export function localSignerFromEnv(env: Env = process.env): LocalSigner | undefined {
  const secret = env.DIFFAE_LOCAL_SIGNING_SECRET;
  const baseUrl = env.DIFFAE_PUBLIC_URL;
  if (!secret && !baseUrl) return undefined;
  if (!secret || !baseUrl) {
    throw storageFail('set both DIFFAE_LOCAL_SIGNING_SECRET and DIFFAE_PUBLIC_URL (or neither)');
  }
  return new LocalSigner(secret, baseUrl);
}

export async function storeFromEnv(env: Env = process.env): Promise<ObjectStore> {
  const url = env.DIFFAE_STORAGE;
  if (!url) throw storageFail('DIFFAE_STORAGE is not set (file:///abs/path or s3://bucket/prefix)');
  const signer = localSignerFromEnv(env);
  return openStore(url, signer ? { signer } : {});
}

export async function queueFromEnv(env: Env = process.env): Promise<JobQueue> {
  const url = env.DIFFAE_QUEUE;
  if (!url)
    throw queueFail('DIFFAE_QUEUE is not set (sqlite:///abs/file.db?maxReceives=5 or an SQS queue URL)');
  return openQueue(url);
}
