import { describe, expect, it } from 'vitest';
import { buildOpenApiDocument } from '../src/openapi.ts';
import { ROUTES } from '../src/routes/table.ts';
import { type EdgeFixture, makeEdgeFixture } from './helpers/edge-fixture.ts';

type Doc = {
  openapi: string;
  paths: Record<
    string,
    Record<string, { operationId: string; responses: Record<string, unknown>; requestBody?: unknown }>
  >;
};

describe('OpenAPI document', () => {
  it('is OpenAPI 3.1 with every route of the app, each with responses and schemas', async () => {
    let f: EdgeFixture | undefined;
    try {
      f = await makeEdgeFixture();
      const doc = (await (await f.app.request('/openapi.json')).json()) as Doc;
      expect(doc.openapi).toBe('3.1.0');
      const documented = new Set(
        Object.entries(doc.paths).flatMap(([p, ops]) =>
          Object.keys(ops).map((m) => `${m.toUpperCase()} ${p.replace(/\{(\w+)\}/g, ':$1')}`),
        ),
      );
      const served = f.app.routes
        .filter((r) => r.method !== 'ALL' && r.path.startsWith('/v1/'))
        .map((r) => `${r.method} ${r.path}`);
      expect(new Set(served)).toEqual(documented);
      for (const ops of Object.values(doc.paths)) {
        for (const op of Object.values(ops)) {
          expect(
            Object.keys(op.responses).some((s) => s.startsWith('2')),
            op.operationId,
          ).toBe(true);
          expect(op.responses['500'], op.operationId).toBeDefined();
        }
      }
    } finally {
      await f?.close();
    }
  });

  it('describes request bodies from the zod schemas (job kinds, preview fields)', () => {
    const doc = buildOpenApiDocument() as unknown as Doc;
    const jobs = JSON.stringify(doc.paths['/v1/jobs'].post.requestBody);
    for (const kind of ['reconstruct', 'manipulate', 'interpolate', 'vary', 'sample', 'direction'])
      expect(jobs).toContain(kind);
    expect(jobs).toContain('webhook');
    const preview = JSON.stringify(doc.paths['/v1/preview'].post.requestBody);
    expect(preview).toContain('edits');
    expect(new Set(ROUTES.map((r) => r.operationId)).size).toBe(ROUTES.length);
  });
});
