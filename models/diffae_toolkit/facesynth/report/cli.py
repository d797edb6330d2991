"""Command line: runs every section in order, times each, writes report.json, the pictures and the markdown.

  DIFFAE_RUNS=/work/diffae-runs /usr/bin/python3 -m diffae_toolkit.facesynth.report --split test
  ... --split /path/to/custom-2100000-512     (any generated seed-range folder)
  ... --quick                                  (CI-size smoke run)
"""
import argparse
import contextlib
import datetime
import json
import math
import os
import sys
import time

import numpy as np
import torch

from ..data import load_split
from ..paths import DATA_DIR, RUN_DIR
from . import curves, decode_agreement, generation, manipulation, markdown, probe, reconstruction, targets
from .attributes import AttributeSchema
from .codes import Codes, to_unit
from .model import load_run
from .pixel_classifier import load_or_train
from .pictures import Pictures
from .settings import QUICK, ReportSettings

REPORT_NAME = 'facesynth64'
REPO_ROOT = os.path.abspath(os.path.join(os.path.dirname(__file__), '..', '..', '..', '..'))


def parse(argv):
    p = argparse.ArgumentParser(prog='python -m diffae_toolkit.facesynth.report', description=__doc__,
                                formatter_class=argparse.RawDescriptionHelpFormatter)
    p.add_argument('--split', default='test', help='split name under --data, or a folder with images.npy')
    p.add_argument('--data', default=DATA_DIR, help='dataset root holding train/ and val/')
    p.add_argument('--run-dir', default=RUN_DIR)
    p.add_argument('--out', default=os.path.join(REPO_ROOT, 'docs', 'models'),
                   help='folder of the markdown (pictures and report.json go to <out>/facesynth64/)')
    p.add_argument('--quick', action='store_true', help='CI-size smoke run (a handful of images, K <= 10)')
    p.add_argument('--count', type=int, help='report-split images for reconstruction, decodes and FD')
    p.add_argument('--samples', type=int, help='unconditional samples')
    p.add_argument('--manip-per-direction', type=int)
    p.add_argument('--manip-targets', help='comma-separated attribute names (default: all)')
    p.add_argument('--probe-eval', type=int, help='report-split images the AUROC probes are scored on')
    p.add_argument('--recon-steps', help='comma-separated K list for inferred-x_T reconstruction')
    p.add_argument('--manip-steps', help='INV,RENDER step counts of the manipulation section')
    p.add_argument('--manip-amplitudes', help='comma-separated edit amplitudes (default 0.3,1.0)')
    p.add_argument('--batch', type=int)
    p.add_argument('--device', default='cuda' if torch.cuda.is_available() else 'cpu')
    p.add_argument('--threads', type=int, default=2)
    p.add_argument('--retrain-pixel-classifier', action='store_true')
    p.add_argument('--pixel-train', type=int, help='TRAIN images for the pixel classifier (the judge)')
    p.add_argument('--pixel-epochs', type=int)
    p.add_argument('--probe-train', type=int, help='encoded TRAIN images for the linear probe')
    return p.parse_args(argv)


def _numbers(text, what, kind=int, length=None):
    if text is None:
        return None
    noun = 'integers' if kind is int else 'numbers'
    try:
        values = tuple(kind(v) for v in text.split(',') if v.strip())
    except ValueError:
        raise SystemExit(f'{what}: expected comma-separated {noun}, got {text!r}')
    if not values or (length is not None and len(values) != length):
        raise SystemExit(f'{what}: expected {length or "one or more"} {noun}, got {text!r}')
    return values


def settings_from(args):
    base = QUICK if args.quick else ReportSettings()
    targets_ = tuple(t.strip() for t in args.manip_targets.split(',') if t.strip()) if args.manip_targets else None
    manip = _numbers(args.manip_steps, '--manip-steps', length=2) or (None, None)
    return base.replace(count=args.count, samples=args.samples, manip_per_direction=args.manip_per_direction,
                        manip_targets=targets_, probe_eval=args.probe_eval, batch=args.batch,
                        recon_steps=_numbers(args.recon_steps, '--recon-steps'), manip_inv_steps=manip[0],
                        manip_render_steps=manip[1], pixel_train=args.pixel_train,
                        pixel_epochs=args.pixel_epochs, probe_train=args.probe_train,
                        manip_amplitudes=_numbers(args.manip_amplitudes, '--manip-amplitudes', float))


def resolve_split(split):
    """A folder holding images.npy (e.g. a generated seed range) is used as is; otherwise a split name."""
    if os.path.isfile(os.path.join(split, 'images.npy')):
        return os.path.abspath(split)
    return split


