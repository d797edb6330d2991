/** Grids of job images: stochastic variations of the current image, and unconditional samples. */
import { LIMITS } from '@diffae/shared';
import { h, uid } from '../dom.ts';
import type { ResultLink } from '../events.ts';
import { outputsNamed } from '../jobs.ts';
import type { PanelContext } from './context.ts';
import { panelJob } from './job-runner.ts';
import { download } from './widgets.ts';

function galleryOf(links: readonly ResultLink[], caption: string): HTMLElement {
  return h(
    'div',
    { class: 'gallery', part: 'gallery' },
    ...links.map((l, i) => {
      const button = h(
        'button',
        {
          type: 'button',
          class: 'secondary',
          part: 'thumb',
          title: `Download ${l.name}`,
          style: 'padding:0;border:0',
        },
        h('img', { src: l.url, alt: `${caption} ${i + 1}` }),
      );
      button.addEventListener('click', () => void download(l));
      return button;
    }),
  );
}

function countInput(max: number, value: number): HTMLInputElement {
  return h('input', { id: uid('n'), type: 'number', min: 1, max, value });
}

function clampCount(input: HTMLInputElement, max: number): number {
  return Math.min(Math.max(Math.round(Number(input.value)) || 1, 1), max);
}

export function varyPanel(ctx: PanelContext): HTMLElement {
  const n = countInput(LIMITS.maxVariations, 4);
  const go = h('button', { type: 'button', part: 'button', disabled: true }, 'Make variations');
  const job = panelJob(ctx, 'Variation progress', go);
  const out = h('div');
  ctx.store.subscribe((s) => {
    go.disabled = !s.source;
  });
  go.addEventListener('click', async () => {
    const source = ctx.store.state.source;
    if (!source) return;
    const spec = {
      kind: 'vary',
      model: ctx.modelRef(),
      input: { image: source.key },
      n: clampCount(n, LIMITS.maxVariations),
    } as const;
    const run = await job.run(spec, 'vary');
    if (run)
      out.replaceChildren(galleryOf(outputsNamed(run.outputs, /^(variation_\d+|mean)\.png$/), 'Variation'));
  });
  return h(
    'section',
    { part: 'panel vary' },
    h('h3', {}, 'Stochastic variations'),
    h('p', { class: 'muted' }, 'Same z, new noise: only fine detail changes. Click an image to download it.'),
    h('div', { class: 'row' }, h('label', { for: n.id }, 'Count'), n, go),
    job.progress.el,
    out,
  );
}

export function samplePanel(ctx: PanelContext): HTMLElement {
  const n = countInput(LIMITS.maxSamples, 6);
  const go = h('button', { type: 'button', part: 'button' }, 'Sample faces');
  const job = panelJob(ctx, 'Sampling progress', go);
  const out = h('div');
  go.addEventListener('click', async () => {
    const seed = crypto.getRandomValues(new Uint32Array(1))[0];
    const run = await job.run(
      { kind: 'sample', model: ctx.modelRef(), n: clampCount(n, LIMITS.maxSamples), seed },
      'sample',
    );
    if (run) out.replaceChildren(galleryOf(outputsNamed(run.outputs, /^sample_\d+\.png$/), 'Sample'));
  });
  return h(
    'section',
    { part: 'panel sample' },
    h('h3', {}, 'Unconditional samples'),
    h('div', { class: 'row' }, h('label', { for: n.id }, 'Count'), n, go),
    job.progress.el,
    out,
  );
}
