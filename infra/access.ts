/**
 * Least-privilege access of the edge and the worker to the bucket and the job queue.
 *
 * Pure: resources are built by callbacks so the same rules serve plain strings (tests) and Pulumi
 * outputs (the config). No statement has a `*` action or a `*` resource.
 */

/** Key prefixes of the one bucket (see docs/architecture.md). */
export const PREFIXES = {
  uploads: 'uploads/',
  results: 'results/',
  models: 'models/',
  cache: 'cache/',
  directions: 'directions/',
} as const;

export type Prefix = keyof typeof PREFIXES;
export type ObjectAccess = 'read' | 'readwrite';
export type AccessMap = Readonly<Partial<Record<Prefix, ObjectAccess>>>;

/** The edge presigns uploads and result downloads, writes saved directions, reads model manifests. */
export const EDGE_OBJECT_ACCESS: AccessMap = {
  uploads: 'readwrite',
  results: 'readwrite',
  directions: 'readwrite',
  models: 'read',
};

/** The worker reads inputs and models, writes results, its inversion cache and directions. */
export const WORKER_OBJECT_ACCESS: AccessMap = {
  uploads: 'read',
  results: 'readwrite',
  cache: 'readwrite',
  directions: 'readwrite',
  models: 'read',
};

export const EDGE_QUEUE_ACTIONS: readonly string[] = ['sqs:SendMessage', 'sqs:GetQueueAttributes'];
export const WORKER_QUEUE_ACTIONS: readonly string[] = [
  'sqs:ReceiveMessage',
  'sqs:DeleteMessage',
  'sqs:ChangeMessageVisibility',
  'sqs:GetQueueAttributes',
];

const OBJECT_ACTIONS: Record<ObjectAccess, readonly string[]> = {
  read: ['s3:GetObject'],
  readwrite: ['s3:GetObject', 's3:PutObject'],
};

export interface Statement<R> {
  actions: string[];
  resources: R[];
}

export interface AccessTargets<R> {
  bucketArn: R;
  /** ARN of every object under `prefix` (`<bucket arn>/<prefix>*`). */
  objectsUnder: (prefix: string) => R;
  queueArn: R;
}

/**
 * Object statements, one per access level, plus `s3:ListBucket` on the bucket itself: without it S3
 * answers a GET or HEAD of a missing key with 403 instead of 404, and `ObjectStore.get/head` could not
 * return `null` for a cache miss or a job whose upload never arrived.
 */
export function bucketStatements<R>(access: AccessMap, targets: AccessTargets<R>): Statement<R>[] {
  const statements: Statement<R>[] = [];
  for (const level of ['read', 'readwrite'] as const) {
    const prefixes = (Object.keys(access) as Prefix[]).filter((prefix) => access[prefix] === level);
    if (prefixes.length === 0) continue;
    statements.push({
      actions: [...OBJECT_ACTIONS[level]],
      resources: prefixes.map((prefix) => targets.objectsUnder(PREFIXES[prefix])),
    });
  }
  statements.push({ actions: ['s3:ListBucket'], resources: [targets.bucketArn] });
  return statements;
}

export function queueStatement<R>(actions: readonly string[], targets: AccessTargets<R>): Statement<R> {
  return { actions: [...actions], resources: [targets.queueArn] };
}

export function edgeStatements<R>(targets: AccessTargets<R>): Statement<R>[] {
  return [...bucketStatements(EDGE_OBJECT_ACCESS, targets), queueStatement(EDGE_QUEUE_ACTIONS, targets)];
}

export function workerStatements<R>(targets: AccessTargets<R>): Statement<R>[] {
  return [...bucketStatements(WORKER_OBJECT_ACCESS, targets), queueStatement(WORKER_QUEUE_ACTIONS, targets)];
}

/** IAM JSON policy document of allow statements. */
export function policyDocument<R>(statements: readonly Statement<R>[]) {
  return {
    Version: '2012-10-17',
    Statement: statements.map((statement) => ({
      Effect: 'Allow',
      Action: statement.actions,
      Resource: statement.resources,
    })),
  };
}
