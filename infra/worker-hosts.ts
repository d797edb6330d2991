import type { WorkerProfile } from './stage.ts';

/** ECS agent settings for the hosts; `ECS_CLUSTER` is what joins an instance to our cluster. */
export function ecsUserData(clusterName: string, profile: WorkerProfile): string {
  const settings = [
    `ECS_CLUSTER=${clusterName}`,
    'ECS_ENABLE_TASK_IAM_ROLE=true',
    'ECS_CONTAINER_STOP_TIMEOUT=120s',
    ...(profile.kind === 'gpu' ? ['ECS_ENABLE_GPU_SUPPORT=true'] : []),
  ];
  return ['#!/bin/bash', ...settings.map((line) => `echo ${line} >> /etc/ecs/ecs.config`), ''].join('\n');
}

const ROOT_VOLUME_GIB = 80;

interface HostInputs {
  profile: WorkerProfile;
  cluster: aws.ecs.Cluster;
  subnets: $util.Input<$util.Input<string>[]>;
  vpcId: $util.Input<string>;
  instanceProfileArn: $util.Input<string>;
}

/**
 * Instances for the worker, scaled by ECS: an auto-scaling group from 0 hosts, kept in sync with the
 * service's tasks by a capacity provider with managed scaling and termination protection. Hosts sit
 * in public subnets with a public address (the default VPC has no NAT) and accept no inbound traffic.
 */
export function createHosts({ profile, cluster, subnets, vpcId, instanceProfileArn }: HostInputs) {
  const securityGroup = new aws.ec2.SecurityGroup('WorkerHostSecurityGroup', {
    vpcId,
    description: 'diffae worker hosts: outbound only',
    egress: [{ protocol: '-1', fromPort: 0, toPort: 0, cidrBlocks: ['0.0.0.0/0'], ipv6CidrBlocks: ['::/0'] }],
  });
  const launchTemplate = new aws.ec2.LaunchTemplate('WorkerLaunchTemplate', {
    imageId: aws.ssm.getParameterOutput({ name: profile.amiParameter }).value,
    instanceType: profile.instanceType,
    iamInstanceProfile: { arn: instanceProfileArn },
    networkInterfaces: [
      { associatePublicIpAddress: 'true', deleteOnTermination: 'true', securityGroups: [securityGroup.id] },
    ],
    blockDeviceMappings: [
      { deviceName: '/dev/xvda', ebs: { volumeSize: ROOT_VOLUME_GIB, volumeType: 'gp3', encrypted: 'true' } },
    ],
    metadataOptions: { httpEndpoint: 'enabled', httpTokens: 'required', httpPutResponseHopLimit: 1 },
    userData: cluster.name.apply((name) => Buffer.from(ecsUserData(name, profile)).toString('base64')),
  });
  const group = new aws.autoscaling.Group(
    'WorkerHosts',
    {
      minSize: 0,
      maxSize: profile.maxWorkers,
      vpcZoneIdentifiers: subnets,
      launchTemplate: { id: launchTemplate.id, version: '$Latest' },
      protectFromScaleIn: true,
      tags: [
        { key: 'AmazonECSManaged', value: 'true', propagateAtLaunch: true },
        { key: 'Name', value: `${$app.name}-${$app.stage}-worker`, propagateAtLaunch: true },
      ],
    },
    // ECS managed scaling owns the desired capacity.
    { ignoreChanges: ['desiredCapacity'] },
  );
  const capacityProvider = new aws.ecs.CapacityProvider('WorkerCapacity', {
    autoScalingGroupProvider: {
      autoScalingGroupArn: group.arn,
      managedTerminationProtection: 'ENABLED',
      managedDraining: 'ENABLED',
      managedScaling: {
        status: 'ENABLED',
        targetCapacity: 100,
        minimumScalingStepSize: 1,
        maximumScalingStepSize: profile.maxWorkers,
        instanceWarmupPeriod: 180,
      },
    },
  });
  const clusterCapacity = new aws.ecs.ClusterCapacityProviders('WorkerClusterCapacity', {
    clusterName: cluster.name,
    capacityProviders: [capacityProvider.name],
    defaultCapacityProviderStrategies: [{ capacityProvider: capacityProvider.name, weight: 1, base: 0 }],
  });
  return { securityGroup, launchTemplate, group, capacityProvider, clusterCapacity };
}
