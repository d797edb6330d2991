/** Stage options and access rules: pure, no SST platform needed. */
import { mkdtempSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { edgeStatements, policyDocument, workerStatements } from '../../infra/access.ts';
import { DeployOptionsError, isProductionStage, resolveDeployOptions } from '../../infra/stage.ts';
import { assertPlatformInstalled } from './harness/platform.ts';

describe('resolveDeployOptions', () => {
  it('uses GPU workers on production stages and CPU workers elsewhere', () => {
    expect(resolveDeployOptions('prod', {}).worker).toMatchObject({
      kind: 'gpu',
      instanceType: 'g5.xlarge',
      executionProviders: 'cuda,cpu',
      amiParameter: '/aws/service/ecs/optimized-ami/amazon-linux-2023/gpu/recommended/image_id',
    });
    expect(resolveDeployOptions('production', {}).production).toBe(true);
    expect(resolveDeployOptions('alice', {}).worker).toMatchObject({
      kind: 'cpu',
      executionProviders: 'cpu',
    });
    expect(isProductionStage('staging')).toBe(false);
  });

  it('lets DIFFAE_WORKER and DIFFAE_WORKER_INSTANCE_TYPE override the stage default', () => {
    const options = resolveDeployOptions('staging', {
      DIFFAE_WORKER: 'gpu',
      DIFFAE_WORKER_INSTANCE_TYPE: 'g6.xlarge',
    });
    expect(options.worker).toMatchObject({ kind: 'gpu', instanceType: 'g6.xlarge' });
    expect(resolveDeployOptions('prod', { DIFFAE_WORKER: 'cpu' }).worker.kind).toBe('cpu');
  });

  it('sizes the container below the instance, leaving room for the agent', () => {
    const { worker } = resolveDeployOptions('prod', {});
    expect(worker.cpu).toBeLessThan(4 * 1024);
    expect(worker.memoryReservationMiB).toBeLessThan(16 * 1024);
    expect(worker.memoryReservationMiB).toBeGreaterThan(8 * 1024);
  });

  it('reads expiry days, origins, model id and image', () => {
    const options = resolveDeployOptions('dev', {
      DIFFAE_RESULTS_EXPIRY_DAYS: '7',
      DIFFAE_ALLOWED_ORIGINS: 'https://a.example.com, http://localhost:3000',
      DIFFAE_MODEL_ID: 'ffhq256',
      DIFFAE_WORKER_IMAGE: `ghcr.io/acme/diffae-worker@sha256:${'a'.repeat(64)}`,
    });
    expect(options).toMatchObject({
      uploadsExpiryDays: 1,
      resultsExpiryDays: 7,
      allowedOrigins: ['https://a.example.com', 'http://localhost:3000'],
      modelId: 'ffhq256',
    });
    expect(options.workerImage).toMatch(/^ghcr\.io\//);
  });

  it.each([
    [{ DIFFAE_WORKER: 'tpu' }, /DIFFAE_WORKER must be "gpu" or "cpu", got "tpu"/],
    [
      { DIFFAE_WORKER: 'gpu', DIFFAE_WORKER_INSTANCE_TYPE: 'c7i.xlarge' },
      /needs a GPU instance type, c7i.xlarge has no GPU/,
    ],
    [{ DIFFAE_WORKER_INSTANCE_TYPE: 'p5.48xlarge' }, /is not a known size/],
    [
      { DIFFAE_RESULTS_EXPIRY_DAYS: '0' },
      /DIFFAE_RESULTS_EXPIRY_DAYS must be an integer in 1\.\.3650, got "0"/,
    ],
    [{ DIFFAE_UPLOADS_EXPIRY_DAYS: '1.5' }, /DIFFAE_UPLOADS_EXPIRY_DAYS must be an integer/],
    [
      { DIFFAE_ALLOWED_ORIGINS: 'https://a.example.com/path' },
      /without a path, got "https:\/\/a.example.com\/path"/,
    ],
    [{ DIFFAE_MODEL_ID: 'Bad Id' }, /DIFFAE_MODEL_ID must match/],
    [{ DIFFAE_WORKER_IMAGE: 'not an image' }, /DIFFAE_WORKER_IMAGE must be a registry image URI/],
  ])('rejects %o with a clear message', (env, message) => {
    expect(() => resolveDeployOptions('dev', env)).toThrow(DeployOptionsError);
    expect(() => resolveDeployOptions('dev', env)).toThrow(message);
  });
});

describe('access rules', () => {
  const targets = {
    bucketArn: 'arn:aws:s3:::b',
    objectsUnder: (prefix: string) => `arn:aws:s3:::b/${prefix}*`,
    queueArn: 'arn:aws:sqs:us-east-1:1:q',
  };

  it('never grants the edge the inversion cache or queue consumption', () => {
    const document = JSON.stringify(policyDocument(edgeStatements(targets)));
    expect(document).not.toContain('cache/');
    expect(document).not.toContain('ReceiveMessage');
    expect(document).not.toContain('DeleteObject');
  });

  it('never lets the worker write uploads or models, or send jobs', () => {
    const writes = workerStatements(targets)
      .filter((s) => s.actions.includes('s3:PutObject'))
      .flatMap((s) => s.resources);
    expect(writes).not.toContain('arn:aws:s3:::b/uploads/*');
    expect(writes).not.toContain('arn:aws:s3:::b/models/*');
    expect(JSON.stringify(workerStatements(targets))).not.toContain('SendMessage');
  });
});

describe('platform check', () => {
  it('says how to install the platform when it is missing', () => {
    const empty = mkdtempSync(join(tmpdir(), 'no-sst-platform-'));
    expect(() => assertPlatformInstalled(empty)).toThrow(/run scripts\/sst\/install-platform\.sh/);
  });
});
