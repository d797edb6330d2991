/** A custom direction from a few positive and negative examples; when done it becomes a slider. */
import { LIMITS } from '@diffae/shared';
import { h, uid } from '../dom.ts';
import type { PanelContext, UploadedImage } from './context.ts';
import { panelJob } from './job-runner.ts';
import { filePicker } from './widgets.ts';

export const DIRECTION_NAME = /^[A-Za-z0-9_-]{1,64}$/;

export function directionPanel(ctx: PanelContext): HTMLElement {
  const examples: Record<'positives' | 'negatives', UploadedImage[]> = { positives: [], negatives: [] };
  const nameId = uid('dir');
  const name = h('input', {
    id: nameId,
    type: 'text',
    value: 'my_direction',
    maxlength: 64,
    pattern: DIRECTION_NAME.source,
  });
  const go = h('button', { type: 'button', part: 'button', disabled: true }, 'Learn direction');
  const job = panelJob(ctx, 'Direction progress', go);
  const note = h('span', { class: 'muted', 'aria-live': 'polite' });

  const strip = (side: keyof typeof examples, label: string) => {
    const thumbs = h('div', { class: 'gallery', 'aria-label': label });
    const picker = filePicker(`Add ${label.toLowerCase()}`, true, async (files) => {
      for (const file of files.slice(0, LIMITS.maxDirectionExamples - examples[side].length)) {
        try {
          const up = await ctx.uploadFile(file);
          examples[side].push(up);
          thumbs.appendChild(h('img', { src: up.url, alt: `${label} ${examples[side].length}` }));
        } catch (err) {
          ctx.report(err, 'upload');
        }
      }
      go.disabled = !(examples.positives.length && examples.negatives.length);
    });
    return h('div', {}, h('div', { class: 'row' }, h('strong', {}, label), picker), thumbs);
  };

  go.addEventListener('click', async () => {
    if (!DIRECTION_NAME.test(name.value)) {
      ctx.report(new Error('direction names use letters, digits, _ and - (at most 64)'), 'direction');
      return;
    }
    const run = await job.run(
      {
        kind: 'direction',
        model: ctx.modelRef(),
        name: name.value,
        positives: examples.positives.map((e) => ({ image: e.key })),
        negatives: examples.negatives.map((e) => ({ image: e.key })),
      },
      'direction',
    );
    if (!run) return;
    const { directions } = ctx.store.state;
    if (!directions.includes(name.value)) ctx.store.update({ directions: [...directions, name.value] });
    note.textContent = `Direction "${name.value}" added as a slider.`;
  });

  return h(
    'section',
    { part: 'panel direction' },
    h('h3', {}, 'Custom direction'),
    h('p', { class: 'muted' }, 'Upload a few images that have a trait and a few that do not.'),
    strip('positives', 'Positives'),
    strip('negatives', 'Negatives'),
    h('div', { class: 'row' }, h('label', { for: nameId }, 'Name'), name, go, note),
    job.progress.el,
  );
}
