/** Submit a job, follow its progress, fetch its result links. */
import type { JobSpec, JobStatus } from '@diffae/shared';
import type { EditorApi } from './api.ts';
import { EditorApiError } from './api.ts';
import type { ResultLink } from './events.ts';

export interface JobRun {
  jobId: string;
  status: JobStatus;
  outputs: ResultLink[];
}

function idempotencyKey(): string {
  return crypto.randomUUID();
}

export async function runJob(
  api: EditorApi,
  spec: JobSpec,
  onStatus: (s: JobStatus, jobId: string) => void,
  signal?: AbortSignal,
): Promise<JobRun> {
  const jobId = await api.submitJob(spec, idempotencyKey());
  const onAbort = () => void api.cancelJob(jobId).catch(() => {});
  signal?.addEventListener('abort', onAbort, { once: true });
  try {
    const status = await api.watchJob(jobId, (s) => onStatus(s, jobId), signal);
    if (status.state === 'failed') {
      throw new EditorApiError(status.error?.code ?? 'job_failed', status.error?.message ?? 'the job failed');
    }
    if (status.state === 'cancelled') throw new EditorApiError('job_cancelled', 'the job was cancelled');
    return { jobId, status, outputs: await api.results(jobId) };
  } finally {
    signal?.removeEventListener('abort', onAbort);
  }
}

/** Outputs whose name matches, in name order (frames come as frame-000.png, …). */
export function outputsNamed(outputs: readonly ResultLink[], pattern: RegExp): ResultLink[] {
  return outputs.filter((o) => pattern.test(o.name)).sort((a, b) => a.name.localeCompare(b.name));
}
