/** Handler per job kind. */
import type { JobKind } from '../../../shared/src/jobs.ts';
import type { AnyJobHandler, JobHandler } from './context.ts';
import { directionJob } from './direction.ts';
import { interpolateJob } from './interpolate.ts';
import { manipulateJob } from './manipulate.ts';
import { reconstructJob } from './reconstruct.ts';
import { sampleJob } from './sample.ts';
import { varyJob } from './vary.ts';

const HANDLERS: { [K in JobKind]: JobHandler<K> } = {
  reconstruct: reconstructJob,
  manipulate: manipulateJob,
  interpolate: interpolateJob,
  vary: varyJob,
  sample: sampleJob,
  direction: directionJob,
};

export function handlerFor(kind: JobKind): AnyJobHandler {
  return HANDLERS[kind] as AnyJobHandler;
}

export type { JobContext } from './context.ts';
