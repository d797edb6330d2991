"""Runs every FaceSynth64 stage in order (each resumable or cheap to redo), then exports the bundle.

  /usr/bin/python3 -m diffae_toolkit.facesynth.train_all --autoenc-minutes 120 --version 0.3.0

Stage 1 continues from its last checkpoint; stages 2-4 are retrained on the current autoencoder
(they take minutes). On a GPU machine pass --device cuda and a larger --batch."""
import argparse

from .paths import DATA_DIR, RUN_DIR
from . import distill_lite, export_default, train_autoenc, train_classifier, train_latent


def main(argv=None):
    p = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    p.add_argument('--data', default=DATA_DIR)
    p.add_argument('--run-dir', default=RUN_DIR)
    p.add_argument('--autoenc-minutes', type=float, required=True)
    p.add_argument('--preset', default=None, help="architecture of a new autoencoder run (default 'small')")
    p.add_argument('--init-from', default=None,
                   help='a new autoencoder run starts from this checkpoint, snapshot or bundle (train_autoenc)')
    p.add_argument('--distill-from', default=None, help='teacher of the autoencoder stage (train_autoenc)')
    p.add_argument('--distill-below', type=int, default=700)
    p.add_argument('--distill-noise-mean', action='store_true', help='(train_autoenc)')
    p.add_argument('--high-t-share', type=float, default=0.0, help='(train_autoenc)')
    p.add_argument('--high-t-from', type=int, default=500, help='(train_autoenc)')
    p.add_argument('--coarse-x0-weight', type=float, default=0.0, help='(train_autoenc)')
    p.add_argument('--mean-phase-steps', type=int, default=0,
                   help='steps at t >= 900 that start a new autoencoder run (train_autoenc)')
    p.add_argument('--batch', type=int, default=16)
    p.add_argument('--lr', type=float, default=4e-4)
    p.add_argument('--device', default=None)
    p.add_argument('--threads', type=int, default=2)
    p.add_argument('--score-every', type=int, default=4000,
                   help='autoencoder steps between validation scores (they run on the CPU); 0 = never')
    p.add_argument('--latent-steps', type=int, default=20000)
    p.add_argument('--lite-steps', type=int, default=6000)
    p.add_argument('--version', default=None, help='export a bundle with this version at the end')
    p.add_argument('--out', default='models/bundles/facesynth64')
    args = p.parse_args(argv)
    common = ['--data', args.data, '--run-dir', args.run_dir, '--threads', str(args.threads)]
    ae = common + ['--minutes', str(args.autoenc_minutes), '--batch', str(args.batch), '--lr', str(args.lr),
                   '--score-every', str(args.score_every), '--high-t-share', str(args.high_t_share),
                   '--high-t-from', str(args.high_t_from), '--coarse-x0-weight', str(args.coarse_x0_weight)]
    if args.device:
        ae += ['--device', args.device]
    if args.preset:
        ae += ['--preset', args.preset]
    if args.init_from:
        ae += ['--init-from', args.init_from]
    if args.distill_from:
        ae += ['--distill-from', args.distill_from, '--distill-below', str(args.distill_below)]
        if args.distill_noise_mean:
            ae += ['--distill-noise-mean']
    if args.mean_phase_steps:
        ae += ['--mean-phase-steps', str(args.mean_phase_steps)]
    train_autoenc.main(ae)
    train_latent.main(common + ['--steps', str(args.latent_steps)])
    train_classifier.main(common)
    distill_lite.main(common + ['--steps', str(args.lite_steps)])
    if args.version:
        export_default.main(['--run-dir', args.run_dir, '--out', args.out, '--version', args.version,
                             '--overwrite'])


if __name__ == '__main__':
    main()
