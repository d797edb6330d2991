/**
 * `EditorApi` over the edge's typed client (`packages/edge/src/client.ts`). The client throws the
 * edge's `ApiError { status, code, message }` for every error answer; the element shows its message.
 */
import { type JobSpec, type JobStatus, TERMINAL_STATES } from '@diffae/shared';
import {
  createClient,
  type DiffaeClient,
  type ModelSummary as EdgeModelSummary,
  type ImageContentType,
} from '../../edge/src/client.ts';
import {
  type EditorApi,
  EditorApiError,
  type ModelSummary,
  type PreviewRequest,
  type PreviewResult,
} from './api.ts';

export interface EdgeApiOptions {
  baseUrl: string;
  apiKey: string;
  fetch?: typeof fetch;
  /** Poll interval when the event stream ends before the job does. */
  pollMs?: number;
}

function base64ToBlob(image: string, format: 'dataUrl' | 'base64'): Blob {
  const b64 = format === 'dataUrl' ? image.slice(image.indexOf(',') + 1) : image;
  const bin = atob(b64);
  const bytes = new Uint8Array(bin.length);
  for (let i = 0; i < bin.length; i++) bytes[i] = bin.charCodeAt(i);
  return new Blob([bytes], { type: 'image/png' });
}

function toSummary(m: EdgeModelSummary): ModelSummary {
  const { id, version, description, imageSize, zDim, attributes, liteEncoder } = m;
  return { id, version, description, imageSize, zDim, attributes, liteEncoder };
}

function asImageType(contentType: string): ImageContentType {
  if (contentType === 'image/png' || contentType === 'image/jpeg') return contentType;
  throw new EditorApiError('unsupported_media_type', `cannot upload ${contentType}; use PNG or JPEG`);
}

const abortError = () => new DOMException('aborted', 'AbortError');

export function createEdgeApi(opts: EdgeApiOptions): EditorApi {
  const base = opts.baseUrl.replace(/\/+$/, '');
  const baseFetch = opts.fetch ?? ((input: RequestInfo | URL, init?: RequestInit) => fetch(input, init));
  const client = createClient({ baseUrl: base, apiKey: opts.apiKey, fetch: baseFetch });
  // The client's JSON calls take no AbortSignal; a per-call client whose fetch carries the signal
  // lets a newer slider preview abort the older request.
  const abortable = (signal: AbortSignal | undefined): DiffaeClient =>
    signal
      ? createClient({
          baseUrl: base,
          apiKey: opts.apiKey,
          fetch: (input, init) => baseFetch(input, { ...init, signal }),
        })
      : client;

  async function poll(
    jobId: string,
    onStatus: (s: JobStatus) => void,
    signal?: AbortSignal,
  ): Promise<JobStatus> {
    for (;;) {
      if (signal?.aborted) throw abortError();
      const s = await client.getJob(jobId);
      onStatus(s);
      if (TERMINAL_STATES.includes(s.state)) return s;
      await new Promise((r) => setTimeout(r, opts.pollMs ?? 1000));
    }
  }

  return {
    ortAssetBase: `${base}/v1/assets/ort/`,

    async model(ref, signal) {
      const c = abortable(signal);
      if (ref) return toSummary(await c.getModel(ref));
      const list = await c.listModels();
      const chosen = list.models.find((m) => `${m.id}@${m.version}` === list.default) ?? list.models[0];
      if (!chosen) throw new EditorApiError('no_default_model', 'the server has no model loaded');
      return toSummary(chosen);
    },

    async liteEncoder(ref) {
      try {
        return await client.getLiteEncoder(ref);
      } catch (err) {
        if ((err as { status?: number }).status === 404) return null;
        throw err;
      }
    },

    async upload(bytes, contentType) {
      return (await client.uploadDirect(bytes, asImageType(contentType))).key;
    },

    async encode(model, image) {
      return Float32Array.from((await client.encode({ key: image }, { model })).z);
    },

    async preview(req: PreviewRequest, signal): Promise<PreviewResult> {
      // The image (not its z) is sent when there is one: the server then inverts it for the stochastic
      // code (cached by image hash), so the preview keeps the photo's detail instead of seed noise.
      const target = req.image ? { image: req.image } : { z: Array.from(req.z ?? []) };
      const res = await abortable(signal).preview({
        model: req.model,
        edits: req.edits,
        format: 'base64',
        ...target,
      });
      if (!res.preview.available) throw new EditorApiError('preview_unavailable', res.preview.reason);
      return {
        png: base64ToBlob(res.preview.image, res.preview.format),
        z: Float32Array.from(res.z),
        scores: res.scores ?? {},
      };
    },

    async submitJob(spec: JobSpec, idempotencyKey) {
      return (await client.submitJob(spec, { idempotencyKey })).id;
    },

    async watchJob(jobId, onStatus, signal) {
      // `status` carries the whole status document, `progress` only { state, progress } (progress.json).
      let last: JobStatus | undefined;
      for await (const e of client.jobEvents(jobId, signal ? { signal } : {})) {
        const data = e.data as Partial<JobStatus> | null;
        if (!data || typeof data !== 'object') continue;
        if (e.event === 'status') last = data as JobStatus;
        else if (e.event === 'progress' && last && data.progress && !TERMINAL_STATES.includes(last.state)) {
          last = { ...last, progress: data.progress, ...(data.state && { state: data.state }) };
        } else continue;
        onStatus(last);
        if (TERMINAL_STATES.includes(last.state)) return last;
      }
      if (signal?.aborted) throw abortError();
      // The stream ended early (timeout, proxy): fall back to polling.
      return poll(jobId, onStatus, signal);
    },

    async results(jobId) {
      const res = await client.getJobResult(jobId);
      return res.outputs.map((o) => ({ name: o.name, url: o.url, contentType: o.contentType }));
    },

    async cancelJob(jobId) {
      await client.cancelJob(jobId);
    },
  };
}
