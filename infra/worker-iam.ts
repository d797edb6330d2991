import type { AccessTargets, Statement } from './access.ts';
import { policyDocument, workerStatements } from './access.ts';

const ec2Trust = { Service: 'ec2.amazonaws.com' };
const ecsTasksTrust = { Service: 'ecs-tasks.amazonaws.com' };

function assumeRolePolicy(principal: Record<string, string>) {
  return JSON.stringify({
    Version: '2012-10-17',
    Statement: [{ Effect: 'Allow', Principal: principal, Action: 'sts:AssumeRole' }],
  });
}

function inlinePolicy(statements: Statement<$util.Input<string>>[]) {
  return [{ name: 'inline', policy: $jsonStringify($output(policyDocument(statements))) }];
}

/**
 * The GPU host: AWS's managed ECS instance policy (agent registration, polling, telemetry). The
 * instance metadata hop limit of 1 (worker-hosts.ts) keeps containers from borrowing these credentials.
 */
export function createHostRole() {
  const role = new aws.iam.Role('WorkerHostRole', {
    assumeRolePolicy: assumeRolePolicy(ec2Trust),
    managedPolicyArns: [
      $interpolate`arn:${aws.getPartitionOutput().partition}:iam::aws:policy/service-role/AmazonEC2ContainerServiceforEC2Role`,
    ],
  });
  const profile = new aws.iam.InstanceProfile('WorkerHostProfile', { role: role.name });
  return { role, profile };
}

interface ExecutionTargets {
  repositoryArn: $util.Input<string>;
  logGroupArn: $util.Input<string>;
  secretParameterArn: $util.Input<string>;
}

/**
 * What ECS needs to start the container: pull from our repository, write our log group, read the
 * webhook secret. `ecr:GetAuthorizationToken` has no resource-level permissions in IAM, so it is the
 * one statement whose resource is `*`.
 */
export function executionStatements(targets: ExecutionTargets): Statement<$util.Input<string>>[] {
  return [
    { actions: ['ecr:GetAuthorizationToken'], resources: ['*'] },
    { actions: ['ecr:BatchGetImage', 'ecr:GetDownloadUrlForLayer'], resources: [targets.repositoryArn] },
    {
      actions: ['logs:CreateLogStream', 'logs:PutLogEvents'],
      resources: [$interpolate`${targets.logGroupArn}:log-stream:*`],
    },
    { actions: ['ssm:GetParameters'], resources: [targets.secretParameterArn] },
  ];
}

export function createExecutionRole(targets: ExecutionTargets) {
  return new aws.iam.Role('WorkerExecutionRole', {
    assumeRolePolicy: assumeRolePolicy(ecsTasksTrust),
    inlinePolicies: inlinePolicy(executionStatements(targets)),
  });
}

/** The worker process itself: the queue and its bucket prefixes, nothing else. */
export function createTaskRole(access: AccessTargets<$util.Input<string>>) {
  return new aws.iam.Role('WorkerTaskRole', {
    assumeRolePolicy: assumeRolePolicy(ecsTasksTrust),
    inlinePolicies: inlinePolicy(workerStatements(access)),
  });
}
