import { createHash } from 'node:crypto';

/**
 * Seed for a job that gives none: the first four bytes (big-endian) of sha256("diffae-seed:" + jobId).
 * A redelivered message therefore draws the same noise and produces the same outputs.
 */
export function defaultSeed(jobId: string): number {
  return createHash('sha256').update(`diffae-seed:${jobId}`).digest().readUInt32BE(0);
}
