"""Seeded random-weight checkpoints in the official layout, for tests of the loader and exporter.

CLI: PYTHONPATH=models python -m diffae_toolkit.fixtures OUT_DIR (--config NAME | --config-json FILE)
     [--seed N] [--no-latent] [--no-classifier] [--attributes N]
"""

from __future__ import annotations

import argparse
import json
import os
import sys
from typing import Dict, Optional, Sequence

import torch
from torch import nn

from .checkpoint import CELEBA_ATTRIBUTES, ClassifierWeights, LatentStats, save_official_layout
from .config import AutoencConfig, released_config
from .nets import DiffAENet

_PROBE_BATCH = 2


def _perturb_norms(net: nn.Module, gen: torch.Generator) -> None:
    """Non-trivial GroupNorm/LayerNorm affine parameters, so that a swapped weight/bias is visible."""
    for module in net.modules():
        if isinstance(module, (nn.GroupNorm, nn.LayerNorm)) and module.weight is not None:
            module.weight.copy_(1 + 0.1 * torch.randn(module.weight.shape, generator=gen))
            module.bias.copy_(0.1 * torch.randn(module.bias.shape, generator=gen))


def _rescale_output(layer: nn.Module, output: torch.Tensor) -> None:
    """Scale a final layer so its output on the probe has unit std (eps O(1), neither tiny nor exploding)."""
    std = float(output.std())
    if std > 0:
        layer.weight.mul_(1.0 / std)
        layer.bias.mul_(1.0 / std)


def random_net(conf: AutoencConfig, seed: int) -> DiffAENet:
    """DiffAENet with seeded random weights whose encoder z, UNet eps and latent eps are about unit-std."""
    with torch.random.fork_rng(devices=[]):
        torch.manual_seed(seed)
        net = DiffAENet(conf).eval()
    gen = torch.Generator().manual_seed(seed + 1)
    with torch.no_grad():
        _perturb_norms(net, gen)
        x = torch.rand((_PROBE_BATCH, conf.in_channels, conf.img_size, conf.img_size), generator=gen) * 2 - 1
        t = torch.tensor([50.0, 700.0])[:_PROBE_BATCH]
        _rescale_output(net.encoder.out[3], net.encoder(x))
        z = net.encoder(x)
        _rescale_output(net.out[2], net(x, t, z))
        if net.latent_net is not None:
            zn = torch.randn((_PROBE_BATCH, conf.z_dim), generator=gen)
            _rescale_output(net.latent_net.layers[-1].linear, net.latent_net(zn, t))
    return net


def random_latent_stats(z_dim: int, seed: int) -> LatentStats:
    gen = torch.Generator().manual_seed(seed + 2)
    mean = 0.5 * torch.randn(z_dim, generator=gen)
    std = torch.exp(0.3 * torch.randn(z_dim, generator=gen)) * 0.8
    return LatentStats(conds_mean=mean, conds_std=std)


def random_classifier(z_dim: int, seed: int, attributes: Sequence[str], stats: LatentStats) -> ClassifierWeights:
    gen = torch.Generator().manual_seed(seed + 3)
    n = len(attributes)
    return ClassifierWeights(
        weight=0.05 * torch.randn((n, z_dim), generator=gen), bias=0.1 * torch.randn(n, generator=gen),
        conds_mean=stats.conds_mean.clone(), conds_std=stats.conds_std.clone(), attributes=tuple(attributes))


def default_attribute_names(n: int) -> Sequence[str]:
    return CELEBA_ATTRIBUTES[:n] if n <= len(CELEBA_ATTRIBUTES) else [f"attr_{i}" for i in range(n)]


def make_random_checkpoints(out_dir: str, conf: AutoencConfig, seed: int, with_latent: bool = True,
                            with_classifier: bool = True, n_attributes: int = 40,
                            attribute_names: Optional[Sequence[str]] = None, step: int = 1000,
                            sample_size: int = 4) -> Dict[str, str]:
    """Write `autoenc.ckpt` [+ `latent.ckpt`] [+ `cls.ckpt`] into out_dir; returns {kind: path}.

    Every file unpickles only with trust (the `callbacks` key is a pickled PL class), like the released
    ones. The latent file repeats the autoencoder weights; the classifier uses the same z stats."""
    if with_latent and conf.latent is None:
        raise ValueError(f"config {conf.name!r} has no latent net; pass with_latent=False or a latent config")
    names = list(attribute_names) if attribute_names is not None else list(default_attribute_names(n_attributes))
    net = random_net(conf if with_latent else conf.base(), seed)
    stats = random_latent_stats(conf.z_dim, seed)
    os.makedirs(out_dir, exist_ok=True)
    paths = {"autoenc": os.path.join(out_dir, "autoenc.ckpt")}
    save_official_layout(paths["autoenc"], net, conf, step=step, kind="autoenc", sample_size=sample_size, seed=seed)
    if with_latent:
        paths["latent"] = os.path.join(out_dir, "latent.ckpt")
        save_official_layout(paths["latent"], net, conf, step=step, kind="latent", latent_stats=stats,
                             sample_size=sample_size, seed=seed)
    if with_classifier:
        paths["cls"] = os.path.join(out_dir, "cls.ckpt")
        save_official_layout(paths["cls"], None, conf, step=step, kind="cls",
                             classifier=random_classifier(conf.z_dim, seed, names, stats), seed=seed)
    return paths


def main(argv: Optional[Sequence[str]] = None) -> int:
    parser = argparse.ArgumentParser(description="Write seeded random-weight checkpoints in the official layout.")
    parser.add_argument("out_dir")
    source = parser.add_mutually_exclusive_group(required=True)
    source.add_argument("--config", help="released config name, e.g. celeba64d2c_autoenc_latent")
    source.add_argument("--config-json", help="JSON file with AutoencConfig.to_dict() content")
    parser.add_argument("--seed", type=int, default=0)
    parser.add_argument("--no-latent", action="store_true")
    parser.add_argument("--no-classifier", action="store_true")
    parser.add_argument("--attributes", type=int, default=40, help="number of classifier rows")
    args = parser.parse_args(argv)
    if args.config:
        conf = released_config(args.config)
    else:
        with open(args.config_json, encoding="utf-8") as f:
            conf = AutoencConfig.from_dict(json.load(f))
    paths = make_random_checkpoints(args.out_dir, conf, args.seed, with_latent=not args.no_latent,
                                    with_classifier=not args.no_classifier, n_attributes=args.attributes)
    json.dump(paths, sys.stdout, indent=2)
    sys.stdout.write("\n")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
