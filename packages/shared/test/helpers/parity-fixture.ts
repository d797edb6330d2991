/**
 * Builds the parity fixture (models/diffae_toolkit/parity_fixture.py) into a fresh temp folder: a tiny
 * random-weight model exported to bundle/ (fp32) and bundle-fp16/, plus reference-sampler outputs as .npy
 * files described by cases.json.
 */
import { spawn } from 'node:child_process';
import { mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';
import { readNpyTensor } from '../../src/npy.ts';
import type { Tensor } from '../../src/tensor.ts';
import { pythonMissing, SYSTEM_PYTHON } from './python.ts';

export const REPO_ROOT = resolve(fileURLToPath(new URL('../../../../', import.meta.url)));

/** Why the fixture cannot be built here (no torch/onnx), or undefined. */
export function parityFixtureMissing(): string | undefined {
  return pythonMissing(['torch', 'onnx', 'numpy']);
}

export interface ParityFixture {
  readonly dir: string;
  readonly bundleDir: string;
  readonly fp16BundleDir: string;
  /** cases.json (documented by the generator); `cases` is its `cases` member. */
  // biome-ignore lint/suspicious/noExplicitAny: cases.json is read as documented JSON.
  readonly doc: any;
  // biome-ignore lint/suspicious/noExplicitAny: see doc.
  readonly cases: any;
  /** An array of the fixture by its cases.json path (e.g. "arrays/z.npy"), as float32. */
  array(rel: string): Tensor;
  /** Absolute path of a fixture file. */
  path(rel: string): string;
  remove(): void;
}

/** Runs the fixture generator (a few seconds to ~20 s on a busy machine). */
export async function buildParityFixture(): Promise<ParityFixture> {
  const dir = mkdtempSync(join(tmpdir(), 'diffae-parity-'));
  const out = join(dir, 'fixture');
  await new Promise<void>((done, fail) => {
    const child = spawn(SYSTEM_PYTHON, ['-m', 'diffae_toolkit.parity_fixture', '--out', out], {
      cwd: REPO_ROOT,
      env: { ...process.env, PYTHONPATH: join(REPO_ROOT, 'models') },
      stdio: ['ignore', 'pipe', 'pipe'],
    });
    let stderr = '';
    child.stderr.on('data', (d) => {
      stderr += d;
    });
    child.on('error', fail);
    child.on('close', (code) =>
      code === 0 ? done() : fail(new Error(`parity fixture failed (${code}): ${stderr.slice(-2000)}`)),
    );
  });
  const doc = JSON.parse(readFileSync(join(out, 'cases.json'), 'utf8'));
  const cache = new Map<string, Tensor>();
  return {
    dir: out,
    bundleDir: join(out, doc.bundles.float32),
    fp16BundleDir: join(out, doc.bundles.float16),
    doc,
    cases: doc.cases,
    path: (rel) => join(out, rel),
    array(rel) {
      let t = cache.get(rel);
      if (t === undefined) {
        t = readNpyTensor(new Uint8Array(readFileSync(join(out, rel))));
        cache.set(rel, t);
      }
      return t;
    },
    remove: () => rmSync(dir, { recursive: true, force: true }),
  };
}
