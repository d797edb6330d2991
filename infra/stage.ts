/**
 * Deployment options of one stage, read from the stage name and environment variables.
 *
 * Pure: no Pulumi or SST imports, so it is unit-tested directly and usable from `app()`.
 * Every environment variable is documented in docs/deploy.md ("Stage options").
 */

export type WorkerKind = 'gpu' | 'cpu';

export interface WorkerProfile {
  kind: WorkerKind;
  instanceType: string;
  /** SSM parameter holding the ECS-optimised AMI id for this kind. */
  amiParameter: string;
  /** CPU units (1024 = one vCPU) and soft memory limit reserved for the worker container. */
  cpu: number;
  memoryReservationMiB: number;
  /** Value of DIFFAE_EXECUTION_PROVIDERS inside the container. */
  executionProviders: string;
  /** Upper bound of the ECS service's desired count (and the auto-scaling group's size). */
  maxWorkers: number;
}

export interface DeployOptions {
  stage: string;
  production: boolean;
  modelId: string;
  /** Explicit worker image URI; undefined means `<ECR repository URL>:latest`. */
  workerImage: string | undefined;
  /** Extra browser origins allowed to PUT presigned uploads (the router's own URL is always allowed). */
  allowedOrigins: string[];
  uploadsExpiryDays: number;
  resultsExpiryDays: number;
  cacheExpiryDays: number;
  /** Minutes the queue must stay empty (visible + in flight) before workers scale in to zero. */
  scaleInIdleMinutes: number;
  worker: WorkerProfile;
}

export type Env = Readonly<Record<string, string | undefined>>;

export const PRODUCTION_STAGES: readonly string[] = ['production', 'prod'];

export const GPU_AMI_PARAMETER = '/aws/service/ecs/optimized-ami/amazon-linux-2023/gpu/recommended/image_id';
export const CPU_AMI_PARAMETER = '/aws/service/ecs/optimized-ami/amazon-linux-2023/recommended/image_id';

/** Instance types whose ECS resources we size the container for (vCPU, MiB of memory, GPUs). */
const INSTANCE_SIZES: Readonly<Record<string, { vcpu: number; memoryMiB: number; gpus: number }>> = {
  'g5.xlarge': { vcpu: 4, memoryMiB: 16384, gpus: 1 },
  'g5.2xlarge': { vcpu: 8, memoryMiB: 32768, gpus: 1 },
  'g6.xlarge': { vcpu: 4, memoryMiB: 16384, gpus: 1 },
  'g6.2xlarge': { vcpu: 8, memoryMiB: 32768, gpus: 1 },
  'g4dn.xlarge': { vcpu: 4, memoryMiB: 16384, gpus: 1 },
  'c7i.large': { vcpu: 2, memoryMiB: 4096, gpus: 0 },
  'c7i.xlarge': { vcpu: 4, memoryMiB: 8192, gpus: 0 },
  'c7i.2xlarge': { vcpu: 8, memoryMiB: 16384, gpus: 0 },
  'm7i.large': { vcpu: 2, memoryMiB: 8192, gpus: 0 },
  'm7i.xlarge': { vcpu: 4, memoryMiB: 16384, gpus: 0 },
};

const DEFAULT_INSTANCE: Record<WorkerKind, string> = { gpu: 'g5.xlarge', cpu: 'c7i.xlarge' };
const DEFAULT_MAX_WORKERS: Record<WorkerKind, number> = { gpu: 2, cpu: 1 };
/** Headroom left to the ECS agent, Docker and the OS on each host. */
const HOST_RESERVED_CPU_UNITS = 512;
const HOST_RESERVED_MEMORY_MIB = 2048;

const MODEL_ID = /^[a-z0-9][a-z0-9._-]*$/;
const ORIGIN = /^https?:\/\/[A-Za-z0-9.-]+(:\d{1,5})?$/;
const IMAGE_URI = /^[a-z0-9][a-z0-9.-]*(:\d+)?\/[a-z0-9._/-]+(:[A-Za-z0-9._-]+|@sha256:[a-f0-9]{64})?$/;

export class DeployOptionsError extends Error {
  override name = 'DeployOptionsError';
}

export function isProductionStage(stage: string): boolean {
  return PRODUCTION_STAGES.includes(stage);
}

function nonEmpty(env: Env, name: string): string | undefined {
  const value = env[name]?.trim();
  return value ? value : undefined;
}

