"""A small EMA snapshot of an autoencoder run (float16 weights plus the run's counters), worth committing
when a run is materially better than the last one kept: resume checkpoints live outside git and are lost
with the machine. `train_autoenc --init-from SNAPSHOT` starts a new run from it.

  /usr/bin/python3 -m diffae_toolkit.facesynth.snapshot --run-dir RUN --out models/snapshots/NAME.pt
"""
import argparse
import os

import torch

from .common import atomic_save
from .paths import RUN_DIR

COUNTERS = ('step', 'samples', 'compute_seconds')


def snapshot_of(state, note=''):
    return {'ema': {k: v.half() if v.is_floating_point() else v for k, v in state['ema'].items()},
            'conf': state['conf'], **{k: state[k] for k in COUNTERS}, 'note': note}


def main(argv=None):
    p = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    p.add_argument('--run-dir', default=RUN_DIR)
    p.add_argument('--out', required=True)
    p.add_argument('--note', default='', help='where the run came from (kept in the file)')
    args = p.parse_args(argv)
    state = torch.load(os.path.join(args.run_dir, 'autoenc', 'last.pt'), map_location='cpu')
    atomic_save(snapshot_of(state, args.note), args.out)
    print(f'{args.out}: step {state["step"]}, {state["samples"]:,} samples, '
          f'{os.path.getsize(args.out) / 1e6:.1f} MB', flush=True)


if __name__ == '__main__':
    main()
