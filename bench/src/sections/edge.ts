/**
 * Section 4: the edge API over loopback HTTP (the Node adapter, 127.0.0.1 only): `/v1/encode` and
 * `/v1/preview` latency in onnxruntime-web, and a burst of concurrent `POST /v1/jobs` (throughput,
 * per-request latency, process RSS).
 */
import { mkdir, readFile } from 'node:fs/promises';
import path from 'node:path';
import { pathToFileURL } from 'node:url';
import { startEdgeServer } from '../../../packages/edge/src/adapters/node.ts';
import { createApiKey } from '../../../packages/edge/src/keys.ts';
import { photoVariant } from '../images.ts';
import { benchModel } from '../models.ts';
import type { Cell } from '../report.ts';
import type { Section, SectionOutput } from '../section.ts';
import { median, quantile, summarize } from '../stats.ts';

const silent = { info() {}, warn() {}, error() {} };
const MIB = 2 ** 20;

interface Client {
  json<T>(method: string, route: string, body?: unknown): Promise<{ status: number; body: T; ms: number }>;
  png<T>(route: string, bytes: Uint8Array): Promise<{ status: number; body: T; ms: number }>;
}

function client(base: string, key: string): Client {
  async function call<T>(route: string, init: RequestInit) {
    const started = performance.now();
    const res = await fetch(base + route, {
      ...init,
      headers: { authorization: `Bearer ${key}`, ...init.headers },
    });
    const body = (await res.json()) as T;
    return { status: res.status, body, ms: performance.now() - started };
  }
  return {
    json: (method, route, body) =>
      call(route, {
        method,
        headers: { 'content-type': 'application/json' },
        ...(body !== undefined && { body: JSON.stringify(body) }),
      }),
    png: (route, bytes) =>
      call(route, { method: 'POST', headers: { 'content-type': 'image/png' }, body: bytes.slice() }),
  };
}

function expectStatus(what: string, r: { status: number; body: unknown }, want: number): void {
  if (r.status !== want)
    throw new Error(`${what}: HTTP ${r.status} (expected ${want}): ${JSON.stringify(r.body).slice(0, 400)}`);
}

/** Samples the process RSS every `everyMs` until stopped; returns the peak. */
function rssSampler(everyMs: number): { stop(): number } {
  let peak = process.memoryUsage.rss();
  const timer = setInterval(() => {
    peak = Math.max(peak, process.memoryUsage.rss());
  }, everyMs);
  return {
    stop() {
      clearInterval(timer);
      return Math.max(peak, process.memoryUsage.rss());
    },
  };
}

