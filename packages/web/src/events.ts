/** The DOM events `<diffae-editor>` dispatches (bubbling, composed `CustomEvent`s). */
import type { Edit, JobKind, JobState } from '@diffae/shared';

export type EncodeVia = 'webgpu' | 'wasm' | 'server';

export interface EncodedDetail {
  /** The semantic latent of the current image. */
  z: Float32Array;
  via: EncodeVia;
  ms: number;
}

export interface PreviewDetail {
  edits: Edit[];
  /** Classifier score per attribute after the edit (when the server reports them). */
  scores: Record<string, number>;
  /** Object URL of the preview PNG (valid until the next preview). */
  url: string;
}

export interface JobProgressDetail {
  jobId: string;
  kind: JobKind;
  state: JobState;
  stage: string;
  done: number;
  total: number;
}

export interface ResultLink {
  name: string;
  url: string;
  contentType: string;
}

export interface JobDoneDetail {
  jobId: string;
  kind: JobKind;
  state: JobState;
  outputs: ResultLink[];
}

export interface ErrorDetail {
  /** The API's `error.code` (or a widget code such as `encode_failed`). */
  code: string;
  message: string;
  /** What the widget was doing. */
  during: string;
}

export interface EditorEventMap {
  'diffae-encoded': CustomEvent<EncodedDetail>;
  'diffae-preview': CustomEvent<PreviewDetail>;
  'diffae-job-progress': CustomEvent<JobProgressDetail>;
  'diffae-job-done': CustomEvent<JobDoneDetail>;
  'diffae-error': CustomEvent<ErrorDetail>;
}

export type EditorEventName = keyof EditorEventMap;
export type DetailOf<N extends EditorEventName> = EditorEventMap[N] extends CustomEvent<infer D> ? D : never;

/** Dispatches one of the editor's events from `target` (bubbles out of the shadow root). */
export function emit<N extends EditorEventName>(target: EventTarget, name: N, detail: DetailOf<N>): void {
  target.dispatchEvent(new CustomEvent(name, { detail, bubbles: true, composed: true }));
}
