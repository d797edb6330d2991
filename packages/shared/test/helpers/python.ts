/** Runs reference scripts with the system Python (PIL, numpy, onnx live there, not in the PATH python). */
import { spawnSync } from 'node:child_process';

export const SYSTEM_PYTHON = process.env.DIFFAE_TEST_PYTHON ?? '/usr/bin/python3';

const availability = new Map<string, string | undefined>();

/** undefined when every module imports, otherwise a message saying what is missing. */
export function pythonMissing(modules: readonly string[]): string | undefined {
  const key = modules.join(',');
  if (!availability.has(key)) {
    const probe = spawnSync(SYSTEM_PYTHON, ['-c', modules.map((m) => `import ${m}`).join('; ')], {
      encoding: 'utf8',
    });
    availability.set(
      key,
      probe.status === 0
        ? undefined
        : `${SYSTEM_PYTHON} cannot import ${modules.join(', ')}: ${(probe.stderr || String(probe.error ?? '')).trim().split('\n').pop()}`,
    );
  }
  return availability.get(key);
}

/** Runs `script` with `args`; throws with Python's stderr on failure. Returns stdout. */
export function runPython(script: string, args: readonly string[] = []): string {
  const result = spawnSync(SYSTEM_PYTHON, ['-c', script, ...args], {
    encoding: 'utf8',
    maxBuffer: 64 * 1024 * 1024,
  });
  if (result.status !== 0) {
    throw new Error(`python failed (${result.status}): ${result.stderr || String(result.error)}`);
  }
  return result.stdout;
}
