/** The shape of one `diffae` sub-command and the helpers every model command shares. */
import type { DiffusionSpec } from '../../pipelines.ts';
import type { RunOptions } from '../../sampler.ts';
import { assertValidStepCount } from '../../schedule.ts';
import type { Tensor } from '../../tensor.ts';
import { intOption, type OptionSpec, optionalInt, type ParsedArgs, stringOption } from './args.ts';
import { CliUsageError } from './errors.ts';
import { type ImageTarget, writeImages, writeTensor } from './io.ts';
import { type ProgressSink, progressBar } from './progress.ts';
import type { Session } from './session.ts';

export interface CliIo {
  /** Results and summaries (one line per call). */
  readonly out: (line: string) => void;
  /** Progress bars and warnings. */
  readonly err: ProgressSink;
}

export interface Command {
  readonly name: string;
  /** One line for the top-level help. */
  readonly summary: string;
  /** The full `--help` text. */
  readonly help: string;
  readonly options: OptionSpec;
  run(args: ParsedArgs, io: CliIo): Promise<void>;
}

/** A command that takes its argv unparsed (e.g. `export`, which forwards to Python). */
export interface RawCommand {
  readonly name: string;
  readonly summary: string;
  runRaw(argv: readonly string[], io: CliIo): Promise<number>;
}

/** Progress, batch limit and the bundle's image diffusion (schedule, T, clip) for every pipeline call. */
export function pipelineOptions(session: Session, io: CliIo): RunOptions & { diffusion: DiffusionSpec } {
  const onProgress = progressBar(io.err);
  return {
    diffusion: session.bundle.manifest.diffusion.image,
    ...(onProgress ? { onProgress } : {}),
    ...(session.maxBatch !== undefined ? { maxBatch: session.maxBatch } : {}),
  };
}

/** A DDIM step count option (validated against the diffusion's T before any work starts). */
export function stepsOption(args: ParsedArgs, name: string, fallback: number, T: number): number {
  const K = intOption(args, name, fallback, 1);
  assertValidStepCount(K, T);
  return K;
}

export function seedOption(args: ParsedArgs, fallback?: number): number {
  const seed = optionalInt(args, 'seed', 0, 0xffffffff) ?? fallback;
  if (seed === undefined) throw new CliUsageError('--seed N is required');
  return seed;
}

export const IMAGE_OUTPUT_OPTIONS = {
  out: { type: 'string' },
  'out-dir': { type: 'string' },
  'out-npy': { type: 'string' },
} as const satisfies OptionSpec;

export const IMAGE_OUTPUT_HELP = `Output:
  --out FILE.png         the image (several rows: FILE-0.png, FILE-1.png, …)
  --out-dir DIR          or a folder for the images
  --out-npy FILE.npy     also save the image tensor [N,3,S,S] in [0,1] (float32, before quantisation)`;

export function imageTarget(args: ParsedArgs, required = true): ImageTarget {
  const out = stringOption(args, 'out');
  const outDir = stringOption(args, 'out-dir');
  if (out !== undefined && outDir !== undefined) throw new CliUsageError('give --out or --out-dir, not both');
  if (required && out === undefined && outDir === undefined) {
    throw new CliUsageError('--out FILE.png or --out-dir DIR is required');
  }
  return { ...(out !== undefined ? { out } : {}), ...(outDir !== undefined ? { outDir } : {}) };
}

/** Writes the PNGs (and the tensor with --out-npy) and reports every path. */
export async function saveImages(
  args: ParsedArgs,
  io: CliIo,
  images: Tensor,
  target: ImageTarget,
  prefix: string,
): Promise<void> {
  for (const path of await writeImages(images, target, prefix)) io.out(`wrote ${path}`);
  const npy = stringOption(args, 'out-npy');
  if (npy !== undefined) await saveTensor(io, npy, images);
}

export async function saveTensor(io: CliIo, path: string, t: Tensor): Promise<void> {
  await writeTensor(path, t);
  io.out(`wrote ${path} [${t.shape.join(', ')}]`);
}

export function helpText(usage: string, description: string, ...sections: string[]): string {
  return [`Usage: ${usage}`, '', description, '', ...sections.flatMap((s) => [s, ''])].join('\n').trimEnd();
}
