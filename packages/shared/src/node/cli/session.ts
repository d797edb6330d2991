/** Opens the bundle and its backend from the common options, and closes the backend afterwards. */
import type { OrtBackend } from '../../backends/ort-common.ts';
import { type LoadedBundle, loadBundle, openBundleBackend } from '../bundle.ts';
import { optionalInt, type ParsedArgs, requireString, stringOption } from './args.ts';
import type { CliIo } from './command.ts';
import { CliUsageError } from './errors.ts';

export interface BackendChoice {
  readonly runtime: 'node' | 'web';
  readonly threads?: number;
  readonly providers?: readonly string[];
  readonly maxBatch?: number;
}

export function backendChoice(args: ParsedArgs): BackendChoice {
  const runtime = stringOption(args, 'runtime') ?? 'node';
  if (runtime !== 'node' && runtime !== 'web') {
    throw new CliUsageError(`--runtime must be "node" or "web", got "${runtime}"`);
  }
  const providersText = stringOption(args, 'providers');
  const providers = providersText
    ?.split(',')
    .map((p) => p.trim())
    .filter((p) => p.length > 0);
  if (providers !== undefined && providers.length === 0) {
    throw new CliUsageError('--providers needs at least one provider, e.g. cuda,cpu');
  }
  if (providers !== undefined && runtime === 'web') {
    throw new CliUsageError('--providers applies to --runtime node only');
  }
  const threads = optionalInt(args, 'threads', 1, 1024);
  const maxBatch = optionalInt(args, 'max-batch', 1);
  return {
    runtime,
    ...(threads !== undefined ? { threads } : {}),
    ...(providers !== undefined ? { providers } : {}),
    ...(maxBatch !== undefined ? { maxBatch } : {}),
  };
}

export function loadBundleFromArgs(args: ParsedArgs): Promise<LoadedBundle> {
  const dir = requireString(args, 'bundle', 'DIR (the model bundle folder)');
  return loadBundle(dir, { verify: args.values['no-verify'] !== true });
}

export interface Session {
  readonly bundle: LoadedBundle;
  readonly backend: OrtBackend;
  /** Pipeline options shared by every call: batch limit and progress. */
  readonly maxBatch?: number;
}

/** Loads the bundle, opens the backend, runs `fn`, and always disposes the backend. */
export async function withSession<T>(
  args: ParsedArgs,
  io: CliIo,
  fn: (s: Session) => Promise<T>,
): Promise<T> {
  const choice = backendChoice(args);
  const bundle = await loadBundleFromArgs(args);
  const backend = await openBundleBackend(bundle, {
    runtime: choice.runtime,
    ...(choice.threads !== undefined ? { threads: choice.threads } : {}),
    ...(choice.providers !== undefined ? { providers: choice.providers } : {}),
    logger: { warn: (message) => io.err.write(`warning: ${message}\n`) },
  });
  try {
    return await fn({
      bundle,
      backend,
      ...(choice.maxBatch !== undefined ? { maxBatch: choice.maxBatch } : {}),
    });
  } finally {
    await backend.dispose();
  }
}
