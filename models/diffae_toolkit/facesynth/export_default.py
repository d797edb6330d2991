"""Exports a FaceSynth64 training run as a model bundle through the same path as official checkpoints:
the run is first written in the official checkpoint layout (autoencoder, latent, classifier files),
then `export_bundle` turns those files into the bundle.

  /usr/bin/python3 -m diffae_toolkit.facesynth.export_default \
      --out models/bundles/facesynth64 --version 0.3.0
"""
import argparse
import os
import tempfile

import torch

from .paths import RUN_DIR
from ..checkpoint import ClassifierWeights, LatentStats, save_official_layout
from ..export import export_bundle
from ..nets import DiffAENet
from .encoded import load_autoenc_ema, load_latent_stage

DEFAULT_STEPS = {'inversionSteps': 100, 'renderSteps': 20, 'manipulateRenderSteps': 50, 'latentSteps': 50}
# Coarse inversion for the edge's first preview of an image: 5 + 10 UNet calls ≈ 0.9 s in onnxruntime-web (1 thread)
# on 2 cores; reconstruction SSIM 0.71 against 0.76 at (10, 10) (docs/models/facesynth64.md, "Preview settings").
PREVIEW_STEPS = (5, 10)


def write_official_layout(run_dir, folder):
    """Returns the paths of autoenc.ckpt, latent.ckpt and cls.ckpt written into `folder`."""
    autoenc, conf, ae_state = load_autoenc_ema(run_dir)
    latent_conf, prior, latent_state = load_latent_stage(run_dir)
    cls_state = torch.load(os.path.join(run_dir, 'classifier', 'last.pt'))
    if latent_state['autoenc_step'] != ae_state['step'] or cls_state['autoenc_step'] != ae_state['step']:
        raise SystemExit('latent/classifier were trained on another autoencoder step: retrain them first')
    conf = conf.with_latent(latent_conf)
    net = DiffAENet(conf)
    missing, unexpected = net.load_state_dict(autoenc.state_dict(), strict=False)
    assert not unexpected and all(k.startswith('latent_net.') for k in missing)
    net.latent_net.load_state_dict(prior.state_dict())
    stats = LatentStats(conds_mean=latent_state['conds_mean'], conds_std=latent_state['conds_std'])
    classifier = ClassifierWeights(weight=cls_state['weight'], bias=cls_state['bias'],
                                   conds_mean=cls_state['conds_mean'], conds_std=cls_state['conds_std'],
                                   attributes=tuple(cls_state['attributes']))
    paths = {name: os.path.join(folder, f'{name}.ckpt') for name in ('autoenc', 'latent', 'cls')}
    common = dict(step=ae_state['step'], with_lightning_pickles=False, optimizer_states=False)
    save_official_layout(paths['autoenc'], net, conf, kind='autoenc', **common)
    save_official_layout(paths['latent'], net, conf, kind='latent', latent_stats=stats, **common)
    save_official_layout(paths['cls'], None, conf, kind='cls', classifier=classifier, **common)
    return paths, ae_state


def main(argv=None):
    p = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    p.add_argument('--run-dir', default=RUN_DIR)
    p.add_argument('--out', default='models/bundles/facesynth64')
    p.add_argument('--version', required=True)
    p.add_argument('--fp32', action='store_true', help='store weights as float32 (default: float16 storage)')
    p.add_argument('--overwrite', action='store_true')
    args = p.parse_args(argv)
    with tempfile.TemporaryDirectory() as folder:
        paths, ae_state = write_official_layout(args.run_dir, folder)
        lite = os.path.join(args.run_dir, 'lite', 'lite_encoder.pt')
        manifest = export_bundle(
            args.out, autoenc=paths['autoenc'], latent=paths['latent'], classifier=paths['cls'],
            lite_encoder=lite if os.path.exists(lite) else None, bundle_id='facesynth64', version=args.version,
            description=(f'FaceSynth64: DiffAE trained on synthetic facesjs faces, 64 px '
                         f'({ae_state["samples"]:,} training samples, {ae_state["compute_seconds"] / 3600:.1f} '
                         f'compute-hours)'),
            trust_pickle=True,  # our own files, written just above by this process
            fp16=not args.fp32, defaults=DEFAULT_STEPS, preview=PREVIEW_STEPS, source_kind='trained',
            overwrite=args.overwrite)
    total = sum(f['bytes'] for f in manifest['files'].values())
    print(f'wrote {args.out}: {total / 1e6:.2f} MB', flush=True)


if __name__ == '__main__':
    main()
