/**
 * `diffae export ...`: runs the Python exporter (`python -m diffae_toolkit export`, models/diffae_toolkit)
 * with a Python that has torch and onnx, the repository's `models/` on PYTHONPATH, the arguments passed
 * through unchanged and its output streamed. Resolves to the exporter's exit code (2: bad usage/input).
 */
import { spawn, spawnSync } from 'node:child_process';
import { delimiter } from 'node:path';
import { fileURLToPath } from 'node:url';

/** The repository's `models/` folder (where the `diffae_toolkit` package lives). */
export const MODELS_DIR = fileURLToPath(new URL('../../../../models/', import.meta.url));

export const NO_TORCH_PYTHON_MESSAGE =
  'No Python with torch and onnx found. Install them (Debian: apt-get install -y python3-torch python3-onnx) or set DIFFAE_PYTHON.';

/** Exit code for "could not even start the exporter" (same meaning as the exporter's usage errors). */
export const EXPORT_SETUP_ERROR = 2;

/** Candidates in order: $DIFFAE_PYTHON, /usr/bin/python3 (Debian's python3-torch), python3 on PATH. */
export function torchPythonCandidates(env: NodeJS.ProcessEnv = process.env): string[] {
  return [env.DIFFAE_PYTHON, '/usr/bin/python3', 'python3'].filter((c): c is string => Boolean(c));
}

/** The first candidate that can `import torch, onnx`; throws with install advice when none can. */
export function findTorchPython(candidates: readonly string[] = torchPythonCandidates()): string {
  for (const exe of candidates) {
    const probe = spawnSync(exe, ['-c', 'import torch, onnx'], { stdio: 'ignore' });
    if (probe.status === 0) return exe;
  }
  throw new Error(`${NO_TORCH_PYTHON_MESSAGE} Tried: ${candidates.join(', ') || '(none)'}.`);
}

export interface ExportCommandOptions {
  /** Python executable; default: the first of `pythonCandidates` that imports torch and onnx. */
  python?: string;
  /** Default: torchPythonCandidates(env). */
  pythonCandidates?: readonly string[];
  /** Base environment; default process.env. PYTHONPATH gets MODELS_DIR prepended. */
  env?: NodeJS.ProcessEnv;
  /** Where the exporter's output goes; default: inherited (streamed straight to this process's). */
  stdout?: NodeJS.WritableStream;
  stderr?: NodeJS.WritableStream;
}

function withModelsOnPythonPath(env: NodeJS.ProcessEnv): NodeJS.ProcessEnv {
  const existing = env.PYTHONPATH;
  return { ...env, PYTHONPATH: existing ? `${MODELS_DIR}${delimiter}${existing}` : MODELS_DIR };
}

/** Runs `python -m diffae_toolkit export ...args`; resolves to its exit code. */
export async function runExport(args: string[], options: ExportCommandOptions = {}): Promise<number> {
  const env = options.env ?? process.env;
  const stderr = options.stderr ?? process.stderr;
  let python: string;
  try {
    python = options.python ?? findTorchPython(options.pythonCandidates ?? torchPythonCandidates(env));
  } catch (err) {
    stderr.write(`error: ${(err as Error).message}\n`);
    return EXPORT_SETUP_ERROR;
  }
  const piped = options.stdout !== undefined || options.stderr !== undefined;
  const child = spawn(python, ['-m', 'diffae_toolkit', 'export', ...args], {
    env: withModelsOnPythonPath(env),
    stdio: piped ? ['inherit', 'pipe', 'pipe'] : 'inherit',
  });
  if (piped) {
    child.stdout?.pipe(options.stdout ?? process.stdout, { end: false });
    child.stderr?.pipe(stderr, { end: false });
  }
  return new Promise<number>((resolve) => {
    child.on('error', (err) => {
      stderr.write(`error: cannot start ${python}: ${err.message}\n`);
      resolve(EXPORT_SETUP_ERROR);
    });
    child.on('close', (code, signal) => {
      if (code !== null) resolve(code);
      else {
        stderr.write(`error: the exporter was stopped by ${signal}\n`);
        resolve(1);
      }
    });
  });
}
