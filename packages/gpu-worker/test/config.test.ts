import { describe, expect, it } from 'vitest';
import { ConfigError, loadConfig } from '../src/config.ts';
import { createLogger } from '../src/log.ts';

const base = {
  DIFFAE_STORAGE: 'file:///tmp/s',
  DIFFAE_QUEUE: 'sqlite:///tmp/q.db?maxReceives=4',
  DIFFAE_MODEL: 'facesynth64',
};

describe('loadConfig', () => {
  it('reads defaults and takes maxReceives from a sqlite queue URL', () => {
    const c = loadConfig(base, { cores: 8 });
    expect(c).toMatchObject({
      executionProviders: ['cuda', 'cpu'],
      workers: 1,
      maxBatch: 8,
      maxReceives: 4,
      defaultModel: 'facesynth64',
    });
  });

  it('clamps workers × threads to the cores with a log line', () => {
    const lines: string[] = [];
    const c = loadConfig(
      { ...base, DIFFAE_WORKERS: '2', DIFFAE_INTRA_OP_THREADS: '8' },
      { cores: 4, logger: createLogger({ write: (l) => lines.push(l) }) },
    );
    expect([c.workers, c.intraOpThreads]).toEqual([2, 2]);
    expect(lines.join('\n')).toMatch(/clamping DIFFAE_INTRA_OP_THREADS/);
  });

  it('reports every problem at once', () => {
    let err: unknown;
    try {
      loadConfig(
        { DIFFAE_MAX_BATCH: 'lots', DIFFAE_EXECUTION_PROVIDERS: 'cuda,tpu', DIFFAE_MODEL: 'Bad Name' },
        { cores: 2 },
      );
    } catch (e) {
      err = e;
    }
    expect(err).toBeInstanceOf(ConfigError);
    const problems = (err as ConfigError).problems.join('\n');
    expect(problems).toMatch(/DIFFAE_STORAGE is not set/);
    expect(problems).toMatch(/DIFFAE_QUEUE is not set/);
    expect(problems).toMatch(/DIFFAE_MAX_BATCH must be an integer/);
    expect(problems).toMatch(/unknown providers \["tpu"\]/);
    expect(problems).toMatch(/DIFFAE_MODEL must be/);
  });
});