class Sections:
    """Wall time and UNet image-evaluations of each section."""

    def __init__(self, codes):
        self.codes = codes
        self.seconds, self.unet_calls = {}, {}

    @contextlib.contextmanager
    def timed(self, name):
        t0, calls = time.time(), self.codes.unet_calls
        print(f'[report] {name} ...', flush=True)
        yield
        self.seconds[name] = round(time.time() - t0, 2)
        self.unet_calls[name] = self.codes.unet_calls - calls
        print(f'[report] {name} done in {self.seconds[name]:.1f} s ({self.unet_calls[name]} UNet image-evaluations)',
              flush=True)


def clean_json(value):
    """NaN/inf -> null and numpy scalars -> Python, so report.json is strict JSON."""
    if isinstance(value, dict):
        return {str(k): clean_json(v) for k, v in value.items()}
    if isinstance(value, (list, tuple)):
        return [clean_json(v) for v in value]
    if isinstance(value, (np.floating, float)):
        return None if not math.isfinite(float(value)) else float(value)
    if isinstance(value, np.integer):
        return int(value)
    return value


def main(argv=None):
    argv = sys.argv[1:] if argv is None else list(argv)
    args = parse(argv)
    settings = settings_from(args)
    torch.set_num_threads(args.threads)
    device = torch.device(args.device)
    t_start = time.time()

    images, labels, names = load_split(args.data, resolve_split(args.split))
    schema = AttributeSchema(names)
    for n in settings.manip_targets or ():
        schema.index(n)
    run = load_run(args.run_dir, device)
    pictures = Pictures(os.path.join(args.out, REPORT_NAME), REPORT_NAME)
    codes = Codes(run.net, images, device, settings.batch)
    indices = np.arange(min(settings.count, len(images)))
    sections = Sections(codes)
    r = {'training': run.training, 'missing': run.missing, 'settings': settings.to_dict()}

    with sections.timed('reconstruction'):
        r['reconstruction'], decodes = reconstruction.run(codes, indices, settings, pictures)
    with sections.timed('probe'):
        probe_idx = np.arange(min(settings.probe_eval, len(images)))
        r['probe'] = probe.run(run, codes, probe_idx, labels[probe_idx], names, args.data, device, settings)
    with sections.timed('pixel_classifier'):
        train_images, train_labels, train_names = load_split(args.data, 'train')
        val_images, val_labels, _ = load_split(args.data, 'val')
        if list(train_names) != list(names):
            raise SystemExit(f'train attributes {train_names} differ from the report split attributes {names}')
        path = os.path.join(args.run_dir, 'pixel_classifier.quick.pt' if settings.quick else 'pixel_classifier.pt')
        judge_model, validation, training = load_or_train(
            path, schema, (train_images, train_labels), (val_images, val_labels), settings=settings,
            device=device, retrain=args.retrain_pixel_classifier)
        r['pixel_classifier'] = {'path': path, 'validation': validation, 'training': training,
                                 'recipe': training['recipe']}
    with sections.timed('decode_agreement'):
        r['decode_agreement'] = decode_agreement.run(judge_model, schema, to_unit(codes.pixels(indices)), decodes,
                                                     labels[indices], device)
    with sections.timed('manipulation'):
        pool = np.arange(min(settings.manip_pool, len(images)))
        r['manipulation'] = manipulation.run(run, codes, schema, labels[pool], judge_model, device, settings,
                                             pictures)
    with sections.timed('interpolation'):
        r['interpolation'] = generation.interpolation(codes, indices, settings, pictures)
    with sections.timed('samples'):
        r['samples'], sample_images = generation.samples(run, codes, settings, pictures)
    with sections.timed('frechet'):
        r['frechet'] = generation.frechet(judge_model, device, np.asarray(images[indices]), train_images, decodes,
                                          sample_images, settings.seed)
    with sections.timed('training_curve'):
        r['training_curve'] = curves.run(args.run_dir, pictures)

    r['targets'] = targets.evaluate(r)
    r['timings'] = sections.seconds
    r['unet_calls'] = sections.unet_calls
    r['meta'] = {'command': 'python -m diffae_toolkit.facesynth.report ' + ' '.join(argv),
                 'generated': datetime.datetime.now(datetime.timezone.utc).strftime('%Y-%m-%d %H:%M UTC'),
                 'quick': settings.quick, 'device': str(device), 'split': args.split,
                 'split_images': int(len(images)), 'unet_calls': codes.unet_calls,
                 'total_seconds': round(time.time() - t_start, 1)}
    r = clean_json(r)
    os.makedirs(pictures.folder, exist_ok=True)
    with open(pictures.path('report.json'), 'w') as f:
        json.dump(r, f, indent=1, allow_nan=False)
    md_path = os.path.join(args.out, f'{REPORT_NAME}.md')
    with open(md_path, 'w') as f:
        f.write(markdown.render(r))
    print(f'[report] wrote {md_path} and {pictures.path("report.json")}', flush=True)
    return r


if __name__ == '__main__':
    main()
