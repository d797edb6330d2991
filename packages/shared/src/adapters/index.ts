/** Node-only storage and queue adapters (`@diffae/shared/adapters`). The ports are in `../ports.ts`. */
export type * from '../ports.ts';
export { QueueError, StorageError } from './errors.ts';
export {
  localSignerFromEnv,
  type OpenQueueOptions,
  type OpenStoreOptions,
  openQueue,
  openStore,
  queueFromEnv,
  storeFromEnv,
} from './from-url.ts';
export { FsObjectStore, type FsObjectStoreOptions } from './fs-store.ts';
export { assertValidKey, assertValidPrefix, MAX_KEY_LENGTH } from './keys.ts';
export { LOCAL_STORAGE_ROUTE, type LocalGrant, LocalSigner } from './local-signer.ts';
export { createLocalStorageHandler } from './local-storage-route.ts';
export { MAX_MESSAGE_BYTES } from './queue-limits.ts';
export { createS3Client, S3ObjectStore, type S3ObjectStoreOptions } from './s3-store.ts';
export { openSqliteQueue, SqliteQueue, type SqliteQueueOptions } from './sqlite-queue.ts';
export { createSqsClient, SqsQueue, type SqsQueueOptions } from './sqs-queue.ts';
