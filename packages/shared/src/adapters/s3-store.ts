/**
 * ObjectStore on S3 (or an S3-compatible server), optionally rooted at `s3://bucket/prefix/`.
 *
 * The client computes and validates checksums only when an operation requires them: with the SDK's
 * default, presigned PUT URLs carry `x-amz-checksum-crc32` of an empty body and real S3 rejects any
 * non-empty upload to them. Bodies above `multipartThreshold` go through `@aws-sdk/lib-storage` (S3 caps
 * single PUTs at 5 GiB, some emulators at 11 MiB).
 */
import {
  DeleteObjectCommand,
  GetObjectCommand,
  HeadObjectCommand,
  ListObjectsV2Command,
  PutObjectCommand,
  type PutObjectCommandInput,
  S3Client,
  type S3ClientConfig,
} from '@aws-sdk/client-s3';
import { Upload } from '@aws-sdk/lib-storage';
import { getSignedUrl } from '@aws-sdk/s3-request-presigner';
import type {
  ListOptions,
  ListPage,
  ObjectInfo,
  ObjectStore,
  PresignedGet,
  PresignedPut,
  PresignPutOptions,
  PutOptions,
} from '../ports.ts';
import { listLimit, presignSeconds, toBytes } from './args.ts';
import { httpStatusOf, isTransientAwsError, StorageError } from './errors.ts';
import { assertValidKey, assertValidPrefix, MAX_KEY_LENGTH } from './keys.ts';

export interface S3ObjectStoreOptions {
  bucket: string;
  /** Key prefix inside the bucket ("" or ending in "/"), e.g. `"diffae/"`. */
  prefix?: string;
  /** A ready client; otherwise one is built from the fields below. */
  client?: S3Client;
  endpoint?: string;
  region?: string;
  forcePathStyle?: boolean;
  credentials?: S3ClientConfig['credentials'];
  /** Bodies larger than this use multipart upload (default 8 MiB, also the part size). */
  multipartThreshold?: number;
}

const MIN_PART_SIZE = 5 * 1024 * 1024;
const DEFAULT_PART_SIZE = 8 * 1024 * 1024;

/** An S3 client configured the way every diffae adapter needs it (see the module comment). */
export function createS3Client(opts: Omit<S3ObjectStoreOptions, 'bucket' | 'prefix' | 'client'>): S3Client {
  const config: S3ClientConfig = {
    region: opts.region ?? process.env.AWS_REGION ?? 'us-east-1',
    requestChecksumCalculation: 'WHEN_REQUIRED',
    responseChecksumValidation: 'WHEN_REQUIRED',
  };
  if (opts.endpoint !== undefined) config.endpoint = opts.endpoint;
  if (opts.forcePathStyle !== undefined) config.forcePathStyle = opts.forcePathStyle;
  if (opts.credentials !== undefined) config.credentials = opts.credentials;
  return new S3Client(config);
}

function isNotFound(err: unknown): boolean {
  const name = (err as { name?: string } | null)?.name;
  return name === 'NoSuchKey' || name === 'NotFound' || httpStatusOf(err) === 404;
}

function wrapS3Error(err: unknown, what: string): never {
  if (err instanceof StorageError) throw err;
  if (httpStatusOf(err) === 412 || (err as { name?: string }).name === 'PreconditionFailed') {
    throw new StorageError('precondition_failed', `${what}: object already exists`, { cause: err });
  }
  const code = isTransientAwsError(err) ? 'storage_unavailable' : 'storage_error';
  throw new StorageError(code, `${what}: ${(err as Error)?.message ?? String(err)}`, { cause: err });
}

export class S3ObjectStore implements ObjectStore {
  readonly bucket: string;
  readonly prefix: string;
  readonly client: S3Client;
  readonly #ownsClient: boolean;
  readonly #partSize: number;

  constructor(opts: S3ObjectStoreOptions) {
    if (!/^[a-z0-9][a-z0-9.-]{1,61}[a-z0-9]$/.test(opts.bucket)) {
      throw new StorageError(
        'invalid_argument',
        `not a valid S3 bucket name: ${JSON.stringify(opts.bucket)}`,
      );
    }
    const prefix = opts.prefix ?? '';
    if (prefix !== '' && !prefix.endsWith('/')) {
      throw new StorageError('invalid_argument', `S3 store prefix must be empty or end with "/": ${prefix}`);
    }
    if (prefix !== '') assertValidKey(prefix.slice(0, -1));
    this.bucket = opts.bucket;
    this.prefix = prefix;
    this.#ownsClient = !opts.client;
    this.client = opts.client ?? createS3Client(opts);
    this.#partSize = Math.max(MIN_PART_SIZE, opts.multipartThreshold ?? DEFAULT_PART_SIZE);
  }

