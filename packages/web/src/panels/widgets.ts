/** Small UI pieces shared by the panels: image picker button, job progress, result downloads. */
import type { JobStatus } from '@diffae/shared';
import { h } from '../dom.ts';
import type { ResultLink } from '../events.ts';

export function filePicker(label: string, multiple: boolean, onFiles: (files: File[]) => void): HTMLElement {
  const input = h('input', { type: 'file', accept: 'image/png,image/jpeg,image/*', hidden: true, multiple });
  input.addEventListener('change', () => {
    const files = Array.from(input.files ?? []);
    input.value = '';
    if (files.length) onFiles(files);
  });
  const button = h('button', { type: 'button', class: 'secondary', part: 'button' }, label);
  button.addEventListener('click', () => input.click());
  return h('span', {}, button, input);
}

export interface ProgressView {
  readonly el: HTMLElement;
  update(s: JobStatus): void;
  reset(): void;
}

export function progressView(label: string): ProgressView {
  const bar = h('progress', { part: 'progress', max: 1, value: 0, 'aria-label': label });
  const text = h('span', { class: 'muted', 'aria-live': 'polite' });
  const el = h('div', { hidden: true }, bar, text);
  return {
    el,
    update(s) {
      el.hidden = false;
      const { stage, done, total } = s.progress;
      bar.max = Math.max(total, 1);
      bar.value = Math.min(done, bar.max);
      text.textContent = `${s.state}${stage ? ` · ${stage}` : ''}${total ? ` ${done}/${total}` : ''}`;
    },
    reset() {
      el.hidden = true;
      bar.value = 0;
      text.textContent = '';
    },
  };
}

/** Saves a result under `filename`: fetched into a blob so cross-origin links download too. */
export async function download(link: ResultLink, filename = link.name): Promise<void> {
  let href = link.url;
  let revoke = false;
  try {
    const res = await fetch(link.url);
    if (res.ok) {
      href = URL.createObjectURL(await res.blob());
      revoke = true;
    }
  } catch {
    // Not fetchable from this origin: let the browser open the link instead.
  }
  const a = h('a', { href, download: filename, rel: 'noopener', target: revoke ? undefined : '_blank' });
  document.body.appendChild(a);
  a.click();
  a.remove();
  if (revoke) setTimeout(() => URL.revokeObjectURL(href), 30_000);
}

export function downloadButton(label: string, link: () => ResultLink | undefined): HTMLButtonElement {
  const button = h('button', { type: 'button', class: 'secondary', part: 'button download' }, label);
  button.addEventListener('click', () => {
    const l = link();
    if (l) void download(l);
  });
  return button;
}

export function imageFigure(caption: string, part: string): { el: HTMLElement; img: HTMLImageElement } {
  const img = h('img', { part, alt: caption });
  return { el: h('figure', {}, img, h('figcaption', {}, caption)), img };
}
