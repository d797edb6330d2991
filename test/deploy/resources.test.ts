/**
 * Runs sst.config.ts under Pulumi mocks (harness/) for a production and a development stage and checks
 * the resources it registers. Needs `.sst/platform`: run scripts/sst/install-platform.sh first.
 */
import { beforeAll, describe, expect, it } from 'vitest';
import { MOCK_AMI_ID } from './harness/mocks.ts';
import { assertPlatformInstalled } from './harness/platform.ts';
import {
  actionsByResource,
  containerDefinitions,
  envMap,
  inlineStatements,
  input,
  ofType,
  resource,
  routerEntries,
  wildcards,
} from './harness/query.ts';
import type { RunResult } from './harness/run-config.ts';
import { synthesize, TEST_SECRETS } from './harness/synth.ts';

const GPU_AMI = '/aws/service/ecs/optimized-ami/amazon-linux-2023/gpu/recommended/image_id';
const CPU_AMI = '/aws/service/ecs/optimized-ami/amazon-linux-2023/recommended/image_id';
const CUSTOM_IMAGE = '123456789012.dkr.ecr.eu-west-1.amazonaws.com/custom-worker:v3';

let prod: RunResult;
let dev: RunResult;

beforeAll(async () => {
  assertPlatformInstalled();
  [prod, dev] = await Promise.all([
    synthesize({ stage: 'prod' }),
    synthesize({
      stage: 'dev',
      env: {
        DIFFAE_ALLOWED_ORIGINS: 'https://widget.example.com',
        DIFFAE_RESULTS_EXPIRY_DAYS: '7',
        DIFFAE_MODEL_ID: 'ffhq256',
        DIFFAE_WORKER_IMAGE: CUSTOM_IMAGE,
      },
    }),
  ]);
});

function names(result: RunResult) {
  const bucket = String(input(resource(result, 'aws:s3/bucket:Bucket', 'StorageBucket'), 'bucket'));
  const queue = String(input(resource(result, 'aws:sqs/queue:Queue', 'JobsQueue'), 'name'));
  const deadLetter = String(input(resource(result, 'aws:sqs/queue:Queue', 'JobsDeadLetterQueue'), 'name'));
  return {
    bucket,
    bucketArn: `arn:aws:s3:::${bucket}`,
    queue,
    queueArn: `arn:aws:sqs:us-east-1:123456789012:${queue}`,
    deadLetterArn: `arn:aws:sqs:us-east-1:123456789012:${deadLetter}`,
  };
}

function workerContainer(result: RunResult) {
  const [container, ...others] = containerDefinitions(
    resource(result, 'aws:ecs/taskDefinition:TaskDefinition', 'WorkerTask'),
  );
  expect(others).toEqual([]);
  return container;
}

describe('app', () => {
  it('is diffae-edge on AWS, retained and protected only in production', () => {
    expect(prod.app).toMatchObject({ name: 'diffae-edge', home: 'aws', removal: 'retain', protect: true });
    expect(dev.app).toMatchObject({ name: 'diffae-edge', home: 'aws', removal: 'remove', protect: false });
  });

  it('outputs the site and API URLs', () => {
    expect(prod.outputs.site).toMatch(/^https:\/\/[a-z0-9]+\.cloudfront\.net$/);
    expect(prod.outputs.api).toBe(`${prod.outputs.site}/v1`);
  });
});

