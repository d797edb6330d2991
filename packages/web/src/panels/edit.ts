/**
 * Attribute sliders with an instant preview (debounced, latest wins) and "Render full quality": a
 * manipulate job whose result appears beside the original.
 */
import { LIMITS } from '@diffae/shared';
import { h, setBlobUrl, uid } from '../dom.ts';
import type { ResultLink } from '../events.ts';
import { runJob } from '../jobs.ts';
import { createLatestWins } from '../latest-wins.ts';
import { activeEdits, type EditorState } from '../state.ts';
import type { PanelContext } from './context.ts';
import { downloadButton, imageFigure, progressView } from './widgets.ts';

export const PREVIEW_DEBOUNCE_MS = 120;
const STEP = 0.05;
const DIRECTION_PREFIX = 'direction:';

function sliderLabel(name: string): string {
  return name.startsWith(DIRECTION_PREFIX)
    ? `★ ${name.slice(DIRECTION_PREFIX.length)}`
    : name.replace(/_/g, ' ');
}

export function editPanel(ctx: PanelContext): HTMLElement {
  const { store } = ctx;
  const sliderBox = h('div', { class: 'sliders', role: 'group', 'aria-label': 'Attribute strengths' });
  const inputs = new Map<string, HTMLInputElement>();
  const preview = imageFigure('Preview', 'preview');
  const result = imageFigure('Full quality', 'result');
  const original = imageFigure('Original', 'original');
  result.el.hidden = true;
  const previewStatus = h('span', { class: 'muted', 'aria-live': 'polite' });
  const progress = progressView('Render progress');
  let resultLink: ResultLink | undefined;
  let renderAbort: AbortController | undefined;

  const renderButton = h('button', { type: 'button', part: 'button render' }, 'Render full quality');
  const cancelButton = h(
    'button',
    { type: 'button', class: 'secondary', part: 'button', hidden: true },
    'Cancel',
  );
  const resetButton = h('button', { type: 'button', class: 'secondary', part: 'button' }, 'Reset sliders');
  const downloadResult = downloadButton('Download PNG', () => resultLink);
  downloadResult.hidden = true;

  const previews = createLatestWins({
    delayMs: PREVIEW_DEBOUNCE_MS,
    run: (edits: ReturnType<typeof activeEdits>, signal) => {
      const source = store.state.source;
      if (!source) throw new Error('no image');
      return ctx.api.preview({ model: ctx.modelRef(), image: source.key, z: source.z, edits }, signal);
    },
    onResult: (out, edits) => {
      const url = setBlobUrl(preview.img, out.png) ?? '';
      previewStatus.textContent = edits.length ? `${edits.length} edit(s)` : 'No edits';
      ctx.emit('diffae-preview', { edits, scores: out.scores, url });
    },
    onError: (err) => ctx.report(err, 'preview'),
    onBusy: (busy) => {
      preview.el.classList.toggle('busy', busy);
      previewStatus.textContent = busy ? 'Updating preview…' : previewStatus.textContent;
    },
  });

  const setAmplitude = (name: string, value: number) => {
    store.update({ amplitudes: { ...store.state.amplitudes, [name]: value } });
    previews.schedule(activeEdits(store.state.amplitudes));
  };

  const addSlider = (name: string) => {
    if (inputs.has(name)) return;
    const id = uid('amp');
    const out = h('output', { for: id }, '0.00');
    const input = h('input', {
      id,
      type: 'range',
      part: 'slider',
      min: -LIMITS.maxAmplitude / 2,
      max: LIMITS.maxAmplitude / 2,
      step: STEP,
      value: 0,
      'data-attribute': name,
    });
    input.addEventListener('input', () => {
      const v = Number(input.value);
      out.textContent = v.toFixed(2);
      input.setAttribute('aria-valuetext', `${sliderLabel(name)} ${v.toFixed(2)}`);
      setAmplitude(name, v);
    });
    inputs.set(name, input);
    sliderBox.appendChild(
      h('div', { class: 'slider' }, h('label', { for: id, title: name }, sliderLabel(name)), input, out),
    );
  };

  const sync = (s: EditorState, prev: EditorState) => {
    if (s.model !== prev.model) {
      sliderBox.replaceChildren();
      inputs.clear();
      for (const a of s.model?.attributes ?? []) addSlider(a);
    }
    for (const d of s.directions) addSlider(`${DIRECTION_PREFIX}${d}`);
    if (s.source !== prev.source) {
      previews.cancel();
      result.el.hidden = true;
      downloadResult.hidden = true;
      resultLink = undefined;
      progress.reset();
      if (s.source) {
        original.img.src = s.source.url;
        previews.schedule(activeEdits(s.amplitudes));
        previews.flush();
      }
    }
    const ready = !!s.source && !s.busy.render;
    renderButton.disabled = !ready || activeEdits(s.amplitudes).length === 0;
    for (const input of inputs.values()) input.disabled = !s.source;
  };
  store.subscribe(sync);

  resetButton.addEventListener('click', () => {
    for (const input of inputs.values()) {
      input.value = '0';
      input.removeAttribute('aria-valuetext');
      (input.nextElementSibling as HTMLOutputElement).textContent = '0.00';
    }
    store.update({ amplitudes: {} });
    if (store.state.source) previews.schedule([]);
  });

  renderButton.addEventListener('click', async () => {
    const source = store.state.source;
    const edits = activeEdits(store.state.amplitudes);
    if (!source || edits.length === 0) return;
    renderAbort = new AbortController();
    store.setBusy('render', true);
    cancelButton.hidden = false;
    progress.reset();
    try {
      const run = await runJob(
        ctx.api,
        { kind: 'manipulate', model: ctx.modelRef(), input: { image: source.key }, edits },
        (s, jobId) => {
          progress.update(s);
          ctx.emit('diffae-job-progress', { jobId, kind: 'manipulate', state: s.state, ...s.progress });
        },
        renderAbort.signal,
      );
      resultLink = run.outputs.find((o) => o.name === 'image.png');
      if (resultLink) {
        result.img.src = resultLink.url;
        result.el.hidden = false;
        downloadResult.hidden = false;
      }
      ctx.emit('diffae-job-done', {
        jobId: run.jobId,
        kind: 'manipulate',
        state: run.status.state,
        outputs: run.outputs,
      });
    } catch (err) {
      ctx.report(err, 'render');
    } finally {
      cancelButton.hidden = true;
      store.setBusy('render', false);
    }
  });
  cancelButton.addEventListener('click', () => renderAbort?.abort());

  return h(
    'section',
    { part: 'panel edit' },
    h('h3', {}, 'Edit attributes'),
    sliderBox,
    h('div', { class: 'row' }, resetButton, previewStatus),
    h('div', { class: 'images' }, original.el, preview.el, result.el),
    h('div', { class: 'row' }, renderButton, cancelButton, downloadResult),
    progress.el,
  );
}
