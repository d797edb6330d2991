/**
 * Loopback stand-in for the SST CLI's JSON-RPC server (`SST_SERVER`), answering the methods that
 * `sst.aws.Function` and the AWS bootstrap call during a deploy. `Runtime.Build` never reads the
 * handler's source: it returns an output folder with a placeholder file, so the config can name an
 * edge entry point that another package provides.
 */
import { mkdir, writeFile } from 'node:fs/promises';
import { createServer } from 'node:http';
import type { AddressInfo } from 'node:net';
import { join } from 'node:path';

export const ACCOUNT_ID = '123456789012';
export const REGION = 'us-east-1';

export interface RpcCall {
  method: string;
  params: unknown;
}

export interface CliStub {
  url: string;
  calls: RpcCall[];
  close(): Promise<void>;
}

type Handler = (params: Record<string, unknown>) => Promise<unknown> | unknown;

function handlers(artifactsDir: string): Record<string, Handler> {
  return {
    'Provider.Aws.Bootstrap': () => ({
      asset: `sst-asset-${ACCOUNT_ID}`,
      assetEcrRegistryId: ACCOUNT_ID,
      assetEcrUrl: `${ACCOUNT_ID}.dkr.ecr.${REGION}.amazonaws.com/sst-asset`,
      state: `sst-state-${ACCOUNT_ID}`,
      appsyncHttp: '',
      appsyncRealtime: '',
    }),
    'Runtime.Build': async (params) => {
      const functionId = String(params.functionID);
      const out = join(artifactsDir, functionId);
      await mkdir(out, { recursive: true });
      await writeFile(join(out, 'index.mjs'), 'export const handler = async () => ({ statusCode: 200 });\n');
      return { handler: 'index.handler', out, errors: [], sourcemaps: [] };
    },
    'Runtime.AddTarget': () => ({}),
  };
}

export async function startCliStub(artifactsDir: string): Promise<CliStub> {
  const calls: RpcCall[] = [];
  const methods = handlers(artifactsDir);
  const server = createServer((req, res) => {
    const chunks: Buffer[] = [];
    req.on('data', (chunk: Buffer) => chunks.push(chunk));
    req.on('end', async () => {
      const reply = (body: unknown) => {
        res.writeHead(200, { 'content-type': 'application/json' });
        res.end(JSON.stringify(body));
      };
      try {
        const request = JSON.parse(Buffer.concat(chunks).toString('utf8')) as {
          method: string;
          params: unknown[];
        };
        const params = (request.params?.[0] ?? {}) as Record<string, unknown>;
        calls.push({ method: request.method, params });
        const handler = methods[request.method];
        if (!handler) {
          reply({ result: null, error: `rpc: can't find method ${request.method}` });
          return;
        }
        reply({ result: await handler(params), error: null });
      } catch (error) {
        reply({ result: null, error: `stub failed: ${(error as Error).message}` });
      }
    });
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const { port } = server.address() as AddressInfo;
  return {
    url: `http://127.0.0.1:${port}`,
    calls,
    close: () => new Promise<void>((resolve, reject) => server.close((e) => (e ? reject(e) : resolve()))),
  };
}
