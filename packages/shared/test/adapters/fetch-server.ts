/** Serves a Fetch-API handler on 127.0.0.1 with node:http (what the edge does through Hono). */
import { createServer, type Server } from 'node:http';
import { Readable } from 'node:stream';

export async function serveFetch(
  handler: (request: Request) => Promise<Response>,
): Promise<{ baseUrl: string; close(): Promise<void> }> {
  const server: Server = createServer(async (req, res) => {
    const url = `http://${req.headers.host}${req.url}`;
    const hasBody = req.method !== 'GET' && req.method !== 'HEAD';
    const headers = new Headers();
    for (const [k, v] of Object.entries(req.headers)) if (typeof v === 'string') headers.set(k, v);
    const request = new Request(url, {
      method: req.method ?? 'GET',
      headers,
      ...(hasBody && { body: Readable.toWeb(req) as ReadableStream, duplex: 'half' }),
    } as RequestInit);
    const response = await handler(request);
    res.writeHead(response.status, Object.fromEntries(response.headers));
    if (response.body) Readable.fromWeb(response.body as import('node:stream/web').ReadableStream).pipe(res);
    else res.end();
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const address = server.address();
  if (!address || typeof address === 'string') throw new Error('no TCP address');
  return {
    baseUrl: `http://127.0.0.1:${address.port}`,
    close: () => new Promise((resolve) => server.close(() => resolve())),
  };
}
