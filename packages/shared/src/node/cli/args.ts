/** Option parsing shared by every `diffae` command (node:util parseArgs, strict: unknown options fail). */
import { type ParseArgsConfig, parseArgs } from 'node:util';
import { CliUsageError } from './errors.ts';

export type OptionSpec = NonNullable<ParseArgsConfig['options']>;

export interface ParsedArgs {
  readonly values: Record<string, string | boolean | string[] | undefined>;
  readonly positionals: string[];
}

/** Options every model command accepts (bundle, runtime and backend tuning). */
export const BACKEND_OPTIONS = {
  bundle: { type: 'string' },
  runtime: { type: 'string' },
  threads: { type: 'string' },
  providers: { type: 'string' },
  'max-batch': { type: 'string' },
  'no-verify': { type: 'boolean' },
} as const satisfies OptionSpec;

export const BACKEND_HELP = `Common options:
  --bundle DIR           model bundle folder (manifest.json)              [required]
  --runtime node|web     onnxruntime-node (default) or onnxruntime-web (WASM)
  --threads N            CPU threads (node: intra-op threads, web: WASM threads; default node: all, web: 1)
  --providers LIST       onnxruntime-node execution providers, e.g. cuda,cpu (default cpu)
  --max-batch N          most rows per network call (default: all rows at once)
  --no-verify            skip the SHA-256 check of the bundle files (sizes are still checked)
  -h, --help             show this help`;

export function parseCommandArgs(command: string, options: OptionSpec, argv: readonly string[]): ParsedArgs {
  try {
    const { values, positionals } = parseArgs({
      args: [...argv],
      options: { ...options, help: { type: 'boolean', short: 'h' } },
      allowPositionals: true,
      strict: true,
    });
    return { values: values as ParsedArgs['values'], positionals };
  } catch (error) {
    // parseArgs messages end with a hint about "--" that does not apply here; keep the first sentence.
    let message = (error as Error).message.split('. To specify')[0].split('\n')[0];
    const ambiguous = /^Option '(--[\w-]+)' argument is ambiguous/.exec(message);
    if (ambiguous)
      message = `${ambiguous[1]} needs a value; write a value starting with "-" as ${ambiguous[1]}=VALUE`;
    throw new CliUsageError(`${message} (see diffae ${command} --help)`);
  }
}

export function stringOption(args: ParsedArgs, name: string): string | undefined {
  const v = args.values[name];
  if (v === undefined) return undefined;
  if (typeof v !== 'string') throw new CliUsageError(`--${name} needs a value`);
  return v;
}

export function requireString(args: ParsedArgs, name: string, what: string): string {
  const v = stringOption(args, name);
  if (v === undefined || v === '') throw new CliUsageError(`--${name} ${what} is required`);
  return v;
}

export function stringList(args: ParsedArgs, name: string): string[] {
  const v = args.values[name];
  if (v === undefined) return [];
  return Array.isArray(v) ? v : [String(v)];
}

export function flag(args: ParsedArgs, name: string): boolean {
  return args.values[name] === true;
}

/** An integer option within [min, max], or undefined when absent. */
export function optionalInt(
  args: ParsedArgs,
  name: string,
  min = 1,
  max = Number.MAX_SAFE_INTEGER,
): number | undefined {
  const text = stringOption(args, name);
  if (text === undefined) return undefined;
  const n = Number(text);
  if (!/^-?\d+$/.test(text.trim()) || !Number.isSafeInteger(n) || n < min || n > max) {
    const range = max === Number.MAX_SAFE_INTEGER ? `>= ${min}` : `in ${min}..${max}`;
    throw new CliUsageError(`--${name} must be an integer ${range}, got "${text}"`);
  }
  return n;
}

/** An integer option within [min, max]; `fallback` when absent. */
export function intOption(
  args: ParsedArgs,
  name: string,
  fallback: number,
  min = 1,
  max = Number.MAX_SAFE_INTEGER,
): number {
  return optionalInt(args, name, min, max) ?? fallback;
}

export function positionals(
  args: ParsedArgs,
  what: string,
  min: number,
  max = Number.POSITIVE_INFINITY,
): string[] {
  const p = args.positionals;
  if (p.length < min || p.length > max) {
    const expected =
      min === max ? `${min}` : max === Number.POSITIVE_INFINITY ? `at least ${min}` : `${min} to ${max}`;
    throw new CliUsageError(
      `expected ${expected} ${what}, got ${p.length}${p.length > 0 ? ` (${p.join(' ')})` : ''}`,
    );
  }
  return p;
}