function positiveInt(env: Env, name: string, fallback: number, max: number): number {
  const raw = nonEmpty(env, name);
  if (raw === undefined) return fallback;
  const value = Number(raw);
  if (!/^\d+$/.test(raw) || !Number.isSafeInteger(value) || value < 1 || value > max) {
    throw new DeployOptionsError(`${name} must be an integer in 1..${max}, got ${JSON.stringify(raw)}`);
  }
  return value;
}

function workerKind(env: Env, production: boolean): WorkerKind {
  const raw = nonEmpty(env, 'DIFFAE_WORKER');
  if (raw === undefined) return production ? 'gpu' : 'cpu';
  if (raw === 'gpu' || raw === 'cpu') return raw;
  throw new DeployOptionsError(`DIFFAE_WORKER must be "gpu" or "cpu", got ${JSON.stringify(raw)}`);
}

function workerProfile(env: Env, kind: WorkerKind): WorkerProfile {
  const instanceType = nonEmpty(env, 'DIFFAE_WORKER_INSTANCE_TYPE') ?? DEFAULT_INSTANCE[kind];
  const size = INSTANCE_SIZES[instanceType];
  if (!size) {
    const known = Object.keys(INSTANCE_SIZES).join(', ');
    throw new DeployOptionsError(
      `DIFFAE_WORKER_INSTANCE_TYPE ${JSON.stringify(instanceType)} is not a known size (one of: ${known})`,
    );
  }
  if (kind === 'gpu' && size.gpus === 0) {
    throw new DeployOptionsError(`DIFFAE_WORKER=gpu needs a GPU instance type, ${instanceType} has no GPU`);
  }
  return {
    kind,
    instanceType,
    amiParameter: kind === 'gpu' ? GPU_AMI_PARAMETER : CPU_AMI_PARAMETER,
    cpu: size.vcpu * 1024 - HOST_RESERVED_CPU_UNITS,
    memoryReservationMiB: size.memoryMiB - HOST_RESERVED_MEMORY_MIB,
    executionProviders: kind === 'gpu' ? 'cuda,cpu' : 'cpu',
    maxWorkers: positiveInt(env, 'DIFFAE_WORKER_MAX', DEFAULT_MAX_WORKERS[kind], 50),
  };
}

function allowedOrigins(env: Env): string[] {
  const raw = nonEmpty(env, 'DIFFAE_ALLOWED_ORIGINS');
  if (raw === undefined) return [];
  const origins = raw
    .split(',')
    .map((origin) => origin.trim())
    .filter(Boolean);
  for (const origin of origins) {
    if (!ORIGIN.test(origin)) {
      throw new DeployOptionsError(
        `DIFFAE_ALLOWED_ORIGINS entries must look like https://host[:port] without a path, got ${JSON.stringify(origin)}`,
      );
    }
  }
  return origins;
}

function modelId(env: Env): string {
  const id = nonEmpty(env, 'DIFFAE_MODEL_ID') ?? 'facesynth64';
  if (!MODEL_ID.test(id)) {
    throw new DeployOptionsError(`DIFFAE_MODEL_ID must match ${MODEL_ID}, got ${JSON.stringify(id)}`);
  }
  return id;
}

function workerImage(env: Env): string | undefined {
  const image = nonEmpty(env, 'DIFFAE_WORKER_IMAGE');
  if (image !== undefined && !IMAGE_URI.test(image)) {
    throw new DeployOptionsError(
      `DIFFAE_WORKER_IMAGE must be a registry image URI (registry/repository[:tag|@sha256:digest]), got ${JSON.stringify(image)}`,
    );
  }
  return image;
}

export function resolveDeployOptions(stage: string, env: Env): DeployOptions {
  if (!stage) throw new DeployOptionsError('the stage name is empty');
  const production = isProductionStage(stage);
  return {
    stage,
    production,
    modelId: modelId(env),
    workerImage: workerImage(env),
    allowedOrigins: allowedOrigins(env),
    uploadsExpiryDays: positiveInt(env, 'DIFFAE_UPLOADS_EXPIRY_DAYS', 1, 365),
    resultsExpiryDays: positiveInt(env, 'DIFFAE_RESULTS_EXPIRY_DAYS', 30, 3650),
    cacheExpiryDays: positiveInt(env, 'DIFFAE_CACHE_EXPIRY_DAYS', 30, 3650),
    scaleInIdleMinutes: positiveInt(env, 'DIFFAE_SCALE_IN_IDLE_MINUTES', 15, 1440),
    worker: workerProfile(env, workerKind(env, production)),
  };
}
