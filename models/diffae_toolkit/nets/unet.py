"""The conditional UNet (decoder) and the level skeleton it shares with the encoder (facts §10.2)."""

from __future__ import annotations

from typing import Callable, List, Sequence, Tuple

import torch
from torch import Tensor, nn

from .blocks import AttentionBlock, CondSequential, Device, ResBlock, conv3x3, normalization, timestep_embedding

# make_res(cin, cout, resample) -> ResBlock
MakeRes = Callable[[int, int, str], ResBlock]


def build_input_side(*, in_channels: int, net_ch: int, mults: Sequence[int], num_res_blocks: int, img_size: int,
                     attn_resolutions: Sequence[int], heads: int, make_res: MakeRes,
                     device: Device) -> Tuple[nn.ModuleList, List[int], int, int]:
    """Input blocks: conv, then per level nrb ResBlocks (+attention at attn resolutions) and a down
    ResBlock except at the last level. Returns (blocks, channels of every block output, final
    channels, final resolution)."""
    ch = net_ch * mults[0]
    blocks = nn.ModuleList([CondSequential(nn.Conv2d(in_channels, ch, 3, padding=1, device=device))])
    chans = [ch]
    resolution = img_size
    for level, mult in enumerate(mults):
        for _ in range(num_res_blocks):
            layers: List[nn.Module] = [make_res(ch, net_ch * mult, "none")]
            ch = net_ch * mult
            if resolution in attn_resolutions:
                layers.append(AttentionBlock(ch, heads, device))
            blocks.append(CondSequential(*layers))
            chans.append(ch)
        if level != len(mults) - 1:
            blocks.append(CondSequential(make_res(ch, ch, "down")))
            chans.append(ch)
            resolution //= 2
    return blocks, chans, ch, resolution


def build_middle(ch: int, heads: int, make_res: MakeRes, device: Device) -> CondSequential:
    return CondSequential(make_res(ch, ch, "none"), AttentionBlock(ch, heads, device), make_res(ch, ch, "none"))


class TimeEmbed(nn.Module):
    """temb = Lin(E->E)(SiLU(Lin(C->E)(sinusoid(t, C)))), under the official `time_embed.time_embed` path."""

    def __init__(self, sinusoid_dim: int, embed_channels: int, device: Device = None):
        super().__init__()
        self.sinusoid_dim = sinusoid_dim
        self.time_embed = nn.Sequential(
            nn.Linear(sinusoid_dim, embed_channels, device=device), nn.SiLU(),
            nn.Linear(embed_channels, embed_channels, device=device))

    def forward(self, t: Tensor) -> Tensor:
        emb = timestep_embedding(t, self.sinusoid_dim)
        return self.time_embed(emb.to(self.time_embed[0].weight.dtype))


class ConditionalUNet(nn.Module):
    """eps = UNet(x, t, z): x [N,C_in,S,S] in [-1,1], t [N] original timesteps (float), z [N,Z]."""

    def __init__(self, *, img_size: int, in_channels: int, net_ch: int, ch_mult: Sequence[int], num_res_blocks: int,
                 attn_resolutions: Sequence[int], heads: int, embed_channels: int, z_dim: int, dropout: float,
                 device: Device = None):
        super().__init__()

        def make_res(cin: int, cout: int, resample: str) -> ResBlock:
            return ResBlock(cin, cout, emb_ch=embed_channels, cond_ch=z_dim, resample=resample, dropout=dropout,
                            device=device)

        self.time_embed = TimeEmbed(net_ch, embed_channels, device)
        self.input_blocks, chans, ch, resolution = build_input_side(
            in_channels=in_channels, net_ch=net_ch, mults=ch_mult, num_res_blocks=num_res_blocks, img_size=img_size,
            attn_resolutions=attn_resolutions, heads=heads, make_res=make_res, device=device)
        self.middle_block = build_middle(ch, heads, make_res, device)

        self.output_blocks = nn.ModuleList()
        for level in reversed(range(len(ch_mult))):
            for i in range(num_res_blocks + 1):
                layers: List[nn.Module] = [make_res(ch + chans.pop(), net_ch * ch_mult[level], "none")]
                ch = net_ch * ch_mult[level]
                if resolution in attn_resolutions:
                    layers.append(AttentionBlock(ch, heads, device))
                if level and i == num_res_blocks:
                    layers.append(make_res(ch, ch, "up"))
                    resolution *= 2
                self.output_blocks.append(CondSequential(*layers))
        self.out = nn.Sequential(normalization(ch, device), nn.SiLU(), conv3x3(ch, in_channels, device))

    def forward(self, x: Tensor, t: Tensor, z: Tensor) -> Tensor:
        temb = self.time_embed(t)
        h = x
        skips: List[Tensor] = []
        for block in self.input_blocks:
            h = block(h, temb, z)
            skips.append(h)
        h = self.middle_block(h, temb, z)
        for block in self.output_blocks:
            h = block(torch.cat([h, skips.pop()], dim=1), temb, z)
        return self.out(h)
