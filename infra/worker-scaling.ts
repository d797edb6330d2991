/**
 * Queue-depth scaling of the worker service, down to zero tasks.
 *
 * Target tracking on raw queue depth handles zero badly, so two step-scaling policies on alarms:
 * scale out by 1 (2 for a deep backlog) whenever jobs wait, and set the count to 0 once nothing has
 * been visible or in flight for `idleMinutes`. The capacity provider then drains the hosts.
 */

export const SCALE_OUT_COOLDOWN_SECONDS = 300;
/** Backlog above which a scale-out step adds two workers instead of one. */
export const DEEP_BACKLOG = 50;

export interface StepAdjustment {
  metricIntervalLowerBound?: string;
  metricIntervalUpperBound?: string;
  scalingAdjustment: number;
}

/** Steps relative to the scale-out threshold of 0 visible messages. */
export function scaleOutSteps(): StepAdjustment[] {
  return [
    { metricIntervalLowerBound: '0', metricIntervalUpperBound: String(DEEP_BACKLOG), scalingAdjustment: 1 },
    { metricIntervalLowerBound: String(DEEP_BACKLOG), scalingAdjustment: 2 },
  ];
}

/** One step for "total ≤ 0": exactly zero workers. */
export function scaleInSteps(): StepAdjustment[] {
  return [{ metricIntervalUpperBound: '0', scalingAdjustment: 0 }];
}

interface ScalingInputs {
  clusterName: $util.Input<string>;
  serviceName: $util.Input<string>;
  queueName: $util.Input<string>;
  maxWorkers: number;
  idleMinutes: number;
}

export function createWorkerScaling({
  clusterName,
  serviceName,
  queueName,
  maxWorkers,
  idleMinutes,
}: ScalingInputs) {
  const target = new aws.appautoscaling.Target('WorkerScalingTarget', {
    serviceNamespace: 'ecs',
    scalableDimension: 'ecs:service:DesiredCount',
    resourceId: $interpolate`service/${clusterName}/${serviceName}`,
    minCapacity: 0,
    maxCapacity: maxWorkers,
  });
  const scalingTarget = {
    serviceNamespace: target.serviceNamespace,
    scalableDimension: target.scalableDimension,
    resourceId: target.resourceId,
    policyType: 'StepScaling',
  };

  const scaleOut = new aws.appautoscaling.Policy('WorkerScaleOut', {
    ...scalingTarget,
    stepScalingPolicyConfiguration: {
      adjustmentType: 'ChangeInCapacity',
      cooldown: SCALE_OUT_COOLDOWN_SECONDS,
      metricAggregationType: 'Maximum',
      stepAdjustments: scaleOutSteps(),
    },
  });
  const scaleIn = new aws.appautoscaling.Policy('WorkerScaleIn', {
    ...scalingTarget,
    stepScalingPolicyConfiguration: {
      adjustmentType: 'ExactCapacity',
      cooldown: 60,
      metricAggregationType: 'Maximum',
      stepAdjustments: scaleInSteps(),
    },
  });

  const queueMetric = (metricName: string) => ({
    namespace: 'AWS/SQS',
    metricName,
    dimensions: { QueueName: queueName },
    period: 60,
    stat: 'Maximum',
  });

  const jobsWaiting = new aws.cloudwatch.MetricAlarm('WorkerJobsWaiting', {
    alarmDescription: 'Jobs are waiting: add a worker (scales out from zero).',
    namespace: 'AWS/SQS',
    metricName: 'ApproximateNumberOfMessagesVisible',
    dimensions: { QueueName: queueName },
    statistic: 'Maximum',
    period: 60,
    evaluationPeriods: 1,
    comparisonOperator: 'GreaterThanThreshold',
    threshold: 0,
    treatMissingData: 'notBreaching',
    alarmActions: [scaleOut.arn],
  });
  const queueIdle = new aws.cloudwatch.MetricAlarm('WorkerQueueIdle', {
    alarmDescription: `No job visible or in flight for ${idleMinutes} minutes: scale workers to zero.`,
    comparisonOperator: 'LessThanOrEqualToThreshold',
    threshold: 0,
    evaluationPeriods: idleMinutes,
    datapointsToAlarm: idleMinutes,
    // An idle queue stops publishing metrics: missing data means empty.
    treatMissingData: 'breaching',
    metricQueries: [
      { id: 'visible', metric: queueMetric('ApproximateNumberOfMessagesVisible'), returnData: false },
      { id: 'inflight', metric: queueMetric('ApproximateNumberOfMessagesNotVisible'), returnData: false },
      { id: 'total', expression: 'FILL(visible, 0) + FILL(inflight, 0)', label: 'jobs', returnData: true },
    ],
    alarmActions: [scaleIn.arn],
  });
  return { target, scaleOut, scaleIn, jobsWaiting, queueIdle };
}
