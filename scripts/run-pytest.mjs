// Runs the Python toolkit's tests with an interpreter that has torch.
import { spawnSync } from 'node:child_process';
import { findTorchPython } from './python.mjs';

const python = findTorchPython();
const result = spawnSync(python, ['-m', 'pytest', '-q', 'models/tests', ...process.argv.slice(2)], {
  stdio: 'inherit',
  env: { ...process.env, PYTHONPATH: ['models', process.env.PYTHONPATH].filter(Boolean).join(':') },
});
process.exit(result.status ?? 1);
