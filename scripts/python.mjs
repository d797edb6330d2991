// Finds a Python interpreter that can import torch: $DIFFAE_PYTHON, then /usr/bin/python3
// (where Debian's python3-torch installs), then python3 on PATH.
import { spawnSync } from 'node:child_process';

export function findTorchPython() {
  const candidates = [process.env.DIFFAE_PYTHON, '/usr/bin/python3', 'python3'].filter(Boolean);
  for (const exe of candidates) {
    const probe = spawnSync(exe, ['-c', 'import torch, onnx'], { stdio: 'ignore' });
    if (probe.status === 0) return exe;
  }
  throw new Error(
    'No Python with torch and onnx found. Install them (Debian: apt-get install -y python3-torch python3-onnx) or set DIFFAE_PYTHON.',
  );
}
