/** `diffae export`: forwards every argument to the Python exporter (`python -m diffae_toolkit export`). */
import { runExport } from '../../export-command.ts';
import type { RawCommand } from '../command.ts';

export const exportCommand: RawCommand = {
  name: 'export',
  summary: 'official-layout checkpoints → model bundle (runs the Python exporter; --help lists its options)',
  runRaw(argv) {
    return runExport([...argv]);
  },
};