describe('bucket', () => {
  it('expires uploads after 1 day and results after 30 days by default', () => {
    const rules = input<
      { id: string; filter: { prefix: string }; expiration: { days: number }; status: string }[]
    >(
      resource(prod, 'aws:s3/bucketLifecycleConfiguration:BucketLifecycleConfiguration', 'StorageLifecycle'),
      'rules',
    );
    const days = Object.fromEntries(rules.map((rule) => [rule.filter.prefix, rule.expiration.days]));
    expect(days).toEqual({ 'uploads/': 1, 'results/': 30, 'cache/': 30 });
    expect(rules.every((rule) => rule.status === 'Enabled')).toBe(true);
  });

  it('takes the results expiry from DIFFAE_RESULTS_EXPIRY_DAYS', () => {
    const rules = input<{ filter: { prefix: string }; expiration: { days: number } }[]>(
      resource(dev, 'aws:s3/bucketLifecycleConfiguration:BucketLifecycleConfiguration', 'StorageLifecycle'),
      'rules',
    );
    expect(rules.find((rule) => rule.filter.prefix === 'results/')?.expiration.days).toBe(7);
  });

  it('allows presigned PUT uploads from the site origin (and configured widget origins)', () => {
    type Rule = { allowedOrigins: string[]; allowedMethods: string[]; allowedHeaders: string[] };
    const [prodRule] = input<Rule[]>(
      resource(prod, 'aws:s3/bucketCorsConfiguration:BucketCorsConfiguration', 'StorageCors'),
      'corsRules',
    );
    expect(prodRule.allowedMethods).toContain('PUT');
    expect(prodRule.allowedHeaders).toContain('content-type');
    expect(prodRule.allowedOrigins).toEqual([prod.outputs.site]);

    const [devRule] = input<Rule[]>(
      resource(dev, 'aws:s3/bucketCorsConfiguration:BucketCorsConfiguration', 'StorageCors'),
      'corsRules',
    );
    expect(devRule.allowedOrigins).toEqual([
      dev.outputs.site,
      'https://widget.example.com',
      'http://localhost:5173',
      'http://127.0.0.1:5173',
    ]);
  });
});

describe('queue', () => {
  it('has a 120 s visibility timeout and redrives to the dead-letter queue after 5 receives', () => {
    const jobs = resource(prod, 'aws:sqs/queue:Queue', 'JobsQueue');
    expect(input(jobs, 'visibilityTimeoutSeconds')).toBe(120);
    expect(JSON.parse(input<string>(jobs, 'redrivePolicy'))).toEqual({
      deadLetterTargetArn: names(prod).deadLetterArn,
      maxReceiveCount: 5,
    });
    expect(
      input(resource(prod, 'aws:sqs/queue:Queue', 'JobsDeadLetterQueue'), 'messageRetentionSeconds'),
    ).toBe(1_209_600);
  });
});

describe('edge function', () => {
  it('builds the Lambda handler of packages/edge', () => {
    const builds = prod.rpc.filter((call) => call.method === 'Runtime.Build');
    expect(builds.map((call) => (call.params as { handler: string }).handler)).toEqual([
      'packages/edge/src/adapters/lambda.handler',
    ]);
  });

  it('gets the bucket, queue and model through DIFFAE_* variables', () => {
    const fn = resource(prod, 'aws:lambda/function:Function', 'EdgeFunction');
    const variables = input<{ variables: Record<string, string> }>(fn, 'environment').variables;
    expect(variables).toMatchObject({
      DIFFAE_STORAGE: `s3://${names(prod).bucket}`,
      DIFFAE_QUEUE: prod.outputs.queue,
      DIFFAE_MODEL_ID: 'facesynth64',
    });
    const devFn = resource(dev, 'aws:lambda/function:Function', 'EdgeFunction');
    expect(input<{ variables: Record<string, string> }>(devFn, 'environment').variables.DIFFAE_MODEL_ID).toBe(
      'ffhq256',
    );
  });

  it('is linked to both secrets (delivered encrypted, with their values)', () => {
    expect(
      ofType(prod, 'sst:sst:Secret')
        .map((r) => r.name)
        .sort(),
    ).toEqual(['DiffaeApiKeys', 'DiffaeWebhookSecret']);
    const [build] = prod.rpc.filter((call) => call.method === 'Runtime.Build');
    const links = (build.params as { links: Record<string, { value: string }> }).links;
    expect(links.DiffaeApiKeys.value).toBe(TEST_SECRETS.DiffaeApiKeys);
    expect(links.DiffaeWebhookSecret.value).toBe(TEST_SECRETS.DiffaeWebhookSecret);
  });

  it('may only send jobs and touch its own prefixes', () => {
    const { bucketArn, queueArn } = names(prod);
    const role = resource(prod, 'aws:iam/role:Role', 'EdgeRole');
    const statements = inlineStatements(role);
    expect(wildcards(statements)).toEqual([]);
    expect(actionsByResource(statements)).toEqual({
      [`${bucketArn}/uploads/*`]: ['s3:GetObject', 's3:PutObject'],
      [`${bucketArn}/results/*`]: ['s3:GetObject', 's3:PutObject'],
      [`${bucketArn}/directions/*`]: ['s3:GetObject', 's3:PutObject'],
      [`${bucketArn}/models/*`]: ['s3:GetObject'],
      [bucketArn]: ['s3:ListBucket'],
      [queueArn]: ['sqs:GetQueueAttributes', 'sqs:SendMessage'],
    });
    expect(input(role, 'managedPolicyArns')).toEqual([
      'arn:aws:iam::aws:policy/service-role/AWSLambdaBasicExecutionRole',
    ]);
  });
});

