#!/usr/bin/env node
// The `diffae` CLI: loads the TypeScript sources through tsx (no build step) and runs src/node/cli/main.ts.
import { register } from 'tsx/esm/api';

register();
const { runCli } = await import('../src/node/cli/main.ts');
process.exitCode = await runCli(process.argv.slice(2));
