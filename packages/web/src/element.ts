/**
 * `<diffae-editor api-base="https://…" publishable-key="pk_…" model="facesynth64">`
 *
 * Loads the model's manifest, then lets the user pick an image, move attribute sliders with instant
 * previews, render full quality, interpolate, vary, sample and learn custom directions. Events and
 * parts are listed in README.md.
 */
import type { EditorApi } from './api.ts';
import { EditorApiError } from './api.ts';
import { h } from './dom.ts';
import { createEdgeApi } from './edge-api.ts';
import { Encoder } from './encode.ts';
import { type DetailOf, type EditorEventName, emit } from './events.ts';
import type { PanelContext } from './panels/context.ts';
import { directionPanel } from './panels/direction.ts';
import { editPanel } from './panels/edit.ts';
import { samplePanel, varyPanel } from './panels/gallery.ts';
import { interpolatePanel } from './panels/interpolate.ts';
import { firstImage, sourcePanel } from './panels/source.ts';
import { prepareImage } from './preprocess.ts';
import { Store } from './state.ts';
import { styles } from './styles.ts';

export const ELEMENT_NAME = 'diffae-editor';

function errorInfo(err: unknown): { code: string; message: string } {
  if (err instanceof EditorApiError) return { code: err.code, message: err.message };
  if (err instanceof Error)
    return { code: (err as { code?: string }).code ?? 'client_error', message: err.message };
  return { code: 'client_error', message: String(err) };
}

export class DiffaeEditor extends HTMLElement {
  static observedAttributes = ['api-base', 'publishable-key', 'model'];

  readonly #root: ShadowRoot;
  #store = new Store();
  #api: EditorApi | undefined;
  #encoder: Encoder | undefined;
  #errorBox = h('div', { class: 'error', part: 'error', role: 'alert', hidden: true });
  #body = h('div');
  #loadToken = 0;

  constructor() {
    super();
    this.#root = this.attachShadow({ mode: 'open' });
    this.addEventListener('paste', (e) => {
      const file = firstImage((e as ClipboardEvent).clipboardData?.items);
      if (file) {
        e.preventDefault();
        void this.useImage(file);
      }
    });
  }

  /** Current state (read-only snapshot): model, source image, slider values. */
  get state() {
    return this.#store.state;
  }

  connectedCallback(): void {
    if (!this.#root.firstChild) {
      this.#root.append(
        h('style', {}, styles),
        h('div', { class: 'root', part: 'root' }, this.#errorBox, this.#body),
      );
    }
    void this.#load();
  }

  disconnectedCallback(): void {
    void this.#encoder?.dispose();
    this.#encoder = undefined;
  }

  attributeChangedCallback(_name: string, oldValue: string | null, newValue: string | null): void {
    if (oldValue !== newValue && this.isConnected) void this.#load();
  }

  /** Uses `image` as the picture to edit: preprocess, upload, encode (local first), first preview. */
  async useImage(image: Blob): Promise<void> {
    const model = this.#store.state.model;
    const api = this.#api;
    if (!model || !api || !this.#encoder) {
      this.#report(new Error('the model is still loading; try again in a moment'), 'encode');
      return;
    }
    this.#store.setBusy('encode', true);
    this.#clearError();
    try {
      const prepared = await prepareImage(image, model.imageSize);
      const key = await api.upload(prepared.bytes, prepared.contentType);
      const outcome = await this.#encoder.encode(prepared.tensor, key);
      if (outcome.localProblem)
        console.info(`diffae-editor: encoded on the server (${outcome.localProblem})`);
      const url = URL.createObjectURL(new Blob([prepared.bytes as BlobPart], { type: prepared.contentType }));
      const old = this.#store.state.source?.url;
      this.#store.update({ source: { key, url, z: outcome.z, via: outcome.via } });
      if (old) URL.revokeObjectURL(old);
      emit(this, 'diffae-encoded', { z: outcome.z, via: outcome.via, ms: outcome.ms });
    } catch (err) {
      this.#report(err, 'encode');
    } finally {
      this.#store.setBusy('encode', false);
    }
  }

  async #load(): Promise<void> {
    const token = ++this.#loadToken;
    const baseUrl = this.getAttribute('api-base') ?? window.location.origin;
    const apiKey = this.getAttribute('publishable-key') ?? '';
    const modelAttr = this.getAttribute('model') ?? undefined;
    this.#clearError();
    void this.#encoder?.dispose();
    this.#encoder = undefined;
    this.#store = new Store();
    this.#body.replaceChildren(h('p', { class: 'muted' }, 'Loading model…'));
    if (!apiKey) {
      this.#body.replaceChildren();
      this.#report(
        new EditorApiError('missing_key', 'set the publishable-key attribute (a pk_… key)'),
        'load',
      );
      return;
    }
    try {
      const api = createEdgeApi({ baseUrl, apiKey });
      const model = await api.model(modelAttr);
      if (token !== this.#loadToken) return;
      this.#api = api;
      this.#encoder = new Encoder(api, model);
      this.#render(api, model.id, model.version, model.description);
      this.#store.update({ model });
    } catch (err) {
      if (token !== this.#loadToken) return;
      this.#body.replaceChildren();
      this.#report(err, 'load');
    }
  }

  #render(api: EditorApi, id: string, version: string, description: string): void {
    const ctx: PanelContext = {
      api,
      store: this.#store,
      modelRef: () => `${id}@${version}`,
      emit: <N extends EditorEventName>(name: N, detail: DetailOf<N>) => emit(this, name, detail),
      report: (err, during) => this.#report(err, during),
      uploadFile: async (file) => {
        const model = this.#store.state.model;
        if (!model) throw new Error('the model is still loading');
        const prepared = await prepareImage(file, model.imageSize);
        const key = await api.upload(prepared.bytes, prepared.contentType);
        return {
          key,
          url: URL.createObjectURL(new Blob([prepared.bytes as BlobPart], { type: prepared.contentType })),
        };
      },
    };
    const more = (title: string, panel: HTMLElement) =>
      h('details', { part: 'more' }, h('summary', {}, title), panel);
    this.#body.replaceChildren(
      h(
        'header',
        { part: 'header' },
        h('h2', {}, 'DiffAE editor'),
        h('span', { class: 'muted' }, `${id}@${version} · ${description}`),
      ),
      sourcePanel(ctx, (file) => this.useImage(file)),
      editPanel(ctx),
      more('Interpolate between two images', interpolatePanel(ctx)),
      more('Stochastic variations', varyPanel(ctx)),
      more('Random faces', samplePanel(ctx)),
      more('Custom direction from examples', directionPanel(ctx)),
    );
  }

  #report(err: unknown, during: string): void {
    const { code, message } = errorInfo(err);
    const dismiss = h('button', { type: 'button', 'aria-label': 'Dismiss error' }, '×');
    dismiss.addEventListener('click', () => this.#clearError());
    this.#errorBox.replaceChildren(h('span', {}, h('strong', {}, `${during} failed: `), message), dismiss);
    this.#errorBox.hidden = false;
    emit(this, 'diffae-error', { code, message, during });
  }

  #clearError(): void {
    this.#errorBox.hidden = true;
    this.#errorBox.replaceChildren();
  }
}

declare global {
  interface HTMLElementTagNameMap {
    'diffae-editor': DiffaeEditor;
  }
}