describe('router', () => {
  it('serves the API at /v1 and /openapi.json from the function URL, and the site at /', () => {
    const entries = routerEntries(prod);
    expect(
      entries
        .filter((e) => e.startsWith('url,'))
        .map((e) => e.split(',')[3])
        .sort(),
    ).toEqual(['/openapi.json', '/v1']);
    expect(entries.filter((e) => e.startsWith('site,'))).toHaveLength(1);

    const functionHost = new URL(String(prod.componentOutputs.Edge._hint)).host;
    const routeKeys = ofType(prod, 'pulumi-nodejs:dynamic:Resource').filter((r) =>
      /^RouterRoute.*RouteKey/.test(r.name),
    );
    expect(routeKeys).toHaveLength(2);
    for (const key of routeKeys) {
      const metadata = JSON.parse((key.inputs.entries as { metadata: string }).metadata) as { host: string };
      expect(metadata.host).toBe(functionHost);
    }
  });

  it('builds the site from packages/web with npm run build', () => {
    const builder = resource(prod, 'command:local:Command', 'WebBuilder');
    expect(input(builder, 'create')).toBe('npm run build');
    expect(String(input(builder, 'dir'))).toMatch(/\/packages\/web$/);
    const files = resource(prod, 'pulumi-nodejs:dynamic:Resource', 'WebAssetFiles.sst.aws.BucketFiles');
    expect((files.inputs.files as { key: string }[]).map((f) => f.key)).toContain('index.html');
  });
});

