/**
 * Inversion cache in the object store: (bundle id + version, image hash, K_inv) → (z, x_T), under
 * `cache/{model}/{version}/{sha256}/k{K}/`. xT.npy is written before z.npy, so a present z.npy marks a
 * complete entry.
 *
 * The hash is sha256 of the PREPROCESSED input tensor (float32 [1,3,S,S] little-endian bytes, after
 * decoding, Exif orientation, resize and crop), not of the upload: the same picture uploaded twice, or
 * as PNG and as JPEG with identical pixels, hits the same entry, and any change to decoding or
 * preprocessing changes the key instead of serving stale codes. The cost is decoding the upload
 * before the lookup (milliseconds at bundle resolution; far less than one UNet step).
 */
import { createHash } from 'node:crypto';
import { keys } from '../../shared/src/jobs.ts';
import { readNpyTensor, writeNpy } from '../../shared/src/npy.ts';
import type { Codes } from '../../shared/src/pipelines.ts';
import type { ObjectStore } from '../../shared/src/ports.ts';
import type { Tensor } from '../../shared/src/tensor.ts';
import { errorFields, type Logger } from './log.ts';

export function tensorSha256(t: Tensor): string {
  const bytes = new Uint8Array(t.data.buffer, t.data.byteOffset, t.data.byteLength);
  return createHash('sha256').update(bytes).digest('hex');
}

export interface CacheEntryRef {
  modelId: string;
  version: string;
  imageSha256: string;
  steps: number;
}

function sameShape(t: Tensor, shape: readonly number[]): boolean {
  return t.shape.length === shape.length && t.shape.every((d, i) => d === shape[i]);
}

export class InversionCache {
  constructor(
    private readonly store: ObjectStore,
    private readonly logger: Logger,
  ) {}

  #prefix(ref: CacheEntryRef): string {
    return keys.inversionCache(ref.modelId, ref.version, ref.imageSha256, ref.steps);
  }

  /** The cached codes, or null on a miss (an unreadable or mis-shaped entry counts as a miss). */
  async get(
    ref: CacheEntryRef,
    shapes: { z: readonly number[]; xT: readonly number[] },
  ): Promise<Codes | null> {
    const prefix = this.#prefix(ref);
    const zBytes = await this.store.get(`${prefix}z.npy`);
    if (zBytes === null) return null;
    const xTBytes = await this.store.get(`${prefix}xT.npy`);
    if (xTBytes === null) return null;
    try {
      const z = readNpyTensor(zBytes);
      const xT = readNpyTensor(xTBytes);
      if (sameShape(z, shapes.z) && sameShape(xT, shapes.xT)) return { z, xT };
      this.logger.warn('inversion cache entry has the wrong shape; ignoring it', { prefix });
    } catch (err) {
      this.logger.warn('inversion cache entry is unreadable; ignoring it', { prefix, ...errorFields(err) });
    }
    return null;
  }

  /** Stores the codes; a failed write is logged, not fatal (the cache only saves work). */
  async put(ref: CacheEntryRef, codes: Codes): Promise<void> {
    const prefix = this.#prefix(ref);
    try {
      await this.store.put(`${prefix}xT.npy`, writeNpy(codes.xT), {
        contentType: 'application/octet-stream',
      });
      await this.store.put(`${prefix}z.npy`, writeNpy(codes.z), { contentType: 'application/octet-stream' });
    } catch (err) {
      this.logger.warn('inversion cache write failed', { prefix, ...errorFields(err) });
    }
  }
}
