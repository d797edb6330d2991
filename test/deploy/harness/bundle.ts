/**
 * Builds `sst.config.ts` the way the SST CLI (pkg/project/run.go, pkg/js/js.go) does: an ESM bundle
 * whose entry calls the platform's `run()` on the config's `run`, with providers and `sst` prepended
 * as globals to every file outside `.sst`, `$app`/`$cli`/`$dev` defined, and the platform shim
 * injected. The output lives inside `.sst/platform` so that its externals resolve from there.
 */
import { readFile } from 'node:fs/promises';
import { join } from 'node:path';
import type { Plugin } from 'esbuild';
import { build } from 'esbuild';
import { CONFIG_PATH, PLATFORM_DIR, providerLock, REPO_ROOT } from './platform.ts';

const BANNER = [
  "import { createRequire as topLevelCreateRequire } from 'module';",
  'const require = topLevelCreateRequire(import.meta.url);',
  "import { fileURLToPath as topLevelFileUrlToPath, URL as topLevelURL } from 'url';",
  'const __filename = topLevelFileUrlToPath(import.meta.url);',
  "const __dirname = topLevelFileUrlToPath(new topLevelURL('.', import.meta.url));",
].join('\n');

const EXTERNAL = [
  '@pulumi/*',
  'undici',
  '@pulumiverse/*',
  '@sst-provider/*',
  '@aws-sdk/*',
  'esbuild',
  'archiver',
  'glob',
  'vite',
];

export interface CliPaths {
  home: string;
  root: string;
  work: string;
  platform: string;
}

export interface RunBundleInput {
  app: Record<string, unknown>;
  paths: CliPaths;
  dev: boolean;
  outfile: string;
}

function providerGlobals(): string {
  const imports = providerLock().map((entry) => `import * as ${entry.alias} from "${entry.package}";`);
  imports.push(`import * as sst from "${join(PLATFORM_DIR, 'src/components')}";`);
  return imports.join('\n');
}

function injectGlobals(globals: string): Plugin {
  return {
    name: 'inject-globals',
    setup(pluginBuild) {
      pluginBuild.onLoad({ filter: /\.(js|ts|jsx|tsx)$/ }, async (args) => {
        const contents = await readFile(args.path, 'utf8');
        return {
          contents: args.path.includes('.sst') ? contents : `${globals}\n${contents}`,
          loader: 'default',
        };
      });
    },
  };
}

export async function bundleRun({ app, paths, dev, outfile }: RunBundleInput): Promise<void> {
  const cli = { command: 'deploy', dev, paths, state: { version: {} } };
  const entry = [
    `import { run } from ${JSON.stringify(join(PLATFORM_DIR, 'src/auto/run.ts'))};`,
    `import mod from ${JSON.stringify(CONFIG_PATH)};`,
    'const result = await run(mod.run);',
    'export default result;',
  ].join('\n');
  await build({
    stdin: { contents: entry, resolveDir: REPO_ROOT, sourcefile: 'eval.ts', loader: 'ts' },
    outfile,
    bundle: true,
    write: true,
    format: 'esm',
    platform: 'node',
    mainFields: ['module', 'main'],
    banner: { js: BANNER },
    nodePaths: [join(PLATFORM_DIR, 'node_modules')],
    external: EXTERNAL,
    define: { $app: JSON.stringify(app), $cli: JSON.stringify(cli), $dev: String(dev) },
    inject: [join(PLATFORM_DIR, 'src/shim/run.js')],
    plugins: [injectGlobals(providerGlobals())],
    logLevel: 'silent',
  });
}

/** Bundles just the config's `app()` (as the CLI evaluates it before a run) to read the app settings. */
export async function bundleApp(outfile: string): Promise<void> {
  const entry = [`import mod from ${JSON.stringify(CONFIG_PATH)};`, 'export default mod.app;'].join('\n');
  await build({
    stdin: { contents: entry, resolveDir: REPO_ROOT, sourcefile: 'eval-app.ts', loader: 'ts' },
    outfile,
    bundle: true,
    write: true,
    format: 'esm',
    platform: 'node',
    // The config module calls the global `$config` at load time; the platform's is the identity.
    banner: { js: 'globalThis.$config = (input) => input;' },
    external: EXTERNAL,
    logLevel: 'silent',
  });
}
