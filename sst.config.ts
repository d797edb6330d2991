/// <reference path="./.sst/platform/config.d.ts" />

/**
 * diffae-edge on AWS: one bucket, a job queue with a dead-letter queue, the Hono edge API on Lambda
 * and the widget site behind one CloudFront router, and queue-scaled ECS workers on EC2 (GPU in
 * production, CPU-only elsewhere). Step by step: docs/deploy.md.
 */
export default $config({
  // SST forbids top-level imports in this file: modules are imported inside app() and run().
  async app(input) {
    const { isProductionStage } = await import('./infra/stage.ts');
    return {
      name: 'diffae-edge',
      home: 'aws',
      removal: isProductionStage(input.stage) ? 'retain' : 'remove',
      protect: isProductionStage(input.stage),
    };
  },
  async run() {
    const { resolveDeployOptions } = await import('./infra/stage.ts');
    const { createQueues, createStorage } = await import('./infra/storage.ts');
    const { createEdge, createRouter, createSecrets, createSite } = await import('./infra/edge.ts');
    const { createLocalWorker, createWorker } = await import('./infra/worker.ts');

    const options = resolveDeployOptions($app.stage, process.env);
    const secrets = createSecrets();
    const router = createRouter();
    const bucket = createStorage(options, router.url);
    const { jobs } = createQueues();
    const access = {
      bucketArn: bucket.arn,
      objectsUnder: (prefix: string) => $interpolate`${bucket.arn}/${prefix}*`,
      queueArn: jobs.arn,
    };

    createEdge({ options, router, bucket, jobs, secrets, access });
    createSite(router);
    createLocalWorker(options, bucket, jobs);
    // Under `sst dev` the local worker consumes the queue; cloud workers would race it for jobs.
    const worker = $dev
      ? undefined
      : createWorker({ options, bucket, jobs, webhookSecret: secrets.webhookSecret, access });

    return {
      site: router.url,
      api: $interpolate`${router.url}/v1`,
      bucket: bucket.name,
      queue: jobs.url,
      workerKind: options.worker.kind,
      ...(worker ? { workerRepository: worker.repository.repositoryUrl } : {}),
    };
  },
});
