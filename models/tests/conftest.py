import os
import sys

import pytest
import torch

MODELS_DIR = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))
if MODELS_DIR not in sys.path:
    sys.path.insert(0, MODELS_DIR)

REFERENCE_DIR = os.environ.get("DIFFAE_REFERENCE_DIR", "/work/shared/reference")

torch.set_num_threads(max(1, min(2, torch.get_num_threads())))


def make_tiny_conf():
    """A small config exercising every block type (attention at 8 px, a 48-channel concat, z width 64)."""
    from diffae_toolkit.config import AutoencConfig, LatentConfig

    return AutoencConfig(
        name="tiny", img_size=32, net_ch=16, ch_mult=(1, 2, 4), enc_channel_mult=(1, 2, 4, 4),
        attn_resolutions=(8,), z_dim=64, embed_channels=64,
        latent=LatentConfig(num_layers=3, hidden=96, time_emb_dim=16, z_dim=64))


@pytest.fixture
def tiny_conf():
    return make_tiny_conf()
