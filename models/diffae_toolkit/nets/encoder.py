"""The semantic encoder x -> z (facts §10.3): UNet input side with single-conv unconditioned ResBlocks."""

from __future__ import annotations

from typing import Sequence

from torch import Tensor, nn

from .blocks import Device, ResBlock, normalization
from .unet import build_input_side, build_middle


class SemanticEncoder(nn.Module):
    """z = Encoder(x): x [N,C_in,S,S] in [-1,1] -> z [N,Z]; head GN -> SiLU -> global mean -> Conv1x1."""

    def __init__(self, *, img_size: int, in_channels: int, net_ch: int, channel_mult: Sequence[int],
                 num_res_blocks: int, attn_resolutions: Sequence[int], heads: int, z_dim: int, device: Device = None):
        super().__init__()

        def make_res(cin: int, cout: int, resample: str) -> ResBlock:
            return ResBlock(cin, cout, resample=resample, device=device)

        self.input_blocks, _, ch, _ = build_input_side(
            in_channels=in_channels, net_ch=net_ch, mults=channel_mult, num_res_blocks=num_res_blocks,
            img_size=img_size, attn_resolutions=attn_resolutions, heads=heads, make_res=make_res, device=device)
        self.middle_block = build_middle(ch, heads, make_res, device)
        self.out = nn.Sequential(
            normalization(ch, device), nn.SiLU(), nn.AdaptiveAvgPool2d((1, 1)),
            nn.Conv2d(ch, z_dim, 1, device=device), nn.Flatten(1))

    def forward(self, x: Tensor) -> Tensor:
        h = x
        for block in self.input_blocks:
            h = block(h)
        return self.out(self.middle_block(h))
