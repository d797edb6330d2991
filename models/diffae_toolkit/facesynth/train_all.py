"""Runs every FaceSynth64 stage in order (each resumable or cheap to redo), then exports the bundle.

  /usr/bin/python3 -m diffae_toolkit.facesynth.train_all --autoenc-minutes 120 --version 0.3.0

Stage 1 continues from its last checkpoint; stages 2-4 are retrained on the current autoencoder
(they take minutes). On a GPU machine pass --device cuda and a larger --batch. Every other option is
train_autoenc's (--preset, --init-from, --distill-from, --mean-phase-steps, ...) and goes to stage 1 as
given; train_autoenc refuses the ones it does not know."""
import argparse

from .paths import DATA_DIR, RUN_DIR
from . import distill_lite, export_default, train_autoenc, train_classifier, train_latent


def main(argv=None):
    p = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter,
                                allow_abbrev=False)
    p.add_argument('--data', default=DATA_DIR)
    p.add_argument('--run-dir', default=RUN_DIR)
    p.add_argument('--autoenc-minutes', type=float, required=True)
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
    args, autoenc_options = p.parse_known_args(argv)
    common = ['--data', args.data, '--run-dir', args.run_dir, '--threads', str(args.threads)]
    ae = common + ['--minutes', str(args.autoenc_minutes), '--batch', str(args.batch), '--lr', str(args.lr),
                   '--score-every', str(args.score_every)] + autoenc_options
    if args.device:
        ae += ['--device', args.device]
    train_autoenc.main(ae)
    train_latent.main(common + ['--steps', str(args.latent_steps)])
    train_classifier.main(common)
    distill_lite.main(common + ['--steps', str(args.lite_steps)])
    if args.version:
        export_default.main(['--run-dir', args.run_dir, '--out', args.out, '--version', args.version,
                             '--overwrite'])


if __name__ == '__main__':
    main()
