"""The trained run as the report needs it: EMA autoencoder, optional latent DPM and shipped classifier."""
import os
from dataclasses import dataclass
from typing import Optional, Tuple

import torch

from ...nets.latent import MLPSkipNet
from ..encoded import load_autoenc_ema, load_latent_stage


@dataclass
class ShippedClassifier:
    weight: torch.Tensor       # [A, Z]
    bias: torch.Tensor         # [A]
    conds_mean: torch.Tensor   # [Z]
    conds_std: torch.Tensor    # [Z]
    attributes: Tuple[str, ...]

    def scores(self, z):
        zn = (z - self.conds_mean.reshape(1, -1)) / self.conds_std.reshape(1, -1)
        return zn @ self.weight.t() + self.bias


@dataclass
class LatentPrior:
    net: MLPSkipNet
    conds_mean: torch.Tensor
    conds_std: torch.Tensor


@dataclass
class TrainedRun:
    run_dir: str
    net: torch.nn.Module
    conf: object
    training: dict                 # step, samples, compute_hours
    latent: Optional[LatentPrior]
    classifier: Optional[ShippedClassifier]
    missing: dict                  # stage -> why it is absent


def training_state(state):
    return {'step': int(state['step']), 'samples': int(state['samples']),
            'compute_hours': float(state['compute_seconds']) / 3600}


def _stage_path(run_dir, stage):
    return os.path.join(run_dir, stage, 'last.pt')


def _stale(stage_state, ae_step):
    step = stage_state.get('autoenc_step')
    return step is not None and step != ae_step


def load_run(run_dir, device):
    ae_path = _stage_path(run_dir, 'autoenc')
    if not os.path.exists(ae_path):
        raise FileNotFoundError(f'{ae_path} not found: train the autoencoder first (train_autoenc) or pass --run-dir')
    net, conf, state = load_autoenc_ema(run_dir)
    training = training_state(state)
    missing = {}
    latent = classifier = None

    latent_path = _stage_path(run_dir, 'latent')
    if not os.path.exists(latent_path):
        missing['latent'] = f'{latent_path} not found'
    else:
        _, prior, s = load_latent_stage(run_dir)
        latent = LatentPrior(prior.eval().to(device), s['conds_mean'].float(), s['conds_std'].float())
        if _stale(s, training['step']):
            missing['latent_stale'] = f'latent trained on autoencoder step {s["autoenc_step"]}, not {training["step"]}'

    cls_path = _stage_path(run_dir, 'classifier')
    if not os.path.exists(cls_path):
        missing['classifier'] = f'{cls_path} not found'
    else:
        s = torch.load(cls_path, map_location='cpu')
        classifier = ShippedClassifier(s['weight'].float(), s['bias'].float(), s['conds_mean'].float(),
                                       s['conds_std'].float(), tuple(s['attributes']))
        if _stale(s, training['step']):
            missing['classifier_stale'] = (f'classifier trained on autoencoder step {s["autoenc_step"]}, '
                                           f'not {training["step"]}')
    return TrainedRun(run_dir, net.to(device), conf, training, latent, classifier, missing)
