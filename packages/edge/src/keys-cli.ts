/**
 * Creates an API key and prints it with its DIFFAE_API_KEYS record.
 *
 *   node --import tsx packages/edge/src/keys-cli.ts secret <tenant>
 *   node --import tsx packages/edge/src/keys-cli.ts publishable <tenant> https://app.example.com [...]
 */
import { createApiKey, KEY_KINDS, type KeyKind } from './keys.ts';

async function main(argv: string[]): Promise<number> {
  const [kind, tenant, ...origins] = argv;
  if (!KEY_KINDS.includes(kind as KeyKind) || !tenant) {
    console.error('usage: keys-cli.ts secret|publishable <tenant> [origin ...]');
    return 2;
  }
  try {
    const { key, record } = await createApiKey(kind as KeyKind, tenant, origins.length ? { origins } : {});
    console.log(`key (shown once, give it to the client): ${key}`);
    console.log(`record for DIFFAE_API_KEYS: ${JSON.stringify(record)}`);
    return 0;
  } catch (err) {
    console.error(err instanceof Error ? err.message : String(err));
    return 1;
  }
}

process.exitCode = await main(process.argv.slice(2));
