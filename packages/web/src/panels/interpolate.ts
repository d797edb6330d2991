/** Interpolation between the current image and a second one: frame scrubber plus the animated GIF. */
import { LIMITS } from '@diffae/shared';
import { h, uid } from '../dom.ts';
import type { ResultLink } from '../events.ts';
import { outputsNamed } from '../jobs.ts';
import type { PanelContext, UploadedImage } from './context.ts';
import { panelJob } from './job-runner.ts';
import { downloadButton, filePicker, imageFigure } from './widgets.ts';

export function interpolatePanel(ctx: PanelContext): HTMLElement {
  let other: UploadedImage | undefined;
  let frames: ResultLink[] = [];
  let gif: ResultLink | undefined;
  const second = imageFigure('Second image', 'original');
  second.el.hidden = true;
  const framesId = uid('frames');
  const framesInput = h('input', { id: framesId, type: 'number', min: LIMITS.minFrames, max: 24, value: 8 });
  const go = h('button', { type: 'button', part: 'button', disabled: true }, 'Interpolate');
  const job = panelJob(ctx, 'Interpolation progress', go);
  const frame = imageFigure('Frame', 'result');
  const animation = imageFigure('Animation (GIF)', 'result');
  const scrubId = uid('scrub');
  const scrub = h('input', { id: scrubId, type: 'range', part: 'slider', min: 0, max: 0, step: 1, value: 0 });
  const results = h(
    'div',
    { hidden: true },
    h(
      'div',
      { class: 'slider' },
      h('label', { for: scrubId }, 'Frame'),
      scrub,
      h('output', { for: scrubId }),
    ),
    h('div', { class: 'images' }, frame.el, animation.el),
    h(
      'div',
      { class: 'row' },
      downloadButton('Download GIF', () => gif),
      downloadButton('Download frame', () => frames[Number(scrub.value)]),
    ),
  );

  const updateReady = () => {
    go.disabled = !(ctx.store.state.source && other);
  };
  ctx.store.subscribe(updateReady);
  const showFrame = () => {
    const f = frames[Number(scrub.value)];
    if (f) frame.img.src = f.url;
    (scrub.nextElementSibling as HTMLOutputElement).textContent =
      `${Number(scrub.value) + 1}/${frames.length}`;
  };
  scrub.addEventListener('input', showFrame);

  const pick = filePicker('Choose second image', false, async ([file]) => {
    try {
      other = await ctx.uploadFile(file);
      second.img.src = other.url;
      second.el.hidden = false;
    } catch (err) {
      ctx.report(err, 'upload');
    }
    updateReady();
  });

  go.addEventListener('click', async () => {
    const source = ctx.store.state.source;
    if (!source || !other) return;
    const n = Math.min(
      Math.max(Math.round(Number(framesInput.value)) || 8, LIMITS.minFrames),
      LIMITS.maxFrames,
    );
    const run = await job.run(
      {
        kind: 'interpolate',
        model: ctx.modelRef(),
        a: { image: source.key },
        b: { image: other.key },
        frames: n,
        animated: true,
      },
      'interpolate',
    );
    if (!run) return;
    frames = outputsNamed(run.outputs, /^frame_\d+\.png$/);
    gif = run.outputs.find((o) => o.name === 'animation.gif');
    scrub.max = String(Math.max(frames.length - 1, 0));
    scrub.value = '0';
    showFrame();
    if (gif) animation.img.src = gif.url;
    animation.el.hidden = !gif;
    results.hidden = false;
  });

  return h(
    'section',
    { part: 'panel interpolate' },
    h('h3', {}, 'Interpolate'),
    h('div', { class: 'row' }, pick, h('label', { for: framesId }, 'Frames'), framesInput, go),
    h('div', { class: 'images' }, second.el),
    job.progress.el,
    results,
  );
}
