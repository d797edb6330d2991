/**
 * What the edge keeps about jobs in the object store, next to the worker's status documents:
 * the submitting key of every job (publishable keys see only their own jobs) and Idempotency-Key
 * claims. Both live under `edge/`, which the worker never reads.
 */
import { type JobStatus, jobStatus, keys } from '../../shared/src/jobs.ts';
import type { ObjectStore } from '../../shared/src/ports.ts';
import type { Caller } from './context.ts';
import { ApiError } from './errors.ts';
import { sha256Hex } from './keys.ts';

export const edgeKeys = {
  owner: (jobId: string) => `edge/owners/${jobId}.json`,
  idempotency: (tenant: string, keyHash: string) => `edge/idempotency/${tenant}/${keyHash}.json`,
};

export const JOB_ID_PATTERN = /^[A-Za-z0-9_-]{8,64}$/;

interface OwnerRecord {
  tenant: string;
  keyId: string;
}

interface IdempotencyRecord {
  bodySha256: string;
  jobId: string;
}

async function readJson(store: ObjectStore, key: string): Promise<unknown | undefined> {
  const bytes = await store.get(key);
  if (!bytes) return undefined;
  try {
    return JSON.parse(new TextDecoder().decode(bytes));
  } catch {
    return undefined;
  }
}

export async function writeOwner(store: ObjectStore, jobId: string, caller: Caller): Promise<void> {
  const record: OwnerRecord = { tenant: caller.tenant, keyId: caller.keyId };
  await store.put(edgeKeys.owner(jobId), JSON.stringify(record), { contentType: 'application/json' });
}

export async function readStatus(store: ObjectStore, jobId: string): Promise<JobStatus | undefined> {
  const parsed = jobStatus.safeParse(await readJson(store, keys.status(jobId)));
  return parsed.success ? parsed.data : undefined;
}

/**
 * The job's status if the caller may see it: same tenant, and for publishable keys the same key.
 * Every other case is a 404, so job ids of other tenants cannot be probed.
 */
export async function authorizedStatus(
  store: ObjectStore,
  caller: Caller,
  jobId: string,
): Promise<JobStatus> {
  if (!JOB_ID_PATTERN.test(jobId))
    throw new ApiError(400, 'invalid_job_id', 'job ids are 8–64 letters, digits, _ or -');
  const notFound = new ApiError(404, 'job_not_found', `no job ${jobId}`);
  const status = await readStatus(store, jobId);
  if (!status || status.tenant !== caller.tenant) throw notFound;
  if (caller.kind === 'publishable') {
    const owner = (await readJson(store, edgeKeys.owner(jobId))) as OwnerRecord | undefined;
    if (owner?.keyId !== caller.keyId) throw notFound;
  }
  return status;
}

/** Stable JSON (sorted keys), so that the same body with other whitespace or key order matches. */
export function canonicalJson(value: unknown): string {
  if (Array.isArray(value)) return `[${value.map(canonicalJson).join(',')}]`;
  if (value !== null && typeof value === 'object') {
    const entries = Object.entries(value as Record<string, unknown>).sort(([a], [b]) =>
      a < b ? -1 : a > b ? 1 : 0,
    );
    return `{${entries.map(([k, v]) => `${JSON.stringify(k)}:${canonicalJson(v)}`).join(',')}}`;
  }
  return JSON.stringify(value);
}

export type IdempotencyClaim = { kind: 'new' } | { kind: 'replay'; jobId: string };

/**
 * Claims `idempotencyKey` for `jobId` (create-only write). A second claim with the same body returns the
 * first job; a different body is a 409.
 */
export async function claimIdempotencyKey(
  store: ObjectStore,
  tenant: string,
  idempotencyKey: string,
  body: unknown,
  jobId: string,
): Promise<IdempotencyClaim> {
  if (!/^[\x21-\x7e]{1,255}$/.test(idempotencyKey)) {
    throw new ApiError(
      400,
      'invalid_idempotency_key',
      'Idempotency-Key must be 1–255 visible ASCII characters',
    );
  }
  const key = edgeKeys.idempotency(tenant, await sha256Hex(idempotencyKey));
  const record: IdempotencyRecord = { bodySha256: await sha256Hex(canonicalJson(body)), jobId };
  try {
    await store.put(key, JSON.stringify(record), { contentType: 'application/json', ifNoneMatch: '*' });
    return { kind: 'new' };
  } catch (err) {
    if ((err as { code?: string }).code !== 'precondition_failed') throw err;
  }
  const existing = (await readJson(store, key)) as IdempotencyRecord | undefined;
  if (!existing)
    throw new ApiError(
      409,
      'idempotency_in_progress',
      'a request with this Idempotency-Key is being processed; retry',
    );
  if (existing.bodySha256 !== record.bodySha256) {
    throw new ApiError(
      409,
      'idempotency_conflict',
      'this Idempotency-Key was used with a different request body; use a new key',
    );
  }
  return { kind: 'replay', jobId: existing.jobId };
}

export async function releaseIdempotencyKey(
  store: ObjectStore,
  tenant: string,
  idempotencyKey: string,
): Promise<void> {
  await store.delete(edgeKeys.idempotency(tenant, await sha256Hex(idempotencyKey)));
}
