/** Entry of `diffae-editor.js`: defines `<diffae-editor>` once and exports its types. */
import { DiffaeEditor, ELEMENT_NAME } from './element.ts';

if (!customElements.get(ELEMENT_NAME)) customElements.define(ELEMENT_NAME, DiffaeEditor);

export type { EditorApi, ModelSummary, PreviewRequest, PreviewResult } from './api.ts';
export { EditorApiError } from './api.ts';
export { DiffaeEditor, ELEMENT_NAME } from './element.ts';
export type * from './events.ts';
