"""LiteEncoder: a small plain CNN x -> z, distilled from the semantic encoder for instant in-browser encoding.

Stages of [Conv3x3 stride 2 -> GroupNorm -> SiLU] (+ optional stride-1 convs per stage), then global
average pooling and one Linear to z. Saved as a torch file holding only tensors, ints, strings and
lists, so it loads with the restricted (weights_only) unpickler.
"""

from __future__ import annotations

import inspect
import os
from typing import Any, Dict, Mapping, Sequence, Tuple, Union

import torch
from torch import Tensor, nn

from .blocks import group_count

LITE_FORMAT = "diffae-lite-encoder"
LITE_FORMAT_VERSION = 1
PathLike = Union[str, "os.PathLike[str]"]


class LiteEncoderError(ValueError):
    """A lite-encoder file or config is malformed."""


def _conv_block(cin: int, cout: int, stride: int) -> nn.Sequential:
    return nn.Sequential(nn.Conv2d(cin, cout, 3, stride=stride, padding=1),
                         nn.GroupNorm(group_count(cout), cout, eps=1e-5), nn.SiLU())


class LiteEncoder(nn.Module):
    """x [N,C,S,S] in [-1,1] -> z [N,Z]. Every stage halves the resolution."""

    def __init__(self, img_size: int, z_dim: int, widths: Sequence[int] = (16, 32, 64, 128), in_channels: int = 3,
                 convs_per_stage: int = 1):
        super().__init__()
        widths = tuple(int(w) for w in widths)
        if not widths or any(w <= 0 for w in widths):
            raise LiteEncoderError(f"widths must be positive, got {widths}")
        if convs_per_stage < 1:
            raise LiteEncoderError(f"convs_per_stage must be >= 1, got {convs_per_stage}")
        if img_size % (2 ** len(widths)):
            raise LiteEncoderError(f"img_size {img_size} is not divisible by 2^{len(widths)} ({len(widths)} stages)")
        self.config: Dict[str, Any] = {"img_size": int(img_size), "z_dim": int(z_dim), "widths": list(widths),
                                       "in_channels": int(in_channels), "convs_per_stage": int(convs_per_stage)}
        stages = []
        cin = in_channels
        for width in widths:
            layers = [_conv_block(cin, width, 2)] + [_conv_block(width, width, 1) for _ in range(convs_per_stage - 1)]
            stages.append(nn.Sequential(*layers))
            cin = width
        self.stages = nn.Sequential(*stages)
        self.pool = nn.AdaptiveAvgPool2d((1, 1))
        self.head = nn.Linear(cin, z_dim)

    @property
    def img_size(self) -> int:
        return self.config["img_size"]

    @property
    def z_dim(self) -> int:
        return self.config["z_dim"]

    def forward(self, x: Tensor) -> Tensor:
        return self.head(self.pool(self.stages(x)).flatten(1))


def lite_from_config(config: Mapping[str, Any]) -> LiteEncoder:
    known = set(inspect.signature(LiteEncoder.__init__).parameters) - {"self"}
    unknown = sorted(set(config) - known)
    if unknown:
        raise LiteEncoderError(f"lite_config has unknown field(s) {unknown}; known: {sorted(known)}")
    try:
        return LiteEncoder(**config)
    except TypeError as err:
        raise LiteEncoderError(f"lite_config {dict(config)} is incomplete: {err}") from None


def save_lite(path: PathLike, net: LiteEncoder, config: Mapping[str, Any] = None) -> None:
    """Write {format, version, lite_config, state_dict}; `config` defaults to the net's own."""
    config = dict(config if config is not None else net.config)
    probe = lite_from_config(config)
    if set(probe.state_dict()) != set(net.state_dict()):
        raise LiteEncoderError("lite_config does not describe this network")
    payload = {"format": LITE_FORMAT, "version": LITE_FORMAT_VERSION, "lite_config": config,
               "state_dict": {k: v.detach().cpu().float().contiguous() for k, v in net.state_dict().items()}}
    parent = os.path.dirname(os.path.abspath(os.fspath(path)))
    os.makedirs(parent, exist_ok=True)
    torch.save(payload, os.fspath(path))


def load_lite(path: PathLike) -> Tuple[LiteEncoder, Dict[str, Any]]:
    """(net in eval mode, lite_config). Uses the restricted unpickler where torch has one."""
    path = os.fspath(path)
    if not os.path.isfile(path):
        raise FileNotFoundError(f"lite encoder file not found: {path}")
    kwargs: Dict[str, Any] = {"map_location": "cpu"}
    if "weights_only" in inspect.signature(torch.load).parameters:
        kwargs["weights_only"] = True
    try:
        payload = torch.load(path, **kwargs)
    except Exception as err:  # restricted unpickler errors vary across torch versions
        raise LiteEncoderError(f"{path} is not a lite encoder file written by save_lite: {err}") from None
    if not isinstance(payload, dict) or payload.get("format") != LITE_FORMAT:
        raise LiteEncoderError(f"{path} is not a lite encoder file (expected format {LITE_FORMAT!r})")
    if payload.get("version") != LITE_FORMAT_VERSION:
        raise LiteEncoderError(f"{path}: unsupported lite encoder format version {payload.get('version')!r}")
    config = dict(payload["lite_config"])
    net = lite_from_config(config)
    try:
        net.load_state_dict(payload["state_dict"])
    except RuntimeError as err:
        raise LiteEncoderError(f"{path}: weights do not fit lite_config {config}: {err}") from None
    return net.eval(), config
