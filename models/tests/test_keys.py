"""Our DiffAENet reproduces the official `ema_model.*` state-dict layout for every released config."""

import glob
import os

import pytest
import torch

from conftest import REFERENCE_DIR
from diffae_toolkit.config import RELEASED_CONFIGS
from diffae_toolkit.nets import DiffAENet, count_parameters

KEY_FILES = sorted(glob.glob(os.path.join(REFERENCE_DIR, "official-keys", "*.tsv")))
NET_FILES = [p for p in KEY_FILES if not os.path.basename(p).endswith("_cls.tsv")]


def read_tsv(path):
    rows = []
    with open(path, encoding="utf-8") as f:
        for line in f:
            key, shape = line.rstrip("\n").split("\t")
            rows.append((key, tuple(int(s) for s in shape.split("x")) if shape else ()))
    return rows


def test_reference_key_files_present():
    assert len(NET_FILES) == len(RELEASED_CONFIGS), "every released config must have an official key list"


@pytest.mark.parametrize("path", NET_FILES, ids=lambda p: os.path.basename(p)[:-4])
def test_state_dict_matches_official_keys(path):
    name = os.path.basename(path)[:-4]
    rows = read_tsv(path)
    ema = [(k[len("ema_model."):], s) for k, s in rows if k.startswith("ema_model.")]
    raw = [(k[len("model."):], s) for k, s in rows if k.startswith("model.")]
    assert sorted(raw) == sorted(ema), "model.* and ema_model.* must hold the same keys and shapes"

    net = DiffAENet(RELEASED_CONFIGS[name], device=torch.device("meta"))
    ours = [(k, tuple(v.shape)) for k, v in net.state_dict().items()]
    assert ours == ema


def test_latent_condition_linear_is_shared():
    net = DiffAENet(RELEASED_CONFIGS["celeba64d2c_autoenc_latent"], device=torch.device("meta"))
    layer = net.latent_net.layers[0]
    assert layer.cond_layers[1] is layer.linear_emb
    sd = net.state_dict(keep_vars=True)
    assert sd["latent_net.layers.0.linear_emb.weight"] is sd["latent_net.layers.0.cond_layers.1.weight"]


# Facts sheet §12: (total, encoder, UNet decoder, latent net) parameter counts.
PARAM_COUNTS = {
    "ffhq256_autoenc": (168_492_291, 30_150_400, 138_341_891, 0),
    "ffhq256_autoenc_latent": (222_601_987, 30_150_400, 138_341_891, 54_109_696),
    "celeba64d2c_autoenc": (90_839_235, 19_320_512, 71_518_723, 0),
    "celeba64d2c_autoenc_latent": (144_948_931, 19_320_512, 71_518_723, 54_109_696),
    "horse128_autoenc_latent": (245_651_331, 24_673_536, 103_871_619, 117_106_176),
}


@pytest.mark.parametrize("name", sorted(PARAM_COUNTS))
def test_parameter_counts(name):
    net = DiffAENet(RELEASED_CONFIGS[name], device=torch.device("meta"))
    total, encoder, unet, latent = PARAM_COUNTS[name]
    assert count_parameters(net.parameters()) == total
    assert count_parameters(net.encoder.parameters()) == encoder
    assert count_parameters(net.unet_parameters()) == unet
    assert (count_parameters(net.latent_net.parameters()) if net.latent_net is not None else 0) == latent
