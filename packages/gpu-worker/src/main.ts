/**
 * The worker process: config from the environment, store + queue from their URLs, the default model
 * loaded and warmed up before the first receive, then the queue loop until SIGTERM/SIGINT.
 * Exit codes: 0 after a clean shutdown, 1 when start-up fails (bad config, no model).
 */
import { writeFile } from 'node:fs/promises';
import { localSignerFromEnv, openQueue, openStore } from '../../shared/src/adapters/from-url.ts';
import { BundleCache } from './bundle-cache.ts';
import { loadConfig } from './config.ts';
import { InversionCache } from './inversion-cache.ts';
import { createLogger, errorFields } from './log.ts';
import { reconcileMaxReceives } from './max-receives.ts';
import { Runner } from './runner.ts';
import { ModelRegistry, openModel } from './sessions.ts';

async function main(): Promise<number> {
  const bootLogger = createLogger({ base: { service: 'gpu-worker' } });
  let config: ReturnType<typeof loadConfig>;
  try {
    config = loadConfig(process.env, { logger: bootLogger });
  } catch (err) {
    bootLogger.error('invalid configuration', errorFields(err));
    return 1;
  }
  const logger = createLogger({ level: config.logLevel, base: { service: 'gpu-worker', pid: process.pid } });
  const signer = localSignerFromEnv();
  const store = await openStore(config.storageUrl, signer ? { signer } : {});
  const queue = await openQueue(config.queueUrl);
  const maxReceives = await reconcileMaxReceives(queue, config.maxReceives, logger);
  const models = new ModelRegistry({
    cache: new BundleCache({ store, cacheDir: config.cacheDir, logger }),
    localDir: config.bundleDir,
    defaultModel: config.defaultModel,
    open: (dir) => openModel(dir, config, logger),
  });

  let stopping: Promise<void> | undefined;
  let runner: Runner | undefined;
  const onSignal = (signal: string) => {
    logger.info('signal received', { signal });
    stopping ??= runner ? runner.stop() : Promise.resolve();
  };
  process.on('SIGTERM', () => onSignal('SIGTERM'));
  process.on('SIGINT', () => onSignal('SIGINT'));

  try {
    await models.get(undefined);
  } catch (err) {
    logger.error('cannot load the default model', errorFields(err));
    await Promise.allSettled([queue.close(), store.close()]);
    return 1;
  }

  // Health: a file touched every 5 s by a timer, so it goes stale when the event loop is stuck.
  const heartbeatFile = config.heartbeatFile;
  const beat = () => {
    if (heartbeatFile)
      writeFile(heartbeatFile, String(Date.now())).catch((err) =>
        logger.warn('heartbeat write failed', errorFields(err)),
      );
  };
  beat();
  const heartbeat = setInterval(beat, 5000);
  runner = new Runner({
    queue,
    services: {
      store,
      models,
      inversionCache: new InversionCache(store, logger),
      imageLimits: {},
      progressIntervalMs: config.progressIntervalMs,
      cancelCheckIntervalMs: config.cancelCheckIntervalMs,
      logger,
      webhooks: config.webhookSecret ? { secret: config.webhookSecret } : undefined,
    },
    maxJobsInFlight: config.maxJobsInFlight,
    visibilityTimeoutS: config.visibilityTimeoutS,
    maxReceives,
    retryBaseS: config.retryBaseS,
    shutdownGraceS: config.shutdownGraceS,
    pollWaitS: config.pollWaitS,
    logger,
  });
  logger.info('worker started', {
    maxJobsInFlight: config.maxJobsInFlight,
    maxReceives,
    maxBatch: config.maxBatch,
    workers: config.workers,
    providers: config.executionProviders,
  });
  if (stopping === undefined) {
    const loop = runner.start();
    await loop;
  }
  await (stopping ?? runner.stop());
  clearInterval(heartbeat);
  await models.dispose();
  await Promise.allSettled([queue.close(), store.close()]);
  return 0;
}

main().then(
  (code) => process.exit(code),
  (err) => {
    process.stderr.write(
      `${JSON.stringify({ level: 'error', msg: 'worker crashed', ...errorFields(err) })}\n`,
    );
    process.exit(1);
  },
);
