import { PassThrough } from 'node:stream';
import { describe, expect, it } from 'vitest';
import {
  EXPORT_SETUP_ERROR,
  findTorchPython,
  MODELS_DIR,
  runExport,
  torchPythonCandidates,
} from '../src/node/export-command.ts';
import { pythonMissing } from './helpers/python.ts';

function capture() {
  const stream = new PassThrough();
  const chunks: Buffer[] = [];
  stream.on('data', (c: Buffer) => chunks.push(c));
  return { stream, text: () => Buffer.concat(chunks).toString('utf8') };
}

const missing = pythonMissing(['torch', 'onnx']);

describe('diffae export wrapper', () => {
  it('lists $DIFFAE_PYTHON first and points at the repository models folder', () => {
    expect(torchPythonCandidates({ DIFFAE_PYTHON: '/opt/py' })).toEqual([
      '/opt/py',
      '/usr/bin/python3',
      'python3',
    ]);
    expect(torchPythonCandidates({})).toEqual(['/usr/bin/python3', 'python3']);
    expect(MODELS_DIR).toMatch(/\/models\/$/);
  });

  it('reports a missing torch Python with install advice and exit code 2', async () => {
    expect(() => findTorchPython(['/nonexistent/python3'])).toThrow(/DIFFAE_PYTHON/);
    const err = capture();
    const code = await runExport(['--help'], {
      pythonCandidates: ['/nonexistent/python3'],
      stdout: capture().stream,
      stderr: err.stream,
    });
    expect(code).toBe(EXPORT_SETUP_ERROR);
    expect(err.text()).toMatch(/No Python with torch and onnx found.*Tried: \/nonexistent\/python3/);
  });

  it.skipIf(missing !== undefined)('passes arguments through and streams the help text', async () => {
    const out = capture();
    const code = await runExport(['--help'], { stdout: out.stream, stderr: capture().stream });
    expect(code).toBe(0);
    expect(out.text()).toContain('--trust-checkpoint');
    expect(out.text()).toContain('--lite-encoder');
  });

  it.skipIf(missing !== undefined)(
    'returns the exporter exit code 2 with its message for a missing file',
    async () => {
      const err = capture();
      const code = await runExport(
        ['--autoenc', '/nonexistent/a.ckpt', '--out', '/tmp/never', '--id', 'x', '--version', '1.0.0'],
        { stdout: capture().stream, stderr: err.stream },
      );
      expect(code).toBe(2);
      expect(err.text()).toContain('--autoenc: file not found: /nonexistent/a.ckpt');
    },
  );
});
