/** What every panel gets from the element. */
import type { EditorApi } from '../api.ts';
import type { DetailOf, EditorEventName } from '../events.ts';
import type { Store } from '../state.ts';

export interface UploadedImage {
  key: string;
  /** Object URL of the picked file (for thumbnails). */
  url: string;
}

export interface PanelContext {
  readonly api: EditorApi;
  readonly store: Store;
  /** "id@version" of the loaded model. */
  modelRef(): string;
  emit<N extends EditorEventName>(name: N, detail: DetailOf<N>): void;
  /** Shows the error's message in the editor and emits `diffae-error`. */
  report(err: unknown, during: string): void;
  /** Uploads an image file as it is (the server applies the same preprocessing). */
  uploadFile(file: Blob): Promise<UploadedImage>;
}
