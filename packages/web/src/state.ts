/** The editor's state: one plain object, replaced on every change, with subscribers. */
import type { ModelSummary } from './api.ts';
import type { EncodeVia } from './events.ts';

export interface SourceImage {
  /** Storage key after upload. */
  key: string;
  /** Object URL of the cropped original shown in the UI. */
  url: string;
  z: Float32Array;
  via: EncodeVia;
}

export interface EditorState {
  model?: ModelSummary;
  source?: SourceImage;
  /** Slider values by attribute (or `direction:<name>`); 0 means untouched. */
  amplitudes: Record<string, number>;
  /** Custom directions made in this session, shown as extra sliders. */
  directions: string[];
  busy: Record<string, boolean>;
}

export type Listener = (state: EditorState, previous: EditorState) => void;

export class Store {
  #state: EditorState = { amplitudes: {}, directions: [], busy: {} };
  readonly #listeners = new Set<Listener>();

  get state(): EditorState {
    return this.#state;
  }

  update(patch: Partial<EditorState>): void {
    const previous = this.#state;
    this.#state = { ...previous, ...patch };
    for (const l of this.#listeners) l(this.#state, previous);
  }

  setBusy(task: string, busy: boolean): void {
    this.update({ busy: { ...this.#state.busy, [task]: busy } });
  }

  subscribe(listener: Listener): () => void {
    this.#listeners.add(listener);
    return () => this.#listeners.delete(listener);
  }
}

/** The non-zero slider values as job/preview edits. */
export function activeEdits(amplitudes: Record<string, number>): { attribute: string; amplitude: number }[] {
  return Object.entries(amplitudes)
    .filter(([, a]) => a !== 0)
    .map(([attribute, amplitude]) => ({ attribute, amplitude }));
}
