"""The autoencoder of a training checkpoint, a small EMA snapshot or a shipped bundle, as a DiffAENet."""
import json
import os

import torch

from .. import bundle
from ..config import AutoencConfig
from ..nets import DiffAENet
from ..onnx_import import autoencoder_from_graphs
from .presets import facesynth_config, preset_of


def load_autoencoder(path, which='ema'):
    """(net in eval mode, info) for
      - a training checkpoint (`autoenc/last.pt`): its averaged ('ema') or raw ('net') weights, info = the
        checkpoint's state;
      - an EMA snapshot (`snapshot.py`): info = its counters;
      - a bundle folder: its encoder and UNet graphs read back by onnx_import (the shipped model, when its
        run is gone), info = the manifest."""
    if os.path.isdir(path):
        return _from_bundle(path)
    state = torch.load(path, map_location='cpu')
    if which not in state:
        raise ValueError(f'{path} holds no {which!r} weights (keys: {sorted(state)})')
    net = DiffAENet(AutoencConfig.from_dict(state['conf']).base())
    net.load_state_dict({k: v.float() for k, v in state[which].items()})
    return net.eval(), state


def _from_bundle(folder):
    manifest_path = os.path.join(folder, bundle.MANIFEST_NAME)
    if not os.path.exists(manifest_path):
        raise ValueError(f'{folder} is not a model bundle (no {bundle.MANIFEST_NAME})')
    with open(manifest_path) as f:
        manifest = json.load(f)
    conf = facesynth_config(preset_of(manifest['source']['config'])).base()
    files = {key: os.path.join(folder, manifest['files'][key]['path']) for key in ('encoder', 'unet')}
    return autoencoder_from_graphs(conf, files['encoder'], files['unet']), manifest
