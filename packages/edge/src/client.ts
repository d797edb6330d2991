/**
 * Typed fetch client for the /v1 API (browsers, Node, workers). Errors are thrown as
 * `ApiError { status, code, message }` with the server's code, or `network_error`/`invalid_response`.
 */
import { ApiError } from './errors.ts';
import type {
  CancelResponse,
  DirectUpload,
  EncodeResponse,
  JobAccepted,
  JobResult,
  JobStatusResponse,
  JobSubmission,
  ModelList,
  ModelSummary,
  PresignedUpload,
  PreviewRequest,
  PreviewResponse,
} from './schemas.ts';

export type * from './schemas.ts';
export { ApiError };

export type ImageContentType = 'image/png' | 'image/jpeg';

export interface ClientOptions {
  baseUrl: string;
  apiKey?: string;
  fetch?: typeof fetch;
}

export interface JobEvent {
  event: 'status' | 'progress' | 'end' | string;
  data: unknown;
  id?: string;
}

async function errorFrom(res: Response): Promise<ApiError> {
  const text = await res.text().catch(() => '');
  try {
    const body = JSON.parse(text) as { error?: { code?: unknown; message?: unknown } };
    if (typeof body.error?.code === 'string')
      return new ApiError(res.status, body.error.code, String(body.error.message ?? ''));
  } catch {}
  return new ApiError(res.status, 'http_error', `HTTP ${res.status}${text ? `: ${text.slice(0, 200)}` : ''}`);
}

/** Server-sent events parsed from a fetch body (EventSource cannot send an Authorization header). */
async function* parseSse(body: ReadableStream<Uint8Array>): AsyncGenerator<JobEvent> {
  const reader = body.getReader();
  const decoder = new TextDecoder();
  let buffer = '';
  try {
    for (;;) {
      const { done, value } = await reader.read();
      if (done) return;
      buffer += decoder.decode(value, { stream: true });
      let cut = buffer.indexOf('\n\n');
      while (cut >= 0) {
        const block = buffer.slice(0, cut);
        buffer = buffer.slice(cut + 2);
        const event: JobEvent = { event: 'message', data: '' };
        const data: string[] = [];
        for (const line of block.split('\n')) {
          if (line.startsWith('event:')) event.event = line.slice(6).trim();
          else if (line.startsWith('data:')) data.push(line.slice(5).trimStart());
          else if (line.startsWith('id:')) event.id = line.slice(3).trim();
        }
        if (data.length > 0) {
          const text = data.join('\n');
          try {
            event.data = JSON.parse(text);
          } catch {
            event.data = text;
          }
          yield event;
        }
        cut = buffer.indexOf('\n\n');
      }
    }
  } finally {
    await reader.cancel().catch(() => undefined);
  }
}

