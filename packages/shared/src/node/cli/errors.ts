/** Which failures are the user's input (exit 2, one line) and which are bugs or environment problems (exit 1). */

import { ManifestError } from '../../bundle/manifest.ts';
import { ClassifierFormatError, UnknownAttributeError } from '../../classifier.ts';
import { ImageDecodeError } from '../../image/errors.ts';
import { LatentStatsFormatError } from '../../latent-stats.ts';
import { NpyFormatError } from '../../npy.ts';
import { InvalidStepCountError } from '../../schedule.ts';
import { BundleError } from '../bundle.ts';

/** Bad command-line input or input file: printed as one line, exit code 2. */
export class CliUsageError extends Error {
  constructor(message: string, options?: { cause?: unknown }) {
    super(message, options);
    this.name = 'CliUsageError';
  }
}

export const EXIT_OK = 0;
export const EXIT_FAILURE = 1;
export const EXIT_USAGE = 2;

const INPUT_ERRORS = [
  CliUsageError,
  BundleError,
  ManifestError,
  InvalidStepCountError,
  UnknownAttributeError,
  ClassifierFormatError,
  LatentStatsFormatError,
  ImageDecodeError,
  NpyFormatError,
];

/**
 * Input errors get exit code 2. RangeErrors come from the pipelines' argument checks (shapes, seeds,
 * counts), which the CLI only reaches with values the user gave, so they count as input errors too.
 */
export function exitCodeFor(error: unknown): number {
  if (INPUT_ERRORS.some((E) => error instanceof E) || error instanceof RangeError) return EXIT_USAGE;
  return EXIT_FAILURE;
}

/** The message on one line (multi-line messages such as manifest problem lists are joined with "; "). */
export function oneLine(error: unknown): string {
  const text = error instanceof Error ? error.message : String(error);
  return text
    .split('\n')
    .map((l) => l.trim().replace(/^- /, ''))
    .filter((l) => l.length > 0)
    .join('; ')
    .replace(/:; /g, ': ');
}
