#!/usr/bin/env node
/**
 * `npm start`: the whole stack on one port (see scripts/local-stack/index.ts).
 *
 *   npm start                 # http://127.0.0.1:8787/
 *   PORT=9000 npm start       # or: npm start -- --port 9000 [--host 0.0.0.0] [--dir ./local-stack] [--bundle DIR]
 */
import { register } from 'tsx/esm/api';

register();
const { startLocalStack } = await import('./local-stack/index.ts');
const { DEFAULT_PORT, DEFAULT_STACK_DIR } = await import('./local-stack/paths.ts');
const { parsePort } = await import('./local-stack/port.ts');

function parseArgs(argv) {
  const out = {};
  for (let i = 0; i < argv.length; i++) {
    const [flag, inline] = argv[i].split('=', 2);
    const value = inline ?? argv[++i];
    if (!['--port', '--host', '--dir', '--bundle'].includes(flag) || value === undefined) {
      throw new Error(
        `unknown or incomplete option ${argv[i]} (use --port N, --host H, --dir DIR, --bundle DIR)`,
      );
    }
    out[flag.slice(2)] = value;
  }
  return out;
}

let stack;
try {
  const args = parseArgs(process.argv.slice(2));
  const port = parsePort(args.port, '--port') ?? parsePort(process.env.PORT, 'PORT') ?? DEFAULT_PORT;
  stack = await startLocalStack({
    dir: args.dir ?? DEFAULT_STACK_DIR,
    port,
    ...(args.host && { host: args.host }),
    ...(args.bundle && { bundleDir: args.bundle }),
  });
} catch (err) {
  console.error(`npm start: ${err instanceof Error ? err.message : String(err)}`);
  process.exit(1);
}

console.log(
  `\nDiffAE local stack ready (${stack.fixtureBundle ? 'random-weight fixture model' : stack.bundleDir})`,
);
console.log(`  API:   ${stack.url}/v1/models`);
console.log(`  Demo:  ${stack.demoUrl}`);
console.log(`  Secret key for scripts: ${stack.secretKey} (kept in ${stack.dir}/keys.json)`);
console.log('  Ctrl-C stops it; jobs and results stay in the state folder.\n');

let stopping = false;
const stop = async (signal) => {
  if (stopping) return;
  stopping = true;
  console.log(`\n${signal}: stopping…`);
  await stack.close();
  process.exit(0);
};
process.on('SIGINT', () => void stop('SIGINT'));
process.on('SIGTERM', () => void stop('SIGTERM'));
stack.worker.exited.then((code) => {
  if (stopping) return;
  console.error(`the worker exited unexpectedly (code ${code}); stopping`);
  void stack.close().then(() => process.exit(1));
});
