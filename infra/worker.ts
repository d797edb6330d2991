import type { AccessTargets } from './access.ts';
import type { DeployOptions } from './stage.ts';
import { createHosts } from './worker-hosts.ts';
import { createExecutionRole, createHostRole, createTaskRole } from './worker-iam.ts';
import { createWorkerScaling } from './worker-scaling.ts';
import {
  createLogGroup,
  createRepository,
  createService,
  createTaskDefinition,
  createWebhookSecretParameter,
  workerContainer,
  workerEnvironment,
} from './worker-task.ts';

interface WorkerInputs {
  options: DeployOptions;
  bucket: sst.aws.Bucket;
  jobs: sst.aws.Queue;
  webhookSecret: sst.Secret;
  access: AccessTargets<$util.Input<string>>;
}

/**
 * The queue worker as raw ECS-on-EC2 resources (`sst.aws.Service` is Fargate-only, without GPUs).
 * The same wiring serves the GPU profile and the cheap CPU-only profile (stage.ts).
 */
export function createWorker({ options, bucket, jobs, webhookSecret, access }: WorkerInputs) {
  const profile = options.worker;
  const vpc = new sst.aws.Vpc('WorkerVpc', { az: 2 });
  const cluster = new aws.ecs.Cluster('WorkerCluster', {
    settings: [{ name: 'containerInsights', value: 'disabled' }],
  });

  const repository = createRepository(options);
  const logGroup = createLogGroup(options);
  const secretParameter = createWebhookSecretParameter(webhookSecret);

  const hostRole = createHostRole();
  const executionRole = createExecutionRole({
    repositoryArn: repository.arn,
    logGroupArn: logGroup.arn,
    secretParameterArn: secretParameter.arn,
  });
  const taskRole = createTaskRole(access);

  const hosts = createHosts({
    profile,
    cluster,
    subnets: vpc.publicSubnets,
    vpcId: vpc.id,
    instanceProfileArn: hostRole.profile.arn,
  });

  const container = workerContainer({
    profile,
    image: options.workerImage ?? $interpolate`${repository.repositoryUrl}:latest`,
    environment: workerEnvironment({ options, bucketName: bucket.name, queueUrl: jobs.url }),
    webhookSecretArn: secretParameter.arn,
    logGroupName: logGroup.name,
    region: aws.getRegionOutput().region,
  });
  const taskDefinition = createTaskDefinition({
    container,
    executionRoleArn: executionRole.arn,
    taskRoleArn: taskRole.arn,
  });
  const service = createService({
    cluster,
    taskDefinition,
    capacityProviderName: hosts.capacityProvider.name,
    clusterCapacity: hosts.clusterCapacity,
  });
  const scaling = createWorkerScaling({
    clusterName: cluster.name,
    serviceName: service.name,
    queueName: jobs.nodes.queue.name,
    maxWorkers: profile.maxWorkers,
    idleMinutes: options.scaleInIdleMinutes,
  });
  return { repository, cluster, service, taskDefinition, hosts, scaling };
}

/** `sst dev` runs the worker on the developer's machine against the deployed bucket and queue. */
export function createLocalWorker(options: DeployOptions, bucket: sst.aws.Bucket, jobs: sst.aws.Queue) {
  return new sst.x.DevCommand('LocalWorker', {
    dev: { command: 'npm run worker -w packages/gpu-worker', title: 'worker', autostart: true },
    link: [bucket, jobs],
    environment: {
      DIFFAE_STORAGE: $interpolate`s3://${bucket.name}`,
      DIFFAE_QUEUE: jobs.url,
      DIFFAE_MODEL: options.modelId,
      // CUDA when the developer has it; the worker falls back to the CPU otherwise.
      DIFFAE_EXECUTION_PROVIDERS: 'cuda,cpu',
    },
  });
}