export function createClient(options: ClientOptions) {
  const base = options.baseUrl.replace(/\/+$/, '');
  const doFetch = options.fetch ?? ((input: RequestInfo | URL, init?: RequestInit) => fetch(input, init));

  async function send(path: string, init: RequestInit = {}): Promise<Response> {
    const headers = new Headers(init.headers);
    if (options.apiKey) headers.set('authorization', `Bearer ${options.apiKey}`);
    let res: Response;
    try {
      res = await doFetch(`${base}${path}`, { ...init, headers });
    } catch (err) {
      throw new ApiError(
        0,
        'network_error',
        `cannot reach ${base}: ${err instanceof Error ? err.message : String(err)}`,
      );
    }
    if (!res.ok) throw await errorFrom(res);
    return res;
  }

  async function json<T>(path: string, init: RequestInit = {}): Promise<T> {
    const res = await send(path, init);
    try {
      return (await res.json()) as T;
    } catch {
      throw new ApiError(res.status, 'invalid_response', `${path} did not answer JSON`);
    }
  }

  const post = <T>(path: string, body: unknown, headers: Record<string, string> = {}) =>
    json<T>(path, {
      method: 'POST',
      headers: { 'content-type': 'application/json', ...headers },
      body: JSON.stringify(body),
    });
  const postImage = <T>(path: string, bytes: Uint8Array, contentType: ImageContentType) =>
    json<T>(path, {
      method: 'POST',
      headers: { 'content-type': contentType },
      body: bytes as Uint8Array<ArrayBuffer>,
    });
  const job = (id: string) => `/v1/jobs/${encodeURIComponent(id)}`;
  const model = (id: string) => `/v1/models/${encodeURIComponent(id)}`;

  return {
    listModels: () => json<ModelList>('/v1/models'),
    getModel: (id: string) => json<ModelSummary>(model(id)),
    getLiteEncoder: async (id: string) =>
      new Uint8Array(await (await send(`${model(id)}/lite-encoder.onnx`)).arrayBuffer()),
    getClassifier: (id: string) => json<unknown>(`${model(id)}/classifier.json`),
    getOrtAsset: async (file: string) =>
      new Uint8Array(await (await send(`/v1/assets/ort/${encodeURIComponent(file)}`)).arrayBuffer()),

    createUpload: (contentType: ImageContentType, bytes: number) =>
      post<PresignedUpload>('/v1/uploads', { contentType, bytes }),
    uploadDirect: (bytes: Uint8Array, contentType: ImageContentType) =>
      postImage<DirectUpload>('/v1/uploads/direct', bytes, contentType),
    /** Presigned upload: asks for a URL, then PUTs the bytes there. Returns the key. */
    async uploadLarge(bytes: Uint8Array, contentType: ImageContentType): Promise<string> {
      const signed = await this.createUpload(contentType, bytes.length);
      let res: Response;
      try {
        res = await doFetch(signed.upload.url, {
          method: 'PUT',
          headers: signed.upload.headers,
          body: bytes as Uint8Array<ArrayBuffer>,
        });
      } catch (err) {
        throw new ApiError(
          0,
          'network_error',
          `upload failed: ${err instanceof Error ? err.message : String(err)}`,
        );
      }
      if (!res.ok) throw await errorFrom(res);
      return signed.key;
    },

    /** Encode an uploaded image (`{ key }`) or raw bytes. */
    encode(
      image: { key: string } | { bytes: Uint8Array; contentType: ImageContentType },
      opts: { model?: string } = {},
    ) {
      if ('key' in image) return post<EncodeResponse>('/v1/encode', { image: image.key, ...opts });
      const query = opts.model ? `?model=${encodeURIComponent(opts.model)}` : '';
      return postImage<EncodeResponse>(`/v1/encode${query}`, image.bytes, image.contentType);
    },
    preview: (req: PreviewRequest) => post<PreviewResponse>('/v1/preview', req),

    submitJob: (spec: JobSubmission, opts: { idempotencyKey?: string } = {}) =>
      post<JobAccepted>(
        '/v1/jobs',
        spec,
        opts.idempotencyKey ? { 'idempotency-key': opts.idempotencyKey } : {},
      ),
    getJob: (id: string) => json<JobStatusResponse>(job(id)),
    getJobResult: (id: string) => json<JobResult>(`${job(id)}/result`),
    cancelJob: (id: string) => json<CancelResponse>(`${job(id)}/cancel`, { method: 'POST' }),
    /** Status and progress events until the job ends (the stream closes after `end`). */
    async *jobEvents(id: string, opts: { signal?: AbortSignal } = {}): AsyncGenerator<JobEvent> {
      const res = await send(`${job(id)}/events`, {
        headers: { accept: 'text/event-stream' },
        ...(opts.signal ? { signal: opts.signal } : {}),
      });
      if (!res.body) throw new ApiError(res.status, 'invalid_response', 'the event stream has no body');
      yield* parseSse(res.body);
    },
    openApi: () => json<Record<string, unknown>>('/openapi.json'),
  };
}

export type DiffaeClient = ReturnType<typeof createClient>;
