import type { DeployOptions, WorkerProfile } from './stage.ts';
import { JOB_MAX_RECEIVES, JOB_VISIBILITY_TIMEOUT_SECONDS } from './storage.ts';

export const WORKER_CONTAINER = 'worker';
export const WORKER_DOCKERFILE = 'packages/gpu-worker/Dockerfile';

export interface NameValue {
  name: string;
  value: $util.Input<string>;
}

interface WorkerEnvironmentInputs {
  options: DeployOptions;
  bucketName: $util.Input<string>;
  queueUrl: $util.Input<string>;
}

/**
 * Environment of the worker container. `SST_RESOURCE_*` mirror what `link` would write, so
 * `Resource.Storage.name` / `Resource.Jobs.url` from `sst` work in the container as under `sst dev`.
 */
export function workerEnvironment({ options, bucketName, queueUrl }: WorkerEnvironmentInputs): NameValue[] {
  return [
    { name: 'DIFFAE_STORAGE', value: $interpolate`s3://${bucketName}` },
    { name: 'DIFFAE_QUEUE', value: queueUrl },
    // The worker's config (packages/gpu-worker/src/config.ts) names the default model DIFFAE_MODEL.
    { name: 'DIFFAE_MODEL', value: options.modelId },
    { name: 'DIFFAE_EXECUTION_PROVIDERS', value: options.worker.executionProviders },
    // Must match the queue: the worker extends visibility and counts receives against these.
    { name: 'DIFFAE_VISIBILITY_TIMEOUT', value: String(JOB_VISIBILITY_TIMEOUT_SECONDS) },
    { name: 'DIFFAE_MAX_RECEIVES', value: String(JOB_MAX_RECEIVES) },
    { name: 'SST_RESOURCE_App', value: JSON.stringify({ name: $app.name, stage: $app.stage }) },
    {
      name: 'SST_RESOURCE_Storage',
      value: $jsonStringify($output({ name: bucketName, type: 'sst.aws.Bucket' })),
    },
    { name: 'SST_RESOURCE_Jobs', value: $jsonStringify($output({ url: queueUrl, type: 'sst.aws.Queue' })) },
  ];
}

/** Where `docker push` goes (docs/deploy.md); DIFFAE_WORKER_IMAGE overrides the image. */
export function createRepository(options: DeployOptions) {
  return new aws.ecr.Repository('WorkerRepository', {
    name: `${$app.name}-${$app.stage}-worker`,
    imageTagMutability: 'MUTABLE',
    imageScanningConfiguration: { scanOnPush: true },
    forceDelete: !options.production,
  });
}

export function createLogGroup(options: DeployOptions) {
  return new aws.cloudwatch.LogGroup('WorkerLogs', {
    name: `/diffae/${$app.stage}/worker`,
    retentionInDays: options.production ? 30 : 7,
  });
}

/** The webhook secret reaches the container as an ECS secret, not as plain task-definition text. */
export function createWebhookSecretParameter(secret: sst.Secret) {
  return new aws.ssm.Parameter('WorkerWebhookSecret', {
    name: `/${$app.name}/${$app.stage}/webhook-secret`,
    type: 'SecureString',
    value: secret.value,
  });
}

interface ContainerInputs {
  profile: WorkerProfile;
  image: $util.Input<string>;
  environment: NameValue[];
  webhookSecretArn: $util.Input<string>;
  logGroupName: $util.Input<string>;
  region: $util.Input<string>;
}

export function workerContainer({
  profile,
  image,
  environment,
  webhookSecretArn,
  logGroupName,
  region,
}: ContainerInputs) {
  return {
    name: WORKER_CONTAINER,
    image,
    essential: true,
    cpu: profile.cpu,
    memoryReservation: profile.memoryReservationMiB,
    ...(profile.kind === 'gpu' ? { resourceRequirements: [{ type: 'GPU', value: '1' }] } : {}),
    environment,
    secrets: [{ name: 'DIFFAE_WEBHOOK_SECRET', valueFrom: webhookSecretArn }],
    stopTimeout: 120,
    logConfiguration: {
      logDriver: 'awslogs',
      options: { 'awslogs-group': logGroupName, 'awslogs-region': region, 'awslogs-stream-prefix': 'worker' },
    },
  };
}

interface TaskInputs {
  container: ReturnType<typeof workerContainer>;
  executionRoleArn: $util.Input<string>;
  taskRoleArn: $util.Input<string>;
}

export function createTaskDefinition({ container, executionRoleArn, taskRoleArn }: TaskInputs) {
  return new aws.ecs.TaskDefinition('WorkerTask', {
    family: `${$app.name}-${$app.stage}-worker`,
    requiresCompatibilities: ['EC2'],
    networkMode: 'bridge',
    executionRoleArn,
    taskRoleArn,
    containerDefinitions: $jsonStringify($output([container])),
  });
}

interface ServiceInputs {
  cluster: aws.ecs.Cluster;
  taskDefinition: aws.ecs.TaskDefinition;
  capacityProviderName: $util.Input<string>;
  clusterCapacity: aws.ecs.ClusterCapacityProviders;
}

/** Starts at 0 tasks; the scaling policies (worker-scaling.ts) own the desired count from then on. */
export function createService({
  cluster,
  taskDefinition,
  capacityProviderName,
  clusterCapacity,
}: ServiceInputs) {
  return new aws.ecs.Service(
    'WorkerService',
    {
      cluster: cluster.arn,
      taskDefinition: taskDefinition.arn,
      desiredCount: 0,
      capacityProviderStrategies: [{ capacityProvider: capacityProviderName, weight: 1, base: 0 }],
      // One GPU per host: replace tasks in place instead of needing a spare host during deploys.
      deploymentMinimumHealthyPercent: 0,
      deploymentMaximumPercent: 100,
      deploymentCircuitBreaker: { enable: true, rollback: true },
      placementConstraints: [{ type: 'distinctInstance' }],
    },
    { ignoreChanges: ['desiredCount'], dependsOn: [clusterCapacity] },
  );
}
