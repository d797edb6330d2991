/** What the figures were measured on: hardware, software versions, load, commit. */
import { execFileSync } from 'node:child_process';
import { readFileSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { REPO_ROOT } from './paths.ts';

export interface MachineInfo {
  cpuModel: string;
  cores: number;
  memoryBytes: number;
  platform: string;
  node: string;
  onnxruntimeNode: string;
  onnxruntimeWeb: string;
  torch: string | null;
  python: string | null;
  /** torch's BLAS (BLAS_INFO of torch.__config__.show(); 'generic' = reference BLAS, much slower than MKL). */
  torchBlas: string | null;
  torchMkldnn: boolean | null;
  loadAvgStart: number[];
  gitCommit: string;
  gitDirty: boolean;
}

export const loadAverage = (): number[] => os.loadavg().map((v) => Math.round(v * 100) / 100);

function packageVersion(name: string): string {
  try {
    const file = path.join(REPO_ROOT, 'node_modules', name, 'package.json');
    return (JSON.parse(readFileSync(file, 'utf8')) as { version: string }).version;
  } catch {
    return 'unknown';
  }
}

function git(args: string[]): string | null {
  try {
    return execFileSync('git', args, {
      cwd: REPO_ROOT,
      encoding: 'utf8',
      stdio: ['ignore', 'pipe', 'ignore'],
    }).trim();
  } catch {
    return null;
  }
}

export interface TorchVersions {
  torch: string;
  python: string;
  torchBlas: string;
  torchMkldnn: boolean;
}

export function machineInfo(torch: TorchVersions | null): MachineInfo {
  const cpus = os.cpus();
  return {
    cpuModel: cpus[0]?.model.trim() ?? 'unknown',
    cores: os.availableParallelism(),
    memoryBytes: os.totalmem(),
    platform: `${os.platform()} ${os.release()} ${os.arch()}`,
    node: process.versions.node,
    onnxruntimeNode: packageVersion('onnxruntime-node'),
    onnxruntimeWeb: packageVersion('onnxruntime-web'),
    torch: torch?.torch ?? null,
    python: torch?.python ?? null,
    torchBlas: torch?.torchBlas ?? null,
    torchMkldnn: torch?.torchMkldnn ?? null,
    loadAvgStart: loadAverage(),
    gitCommit: git(['rev-parse', 'HEAD']) ?? 'unknown',
    gitDirty: (git(['status', '--porcelain']) ?? '') !== '',
  };
}
