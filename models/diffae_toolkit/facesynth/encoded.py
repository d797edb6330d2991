"""z_sem of a whole split under the trained EMA encoder, cached next to the autoencoder checkpoint."""
import os

import numpy as np
import torch

from ..config import AutoencConfig
from .data import load_split, to_model_input
from .weights import load_autoencoder


def load_autoenc_ema(run_dir):
    """(EMA autoencoder, its config, the checkpoint's state) of a run's last autoencoder checkpoint."""
    net, state = load_autoencoder(os.path.join(run_dir, 'autoenc', 'last.pt'), 'ema')
    return net, AutoencConfig.from_dict(state['conf']), state


@torch.no_grad()
def encode_images(encoder, images_uint8, batch=256, flip=False):
    out = []
    for i in range(0, len(images_uint8), batch):
        x = to_model_input(images_uint8[i:i + batch])
        if flip:
            x = x.flip(-1)
        out.append(encoder(x))
    return torch.cat(out).numpy()


def encoded_split(run_dir, data_root, split, net, step, flip=False, limit=None):
    """Returns (z [N,Z] float32, labels [N,A], names); cached per autoencoder step."""
    images, labels, names = load_split(data_root, split)
    if limit is not None:
        images, labels = images[:limit], labels[:limit]
    tag = f'{split}{"_flip" if flip else ""}_{len(images)}_step{step}'
    path = os.path.join(run_dir, 'encoded', f'{tag}.npy')
    if os.path.exists(path):
        return np.load(path), labels, names
    z = encode_images(net.encoder, images, flip=flip).astype(np.float32)
    os.makedirs(os.path.dirname(path), exist_ok=True)
    np.save(path + '.tmp.npy', z)
    os.replace(path + '.tmp.npy', path)
    return z, labels, names


def load_latent_stage(run_dir, map_location='cpu'):
    """The trained latent DPM: (LatentConfig, MLPSkipNet in eval mode with EMA weights, checkpoint dict)."""
    from ..config import LatentConfig
    from ..nets.latent import MLPSkipNet

    state = torch.load(os.path.join(run_dir, 'latent', 'last.pt'), map_location=map_location)
    latent_conf = LatentConfig.from_dict(state['latent_conf'])
    prior = MLPSkipNet(latent_conf)
    prior.load_state_dict(state['latent_ema'])
    return latent_conf, prior.eval(), state
