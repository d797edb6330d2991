/**
 * Child-process entry: runs `sst.config.ts` once under Pulumi mocks and writes what it registered.
 *
 *   node --import tsx test/deploy/harness/run-config.ts <stage> <result.json>
 *
 * One process per run keeps Pulumi's global state and the config's `process.env` reads isolated.
 * The stage's environment variables come from this process's environment (see synth.ts).
 */
import { mkdir, mkdtemp, rm, writeFile } from 'node:fs/promises';
import { createRequire } from 'node:module';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { pathToFileURL } from 'node:url';
import { bundleApp, bundleRun } from './bundle.ts';
import { startCliStub } from './cli-stub.ts';
import type { MockCallArgs, PulumiMocks, RecordedResource } from './mocks.ts';
import { createRecordingMocks, unwrapSecrets } from './mocks.ts';
import { assertPlatformInstalled, PLATFORM_DIR } from './platform.ts';

interface MockMonitorState {
  resources: Map<string, { urn: string; state: { toJavaScript?: () => Record<string, unknown> } }>;
}

interface PulumiRuntime {
  setMocks(mocks: PulumiMocks, project?: string, stack?: string, preview?: boolean): Promise<void>;
  runInPulumiStack(init: () => Promise<unknown>): Promise<unknown>;
  disconnect(): Promise<void>;
}

export interface RunResult {
  app: Record<string, unknown>;
  outputs: Record<string, unknown>;
  resources: RecordedResource[];
  dataSources: MockCallArgs[];
  rpc: { method: string; params: unknown }[];
  /** Outputs that component resources registered (e.g. a DevCommand's `_dev`), by resource name. */
  componentOutputs: Record<string, Record<string, unknown>>;
}

const RUN_TIMEOUT_MS = 50_000;

/** A fake project root holding only what components read from disk: the built site. */
async function fakeRoot(): Promise<string> {
  const root = await mkdtemp(join(tmpdir(), 'diffae-sst-'));
  const dist = join(root, 'packages', 'web', 'dist');
  await mkdir(dist, { recursive: true });
  await writeFile(join(dist, 'index.html'), '<!doctype html><title>diffae</title>\n');
  return root;
}

async function evaluateApp(stage: string): Promise<Record<string, unknown>> {
  const outfile = join(PLATFORM_DIR, `sst.app.test-${process.pid}.mjs`);
  try {
    await bundleApp(outfile);
    const { default: app } = (await import(pathToFileURL(outfile).href)) as {
      default: (input: { stage: string }) => Record<string, unknown>;
    };
    const settings = await app({ stage });
    // Defaults the CLI fills in (pkg/project): removal "retain", protect false.
    return { removal: 'retain', protect: false, providers: { aws: {} }, ...settings, stage };
  } finally {
    await rm(outfile, { force: true });
  }
}

const requirePlatform = createRequire(join(PLATFORM_DIR, 'package.json'));

/** The mock monitor keeps what `registerOutputs` sent for each URN; the mocks API does not expose it. */
function collectComponentOutputs(settings: unknown): Record<string, Record<string, unknown>> {
  const monitor = (settings as { getMonitor(): MockMonitorState }).getMonitor();
  const outputs: Record<string, Record<string, unknown>> = {};
  for (const [urn, entry] of monitor.resources) {
    const state = typeof entry.state?.toJavaScript === 'function' ? entry.state.toJavaScript() : undefined;
    if (state) outputs[urn.split('::').at(-1) ?? urn] = unwrapSecrets(state) as Record<string, unknown>;
  }
  return outputs;
}

async function main(stage: string, resultPath: string): Promise<void> {
  assertPlatformInstalled();
  const root = await fakeRoot();
  const work = join(root, '.sst');
  const stub = await startCliStub(join(work, 'artifacts'));
  const outfile = join(PLATFORM_DIR, `sst.config.test-${process.pid}.mjs`);
  try {
    const app = await evaluateApp(stage);
    const paths = { home: join(root, '.home'), root, work, platform: PLATFORM_DIR };
    await bundleRun({ app, paths, dev: false, outfile });

    process.env.SST_SERVER = stub.url;
    const pulumi = requirePlatform('@pulumi/pulumi') as { runtime: PulumiRuntime };
    const resources: RecordedResource[] = [];
    const dataSources: MockCallArgs[] = [];
    await pulumi.runtime.setMocks(
      createRecordingMocks(resources, dataSources),
      String(app.name),
      stage,
      false,
    );
    const outputs = await pulumi.runtime.runInPulumiStack(async () => {
      const mod = (await import(pathToFileURL(outfile).href)) as { default: unknown };
      return mod.default;
    });
    await pulumi.runtime.disconnect();
    const componentOutputs = collectComponentOutputs(requirePlatform('@pulumi/pulumi/runtime/settings.js'));
    const result: RunResult = {
      app,
      outputs: unwrapSecrets(outputs) as Record<string, unknown>,
      resources,
      dataSources,
      rpc: stub.calls,
      componentOutputs,
    };
    await writeFile(resultPath, JSON.stringify(result));
  } finally {
    await stub.close();
    await rm(outfile, { force: true });
    await rm(`${outfile}.map`, { force: true });
    await rm(root, { recursive: true, force: true });
  }
}

function fail(error: unknown): never {
  const message = error instanceof Error ? (error.stack ?? error.message) : String(error);
  process.stderr.write(`sst config run failed: ${message}\n`);
  process.exit(1);
}

// A component error surfaces as an unhandled rejection inside an apply; without this the run hangs.
process.on('unhandledRejection', fail);
process.on('uncaughtException', fail);
setTimeout(() => fail(new Error(`no result after ${RUN_TIMEOUT_MS} ms`)), RUN_TIMEOUT_MS).unref();

const [stage, resultPath] = process.argv.slice(2);
if (!stage || !resultPath) fail(new Error('usage: run-config.ts <stage> <result.json>'));
main(stage, resultPath).then(() => process.exit(0), fail);