describe('GPU worker (production)', () => {
  it('runs one GPU per task with the worker environment, on EC2', () => {
    const task = resource(prod, 'aws:ecs/taskDefinition:TaskDefinition', 'WorkerTask');
    expect(input(task, 'requiresCompatibilities')).toEqual(['EC2']);
    const container = workerContainer(prod);
    expect(container.resourceRequirements).toEqual([{ type: 'GPU', value: '1' }]);
    expect(container.image).toBe(`${prod.outputs.workerRepository}:latest`);
    expect(envMap(container.environment)).toMatchObject({
      DIFFAE_STORAGE: `s3://${names(prod).bucket}`,
      DIFFAE_QUEUE: prod.outputs.queue,
      DIFFAE_MODEL: 'facesynth64',
      DIFFAE_EXECUTION_PROVIDERS: 'cuda,cpu',
      DIFFAE_VISIBILITY_TIMEOUT: '120',
      DIFFAE_MAX_RECEIVES: '5',
      SST_RESOURCE_Jobs: JSON.stringify({ url: prod.outputs.queue, type: 'sst.aws.Queue' }),
    });
    const parameter = resource(prod, 'aws:ssm/parameter:Parameter', 'WorkerWebhookSecret');
    expect(input(parameter, 'type')).toBe('SecureString');
    expect(input(parameter, 'value')).toBe(TEST_SECRETS.DiffaeWebhookSecret);
    expect(container.secrets?.map((s) => s.name)).toEqual(['DIFFAE_WEBHOOK_SECRET']);
  });

  it('starts GPU hosts from the ECS GPU AMI, joined to the cluster by user data', () => {
    const ssm = prod.dataSources.filter((call) => call.token === 'aws:ssm/getParameter:getParameter');
    expect(ssm.map((call) => call.inputs.name)).toEqual([GPU_AMI]);
    const template = resource(prod, 'aws:ec2/launchTemplate:LaunchTemplate', 'WorkerLaunchTemplate');
    expect(input(template, 'imageId')).toBe(MOCK_AMI_ID);
    expect(input(template, 'instanceType')).toBe('g5.xlarge');
    const userData = Buffer.from(input<string>(template, 'userData'), 'base64').toString('utf8');
    expect(userData).toMatch(/^echo ECS_CLUSTER=\S+ >> \/etc\/ecs\/ecs\.config$/m);
    expect(userData).toContain('ECS_ENABLE_GPU_SUPPORT=true');
  });

  it('scales hosts from zero through a managed capacity provider', () => {
    const group = resource(prod, 'aws:autoscaling/group:Group', 'WorkerHosts');
    expect(input(group, 'minSize')).toBe(0);
    expect(input(group, 'protectFromScaleIn')).toBe(true);
    expect(input<{ key: string; value: string }[]>(group, 'tags')).toContainEqual(
      expect.objectContaining({ key: 'AmazonECSManaged', value: 'true' }),
    );
    const provider = resource(prod, 'aws:ecs/capacityProvider:CapacityProvider', 'WorkerCapacity');
    const asgProvider = input<Record<string, unknown>>(provider, 'autoScalingGroupProvider');
    expect(asgProvider).toMatchObject({
      autoScalingGroupArn: expect.stringContaining('group/'),
      managedTerminationProtection: 'ENABLED',
      managedScaling: expect.objectContaining({ status: 'ENABLED', targetCapacity: 100 }),
    });
    const clusterProviders = resource(
      prod,
      'aws:ecs/clusterCapacityProviders:ClusterCapacityProviders',
      'WorkerClusterCapacity',
    );
    expect(input<string[]>(clusterProviders, 'capacityProviders')).toHaveLength(1);
    const service = resource(prod, 'aws:ecs/service:Service', 'WorkerService');
    expect(input(service, 'desiredCount')).toBe(0);
    expect(input<{ capacityProvider: string }[]>(service, 'capacityProviderStrategies')).toEqual([
      expect.objectContaining({
        capacityProvider: input<string[]>(clusterProviders, 'capacityProviders')[0],
      }),
    ]);
  });

  it('scales tasks out from zero when jobs wait and back to zero when the queue is idle', () => {
    const target = resource(prod, 'aws:appautoscaling/target:Target', 'WorkerScalingTarget');
    expect(input(target, 'minCapacity')).toBe(0);
    expect(input(target, 'maxCapacity')).toBe(2);

    const alarms = ofType(prod, 'aws:cloudwatch/metricAlarm:MetricAlarm');
    const scaleOut = alarms.find((a) => a.inputs.metricName === 'ApproximateNumberOfMessagesVisible');
    expect(scaleOut?.inputs).toMatchObject({
      comparisonOperator: 'GreaterThanThreshold',
      threshold: 0,
      dimensions: { QueueName: names(prod).queue },
      alarmActions: [expect.stringContaining('workerscaleout')],
    });
    const outPolicy = resource(prod, 'aws:appautoscaling/policy:Policy', 'WorkerScaleOut');
    expect(input(outPolicy, 'stepScalingPolicyConfiguration')).toMatchObject({
      adjustmentType: 'ChangeInCapacity',
      stepAdjustments: expect.arrayContaining([
        expect.objectContaining({ metricIntervalLowerBound: '0', scalingAdjustment: 1 }),
      ]),
    });

    const scaleIn = alarms.find((a) => Array.isArray(a.inputs.metricQueries));
    type Query = {
      id: string;
      expression?: string;
      metric?: { metricName: string; dimensions: Record<string, string> };
    };
    const queries = (scaleIn?.inputs.metricQueries ?? []) as Query[];
    expect(queries.flatMap((q) => (q.metric ? [q.metric.metricName] : [])).sort()).toEqual([
      'ApproximateNumberOfMessagesNotVisible',
      'ApproximateNumberOfMessagesVisible',
    ]);
    const sum = queries.find((q) => q.expression);
    for (const q of queries.filter((q) => q.metric)) expect(sum?.expression).toContain(q.id);
    expect(scaleIn?.inputs).toMatchObject({
      comparisonOperator: 'LessThanOrEqualToThreshold',
      threshold: 0,
      alarmActions: [expect.stringContaining('workerscalein')],
    });
    const inPolicy = resource(prod, 'aws:appautoscaling/policy:Policy', 'WorkerScaleIn');
    expect(input(inPolicy, 'stepScalingPolicyConfiguration')).toMatchObject({
      adjustmentType: 'ExactCapacity',
      stepAdjustments: [{ metricIntervalUpperBound: '0', scalingAdjustment: 0 }],
    });
  });

  it('may only consume its queue and touch its own prefixes', () => {
    const { bucketArn, queueArn } = names(prod);
    const statements = inlineStatements(resource(prod, 'aws:iam/role:Role', 'WorkerTaskRole'));
    expect(wildcards(statements)).toEqual([]);
    expect(actionsByResource(statements)).toEqual({
      [`${bucketArn}/uploads/*`]: ['s3:GetObject'],
      [`${bucketArn}/models/*`]: ['s3:GetObject'],
      [`${bucketArn}/results/*`]: ['s3:GetObject', 's3:PutObject'],
      [`${bucketArn}/cache/*`]: ['s3:GetObject', 's3:PutObject'],
      [`${bucketArn}/directions/*`]: ['s3:GetObject', 's3:PutObject'],
      [bucketArn]: ['s3:ListBucket'],
      [queueArn]: [
        'sqs:ChangeMessageVisibility',
        'sqs:DeleteMessage',
        'sqs:GetQueueAttributes',
        'sqs:ReceiveMessage',
      ],
    });
  });

  it('gives ECS only image pulls, its log group and the secret (GetAuthorizationToken is account-wide)', () => {
    const statements = inlineStatements(resource(prod, 'aws:iam/role:Role', 'WorkerExecutionRole'));
    const byResource = actionsByResource(statements);
    expect(byResource['*']).toEqual(['ecr:GetAuthorizationToken']);
    expect(wildcards(statements.filter((s) => s.Resource !== '*' && String(s.Resource) !== '*'))).toEqual([]);
    expect(Object.keys(byResource)).toContain(
      `arn:aws:ssm:us-east-1:123456789012:parameter/diffae-edge/prod/webhook-secret`,
    );
  });

  it('runs the worker locally under sst dev', () => {
    const local = prod.componentOutputs.LocalWorker?._dev as { command: string; links: string[] };
    expect(local.command).toBe('npm run worker -w packages/gpu-worker');
    expect(local.links.sort()).toEqual(['Jobs', 'Storage']);
  });
});

