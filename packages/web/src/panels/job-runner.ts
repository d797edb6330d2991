/** One job at a time for a panel: progress bar, events, errors. */
import type { JobSpec } from '@diffae/shared';
import type { JobRun } from '../jobs.ts';
import { runJob } from '../jobs.ts';
import type { PanelContext } from './context.ts';
import { type ProgressView, progressView } from './widgets.ts';

export interface PanelJob {
  readonly progress: ProgressView;
  /** Runs `spec`; resolves with the run, or undefined when it failed (the error is reported). */
  run(spec: JobSpec, during: string): Promise<JobRun | undefined>;
}

export function panelJob(ctx: PanelContext, label: string, button: HTMLButtonElement): PanelJob {
  const progress = progressView(label);
  return {
    progress,
    async run(spec, during) {
      button.disabled = true;
      progress.reset();
      try {
        const run = await runJob(ctx.api, spec, (s, jobId) => {
          progress.update(s);
          ctx.emit('diffae-job-progress', { jobId, kind: spec.kind, state: s.state, ...s.progress });
        });
        ctx.emit('diffae-job-done', {
          jobId: run.jobId,
          kind: spec.kind,
          state: run.status.state,
          outputs: run.outputs,
        });
        return run;
      } catch (err) {
        ctx.report(err, during);
        return undefined;
      } finally {
        button.disabled = false;
      }
    },
  };
}
