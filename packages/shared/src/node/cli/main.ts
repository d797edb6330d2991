/** `diffae <command> …`: dispatch, help texts and the error → exit code policy. */
import { parseCommandArgs } from './args.ts';
import type { CliIo, Command, RawCommand } from './command.ts';
import { encodeCommand } from './commands/encode.ts';
import { exportCommand } from './commands/export.ts';
import { infoCommand } from './commands/info.ts';
import { interpolateCommand } from './commands/interpolate.ts';
import { invertCommand } from './commands/invert.ts';
import { manipulateCommand } from './commands/manipulate.ts';
import { reconstructCommand } from './commands/reconstruct.ts';
import { renderCommand } from './commands/render.ts';
import { sampleCommand } from './commands/sample.ts';
import { varyCommand } from './commands/vary.ts';
import { EXIT_OK, EXIT_USAGE, exitCodeFor, oneLine } from './errors.ts';

export const COMMANDS: readonly (Command | RawCommand)[] = [
  exportCommand,
  infoCommand,
  encodeCommand,
  invertCommand,
  renderCommand,
  reconstructCommand,
  manipulateCommand,
  interpolateCommand,
  varyCommand,
  sampleCommand,
];

export function topLevelHelp(): string {
  const width = Math.max(...COMMANDS.map((c) => c.name.length));
  return [
    'Usage: diffae <command> [options]',
    '',
    'Diffusion Autoencoder tools over a model bundle. Tensors are read and written as float32 .npy,',
    'images as PNG (PNG/JPEG in). Every command has --help.',
    '',
    'Commands:',
    ...COMMANDS.map((c) => `  ${c.name.padEnd(width)}  ${c.summary}`),
    '',
    'Exit codes: 0 success, 2 bad input (message on stderr), 1 unexpected failure.',
  ].join('\n');
}

export function defaultIo(): CliIo {
  return { out: (line) => process.stdout.write(`${line}\n`), err: process.stderr };
}

/** Runs one command line (without `node diffae`); resolves to the exit code. */
export async function runCli(argv: readonly string[], io: CliIo = defaultIo()): Promise<number> {
  const [name, ...rest] = argv;
  if (name === undefined || name === '--help' || name === '-h' || name === 'help') {
    io.out(topLevelHelp());
    return name === undefined ? EXIT_USAGE : EXIT_OK;
  }
  const command = COMMANDS.find((c) => c.name === name);
  if (command === undefined) {
    io.err.write(`diffae: unknown command "${name}" (commands: ${COMMANDS.map((c) => c.name).join(', ')})\n`);
    return EXIT_USAGE;
  }
  try {
    if ('runRaw' in command) return await command.runRaw(rest, io);
    const args = parseCommandArgs(command.name, command.options, rest);
    if (args.values.help === true) {
      io.out(command.help);
      return EXIT_OK;
    }
    await command.run(args, io);
    return EXIT_OK;
  } catch (error) {
    const code = exitCodeFor(error);
    io.err.write(`diffae ${command.name}: error: ${oneLine(error)}\n`);
    if (code !== EXIT_USAGE && error instanceof Error && error.stack && process.env.DIFFAE_DEBUG) {
      io.err.write(`${error.stack}\n`);
    }
    return code;
  }
}