export const edgeSection: Section = {
  id: '4',
  title: 'Edge: encode and preview (onnxruntime-web), submit burst',
  async run(ctx): Promise<SectionOutput> {
    const { reps, submits } = ctx.options.profile.edge;
    const model = await benchModel(ctx.torch, 'default');
    const dir = path.join(ctx.scratchDir, 'edge');
    await mkdir(dir, { recursive: true });
    const { key, record } = await createApiKey('secret', 'bench', {
      rateLimit: { requestsPerMinute: 1_000_000, burst: 100_000 },
    });
    const server = await startEdgeServer({
      host: '127.0.0.1',
      storageUrl: pathToFileURL(path.join(dir, 'store')).href,
      queueUrl: `sqlite://${path.join(dir, 'queue.db')}`,
      bundleDirs: [model.bundleDir],
      apiKeys: [record],
      threads: ctx.options.threads,
      logger: silent,
    });
    try {
      const api = client(server.url, key);
      const manifest = JSON.parse(await readFile(path.join(model.bundleDir, 'manifest.json'), 'utf8')) as {
        attributes: string[];
      };
      const attribute = manifest.attributes[0];
      let variant = 2000;
      type EncodeBody = { encoder: string; cached: boolean; ms: number };
      type PreviewBody = {
        cached: { encode: boolean; inversion: boolean };
        ms: Record<string, number>;
        preview: { available: boolean };
      };
      // Warm-up: first session creation and WASM start-up.
      expectStatus('encode (warm-up)', await api.png('/v1/encode', photoVariant(variant++)), 200);
      const encodeMs: number[] = [];
      const previewFirst: number[] = [];
      const previewSecond: number[] = [];
      let encoder = '';
      let previewAvailable = true;
      for (let i = 0; i < reps; i++) {
        const enc = await api.png<EncodeBody>('/v1/encode', photoVariant(variant++));
        expectStatus('encode', enc, 200);
        if (enc.body.cached) throw new Error('encode of a new image variant was served from the cache');
        encoder = enc.body.encoder;
        encodeMs.push(enc.ms);
        const up = await api.png<{ key: string }>('/v1/uploads/direct', photoVariant(variant++));
        expectStatus('upload', up, 201);
        const edits = attribute ? [{ attribute, amplitude: 0.5 }] : [];
        const first = await api.json<PreviewBody>('POST', '/v1/preview', {
          image: up.body.key,
          edits,
          format: 'base64',
        });
        expectStatus('preview', first, 200);
        previewAvailable &&= first.body.preview.available;
        previewFirst.push(first.ms);
        const again = attribute ? [{ attribute, amplitude: -0.5 }] : [];
        const second = await api.json<PreviewBody>('POST', '/v1/preview', {
          image: up.body.key,
          edits: again,
          format: 'base64',
        });
        expectStatus('preview (second)', second, 200);
        previewSecond.push(second.ms);
      }

      // Submit burst: every request in flight at once, over loopback.
      const up = await api.png<{ key: string }>('/v1/uploads/direct', photoVariant(variant++));
      expectStatus('upload', up, 201);
      const rssBefore = process.memoryUsage.rss();
      const sampler = rssSampler(5);
      const started = performance.now();
      const answers = await Promise.all(
        Array.from({ length: submits }, () =>
          api.json<{ id: string }>('POST', '/v1/jobs', {
            kind: 'reconstruct',
            input: { image: up.body.key },
          }),
        ),
      );
      const wallMs = performance.now() - started;
      const rssPeak = sampler.stop();
      const codes: Record<string, number> = {};
      for (const a of answers) codes[a.status] = (codes[a.status] ?? 0) + 1;
      const accepted = answers.filter((a) => a.status === 202 || a.status === 201).length;
      if (accepted !== submits)
        throw new Error(`only ${accepted} of ${submits} submissions were accepted: ${JSON.stringify(codes)}`);
      const queued = await server.queue.stats();
      const lat = answers.map((a) => a.ms);
      return {
        tables: [
          {
            title: `Edge latency over loopback HTTP, onnxruntime-web ${ctx.options.threads} thread(s) (ms, medians of ${reps})`,
            columns: ['request', 'median ms', 'p10', 'p90'],
            rows: [
              [`POST /v1/encode (new image, ${encoder} encoder)`, ...stats3(encodeMs)],
              [
                `POST /v1/preview, first edit of an image${previewAvailable ? '' : ' (preview unavailable)'}`,
                ...stats3(previewFirst),
              ],
              ['POST /v1/preview, second edit (cached inversion)', ...stats3(previewSecond)],
            ] as Cell[][],
          },
          {
            title: `${submits} concurrent POST /v1/jobs`,
            columns: [
              'requests',
              'wall ms',
              'requests/s',
              'median latency ms',
              'p95 latency ms',
              'RSS before MiB',
              'RSS peak MiB',
              'RSS growth MiB',
              'status codes',
            ],
            rows: [
              [
                submits,
                wallMs,
                (submits * 1000) / wallMs,
                median(lat),
                quantile(lat, 0.95),
                rssBefore / MIB,
                rssPeak / MIB,
                (rssPeak - rssBefore) / MIB,
                Object.entries(codes)
                  .map(([c, n]) => `${c}×${n}`)
                  .join(' '),
              ],
            ],
          },
        ],
        data: {
          encodeMs: summarize(encodeMs),
          previewFirstMs: summarize(previewFirst),
          previewSecondMs: summarize(previewSecond),
          submit: { submits, wallMs, latencyMs: summarize(lat), rssBefore, rssPeak, codes, queued },
        },
        notes: [
          'The edge runs in the benchmark process (startEdgeServer, @hono/node-server on 127.0.0.1, fs store + SQLite queue); RSS is of that process, so the growth is the figure to read.',
          'Every encode and first preview uses a new image variant (no cache hit); the second preview changes only the edit amplitude.',
        ],
      };
    } finally {
      await server.close();
    }
  },
};

function stats3(ms: readonly number[]): number[] {
  return [median(ms), quantile(ms, 0.1), quantile(ms, 0.9)];
}
