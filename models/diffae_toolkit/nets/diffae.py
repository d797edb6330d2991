"""`DiffAENet`: the official `ema_model` module tree (UNet at the top level, `encoder`, `latent_net`)."""

from __future__ import annotations

from typing import Optional

from torch import Tensor

from ..config import AutoencConfig
from .blocks import Device
from .encoder import SemanticEncoder
from .latent import MLPSkipNet
from .unet import ConditionalUNet


class DiffAENet(ConditionalUNet):
    """state_dict() keys/shapes/order equal the official `ema_model.*` entries (prefix stripped).

    forward(x, t, z) -> eps (UNet); encoder(x) / encode(x) -> z; latent_net(x, t) -> eps when
    `conf.latent` is set (else `latent_net` is None)."""

    def __init__(self, conf: AutoencConfig, device: Device = None):
        super().__init__(
            img_size=conf.img_size, in_channels=conf.in_channels, net_ch=conf.net_ch, ch_mult=conf.ch_mult,
            num_res_blocks=conf.num_res_blocks, attn_resolutions=conf.attn_resolutions, heads=conf.attn_heads,
            embed_channels=conf.embed_channels, z_dim=conf.z_dim, dropout=conf.dropout, device=device)
        self.conf = conf
        self.encoder = SemanticEncoder(
            img_size=conf.img_size, in_channels=conf.in_channels, net_ch=conf.net_ch,
            channel_mult=conf.enc_channel_mult, num_res_blocks=conf.enc_num_res_blocks,
            attn_resolutions=conf.attn_resolutions, heads=conf.attn_heads, z_dim=conf.z_dim, device=device)
        self.latent_net: Optional[MLPSkipNet] = (
            MLPSkipNet(conf.latent, device) if conf.latent is not None else None)

    def encode(self, x: Tensor) -> Tensor:
        return self.encoder(x)

    def unet_parameters(self):
        """Parameters of the decoder alone (everything outside `encoder` and `latent_net`)."""
        return (p for name, p in self.named_parameters()
                if not name.startswith("encoder.") and not name.startswith("latent_net."))


def count_parameters(params) -> int:
    """Distinct parameter elements (shared tensors counted once)."""
    seen = {}
    for p in params:
        seen[id(p)] = p.numel()
    return sum(seen.values())