describe('CPU-only worker (non-production stages)', () => {
  it('uses a CPU instance from the standard ECS AMI without a GPU requirement', () => {
    const ssm = dev.dataSources.filter((call) => call.token === 'aws:ssm/getParameter:getParameter');
    expect(ssm.map((call) => call.inputs.name)).toEqual([CPU_AMI]);
    const template = resource(dev, 'aws:ec2/launchTemplate:LaunchTemplate', 'WorkerLaunchTemplate');
    expect(input(template, 'instanceType')).toBe('c7i.xlarge');
    expect(Buffer.from(input<string>(template, 'userData'), 'base64').toString('utf8')).not.toContain('GPU');
    const container = workerContainer(dev);
    expect(container.resourceRequirements).toBeUndefined();
    expect(envMap(container.environment)).toMatchObject({
      DIFFAE_EXECUTION_PROVIDERS: 'cpu',
      DIFFAE_MODEL: 'ffhq256',
    });
    expect(dev.outputs.workerKind).toBe('cpu');
  });

  it('takes the worker image from DIFFAE_WORKER_IMAGE', () => {
    expect(workerContainer(dev).image).toBe(CUSTOM_IMAGE);
  });

  it('keeps the same least-privilege task role', () => {
    expect(wildcards(inlineStatements(resource(dev, 'aws:iam/role:Role', 'WorkerTaskRole')))).toEqual([]);
    expect(
      Object.keys(actionsByResource(inlineStatements(resource(dev, 'aws:iam/role:Role', 'WorkerTaskRole')))),
    ).toHaveLength(7);
  });
});