  #objectKey(key: string): string {
    const full = this.prefix + assertValidKey(key);
    if (full.length > MAX_KEY_LENGTH) {
      throw new StorageError(
        'invalid_key',
        `key plus store prefix is longer than ${MAX_KEY_LENGTH} characters`,
      );
    }
    return full;
  }

  async put(key: string, body: Uint8Array | string, opts: PutOptions = {}): Promise<void> {
    const bytes = toBytes(body);
    const input: PutObjectCommandInput = { Bucket: this.bucket, Key: this.#objectKey(key), Body: bytes };
    if (opts.contentType !== undefined) input.ContentType = opts.contentType;
    if (opts.cacheControl !== undefined) input.CacheControl = opts.cacheControl;
    if (opts.ifNoneMatch === '*') input.IfNoneMatch = '*';
    try {
      if (bytes.byteLength <= this.#partSize) {
        await this.client.send(new PutObjectCommand(input));
      } else {
        // Parts are buffered, so the object only appears when the final CompleteMultipartUpload succeeds.
        await new Upload({
          client: this.client,
          params: input,
          partSize: this.#partSize,
          queueSize: 4,
        }).done();
      }
    } catch (err) {
      wrapS3Error(err, `put ${key}`);
    }
  }

  async #getObject(key: string) {
    try {
      return await this.client.send(new GetObjectCommand({ Bucket: this.bucket, Key: this.#objectKey(key) }));
    } catch (err) {
      if (isNotFound(err)) return null;
      wrapS3Error(err, `get ${key}`);
    }
  }

  async get(key: string): Promise<Uint8Array | null> {
    const res = await this.#getObject(key);
    if (!res) return null;
    try {
      return res.Body ? await res.Body.transformToByteArray() : new Uint8Array(0);
    } catch (err) {
      wrapS3Error(err, `get ${key} (body)`);
    }
  }

  async getStream(key: string): Promise<ReadableStream<Uint8Array> | null> {
    const res = await this.#getObject(key);
    if (!res) return null;
    return res.Body ? (res.Body.transformToWebStream() as ReadableStream<Uint8Array>) : new Blob([]).stream();
  }

  async head(key: string): Promise<ObjectInfo | null> {
    try {
      const res = await this.client.send(
        new HeadObjectCommand({ Bucket: this.bucket, Key: this.#objectKey(key) }),
      );
      const info: ObjectInfo = {
        bytes: res.ContentLength ?? 0,
        lastModified: res.LastModified ?? new Date(0),
      };
      if (res.ContentType !== undefined) info.contentType = res.ContentType;
      if (res.CacheControl !== undefined) info.cacheControl = res.CacheControl;
      if (res.ETag !== undefined) info.etag = res.ETag;
      return info;
    } catch (err) {
      if (isNotFound(err)) return null;
      wrapS3Error(err, `head ${key}`);
    }
  }

  async delete(key: string): Promise<void> {
    try {
      await this.client.send(new DeleteObjectCommand({ Bucket: this.bucket, Key: this.#objectKey(key) }));
    } catch (err) {
      if (isNotFound(err)) return;
      wrapS3Error(err, `delete ${key}`);
    }
  }

  async list(prefix: string, opts: ListOptions = {}): Promise<ListPage> {
    assertValidPrefix(prefix);
    try {
      const res = await this.client.send(
        new ListObjectsV2Command({
          Bucket: this.bucket,
          Prefix: this.prefix + prefix,
          MaxKeys: listLimit(opts.limit),
          ...(opts.cursor !== undefined && { ContinuationToken: opts.cursor }),
        }),
      );
      const keys = (res.Contents ?? []).flatMap((o) => (o.Key ? [o.Key.slice(this.prefix.length)] : []));
      return res.IsTruncated && res.NextContinuationToken
        ? { keys, cursor: res.NextContinuationToken }
        : { keys };
    } catch (err) {
      wrapS3Error(err, `list ${prefix}`);
    }
  }

  async presignPut(key: string, opts: PresignPutOptions): Promise<PresignedPut> {
    const expiresIn = presignSeconds(opts.expiresIn);
    if (typeof opts.contentType !== 'string' || opts.contentType.length === 0) {
      throw new StorageError('invalid_argument', 'presignPut needs a contentType');
    }
    const command = new PutObjectCommand({
      Bucket: this.bucket,
      Key: this.#objectKey(key),
      ContentType: opts.contentType,
    });
    // Signing content-type makes S3 refuse uploads that claim another type, like the local route does.
    const url = await this.#presign(command, expiresIn, new Set(['content-type']));
    return {
      url,
      method: 'PUT',
      headers: { 'content-type': opts.contentType },
      expiresAt: new Date(Date.now() + expiresIn * 1000),
      maxBytesEnforced: false,
    };
  }

  async presignGet(key: string, opts: { expiresIn: number }): Promise<PresignedGet> {
    const expiresIn = presignSeconds(opts.expiresIn);
    const command = new GetObjectCommand({ Bucket: this.bucket, Key: this.#objectKey(key) });
    return {
      url: await this.#presign(command, expiresIn),
      expiresAt: new Date(Date.now() + expiresIn * 1000),
    };
  }

  async #presign(
    command: PutObjectCommand | GetObjectCommand,
    expiresIn: number,
    signableHeaders?: Set<string>,
  ): Promise<string> {
    let url: string;
    try {
      url = await getSignedUrl(this.client, command, {
        expiresIn,
        ...(signableHeaders && { signableHeaders }),
      });
    } catch (err) {
      wrapS3Error(err, 'presign');
    }
    if (/[?&]x-amz-checksum-/i.test(url) || /x-amz-sdk-checksum-algorithm/i.test(url)) {
      // Real S3 would reject uploads to this URL; this happens with a caller-supplied default client.
      throw new StorageError(
        'storage_error',
        "presigned URL carries a checksum parameter: build the S3 client with requestChecksumCalculation: 'WHEN_REQUIRED'",
      );
    }
    return url;
  }

  async close(): Promise<void> {
    if (this.#ownsClient) this.client.destroy();
  }
}
