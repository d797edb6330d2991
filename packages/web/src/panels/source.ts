/** Drop, pick or paste the image to edit. */
import { h } from '../dom.ts';
import type { PanelContext } from './context.ts';

export function firstImage(items: DataTransferItemList | FileList | null | undefined): File | undefined {
  if (!items) return undefined;
  for (const item of Array.from(items as ArrayLike<DataTransferItem | File>)) {
    const file = item instanceof File ? item : item.kind === 'file' ? item.getAsFile() : null;
    if (file?.type.startsWith('image/')) return file;
  }
  return undefined;
}

export function sourcePanel(ctx: PanelContext, useImage: (file: Blob) => Promise<void>): HTMLElement {
  const input = h('input', { type: 'file', accept: 'image/png,image/jpeg,image/*', hidden: true });
  const status = h('span', { class: 'muted', 'aria-live': 'polite' });
  const zone = h(
    'div',
    { class: 'dropzone', part: 'dropzone', tabindex: 0, role: 'button', 'aria-label': 'Choose an image' },
    h('strong', {}, 'Drop, paste or choose a face photo'),
    h('span', { class: 'muted' }, 'PNG or JPEG · centre-cropped to a square'),
    status,
  );

  const take = (file: File | Blob | undefined) => {
    if (file) void useImage(file);
  };
  input.addEventListener('change', () => {
    take(input.files?.[0]);
    input.value = '';
  });
  zone.addEventListener('click', () => input.click());
  zone.addEventListener('keydown', (e) => {
    if (e.key === 'Enter' || e.key === ' ') {
      e.preventDefault();
      input.click();
    }
  });
  zone.addEventListener('dragover', (e) => {
    e.preventDefault();
    zone.classList.add('over');
  });
  zone.addEventListener('dragleave', () => zone.classList.remove('over'));
  zone.addEventListener('drop', (e) => {
    e.preventDefault();
    zone.classList.remove('over');
    take(firstImage(e.dataTransfer?.files));
  });

  ctx.store.subscribe((s) => {
    status.textContent = s.busy.encode
      ? 'Encoding…'
      : s.source
        ? `Encoded (${s.source.via}); drop another to replace it`
        : '';
  });

  return h('section', { part: 'panel source' }, h('h3', {}, 'Image'), zone, input);
}
