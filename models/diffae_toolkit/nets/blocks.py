"""Building blocks shared by the UNet, the semantic encoder and the latent net (facts §10.1-10.3).

Every constructor takes `device` so that full-size networks can be built on the `meta` device
(shapes only, no allocation). Forward code avoids Python-side shape arithmetic on the batch axis so
that ONNX export (torch 1.13, opset 17) keeps a dynamic batch and per-sample timesteps.
"""

from __future__ import annotations

import math
from typing import Optional

import torch
import torch.nn.functional as F
from torch import Tensor, nn

Device = Optional[torch.device]


def timestep_embedding(t: Tensor, dim: int, max_period: float = 10000.0) -> Tensor:
    """Sinusoidal embedding of (float) timesteps, cosine half first; always float32, shape [N, dim]."""
    half = dim // 2
    freqs = torch.exp(-math.log(max_period) * torch.arange(half, dtype=torch.float32, device=t.device) / half)
    args = t.to(torch.float32)[:, None] * freqs[None, :]
    emb = torch.cat([torch.cos(args), torch.sin(args)], dim=-1)
    if dim % 2:
        emb = torch.cat([emb, torch.zeros_like(emb[:, :1])], dim=-1)
    return emb


def group_count(channels: int) -> int:
    """GroupNorm groups: min(32, channels) as in the official nets (every released width is a
    multiple of it); for widths it does not divide (e.g. 48 in small custom nets) the largest divisor
    of `channels` not above 32."""
    groups = min(32, channels)
    while channels % groups:
        groups -= 1
    return groups


class GroupNorm32(nn.GroupNorm):
    """GroupNorm evaluated in float32 whatever the input dtype (output cast back)."""

    def forward(self, x: Tensor) -> Tensor:
        return super().forward(x.float()).type(x.dtype)


def normalization(channels: int, device: Device = None) -> GroupNorm32:
    return GroupNorm32(group_count(channels), channels, eps=1e-5, device=device)


def conv3x3(cin: int, cout: int, device: Device = None) -> nn.Conv2d:
    return nn.Conv2d(cin, cout, 3, padding=1, device=device)


class Downsample(nn.Module):
    """2x2 average pooling (the resampling inside down ResBlocks)."""

    def forward(self, x: Tensor) -> Tensor:
        return F.avg_pool2d(x, kernel_size=2, stride=2)


class Upsample(nn.Module):
    """Nearest-neighbour x2 (the resampling inside up ResBlocks)."""

    def forward(self, x: Tensor) -> Tensor:
        return F.interpolate(x, scale_factor=2.0, mode="nearest")


def _resampler(resample: str) -> nn.Module:
    if resample == "down":
        return Downsample()
    if resample == "up":
        return Upsample()
    if resample == "none":
        return nn.Identity()
    raise ValueError(f"resample must be 'none', 'up' or 'down', got {resample!r}")


class ResBlock(nn.Module):
    """Residual block.

    Conditioned (decoder, `emb_ch` and `cond_ch` given):
        h = Conv(SiLU(GN(x))); h = (GN(h)(1 + s_t) + b_t)(1 + s_z); out = skip(x) + Conv(Dropout(SiLU(h)))
    Unconditioned (encoder): out = skip(x) + Conv(SiLU(GN(x))), a single conv.
    `resample` 'down'/'up' resamples both paths after GN+SiLU (cin must equal cout then).
    """

    def __init__(self, cin: int, cout: int, *, emb_ch: Optional[int] = None, cond_ch: Optional[int] = None,
                 resample: str = "none", dropout: float = 0.0, device: Device = None):
        super().__init__()
        if (emb_ch is None) != (cond_ch is None):
            raise ValueError("a conditioned ResBlock needs both emb_ch and cond_ch")
        self.cout = cout
        self.conditioned = emb_ch is not None
        self.in_layers = nn.Sequential(normalization(cin, device), nn.SiLU(), conv3x3(cin, cout, device))
        self.resample = _resampler(resample)
        self.resampling = resample != "none"
        if self.conditioned:
            self.emb_layers = nn.Sequential(nn.SiLU(), nn.Linear(emb_ch, 2 * cout, device=device))
            self.cond_emb_layers = nn.Sequential(nn.SiLU(), nn.Linear(cond_ch, cout, device=device))
            self.out_layers = nn.Sequential(
                normalization(cout, device), nn.SiLU(), nn.Dropout(p=dropout), conv3x3(cout, cout, device))
        self.skip_connection = nn.Identity() if cin == cout else nn.Conv2d(cin, cout, 1, device=device)

    def forward(self, x: Tensor, temb: Optional[Tensor] = None, z: Optional[Tensor] = None) -> Tensor:
        if self.resampling:
            h = self.in_layers[1](self.in_layers[0](x))
            h = self.in_layers[2](self.resample(h))
            x = self.resample(x)
        else:
            h = self.in_layers(x)
        if self.conditioned:
            if temb is None or z is None:
                raise ValueError("conditioned ResBlock needs the time embedding and z")
            emb = self.emb_layers(temb).to(h.dtype)[:, :, None, None]
            scale, shift = emb[:, : self.cout], emb[:, self.cout:]
            cond = self.cond_emb_layers(z).to(h.dtype)[:, :, None, None]
            h = (self.out_layers[0](h) * (1 + scale) + shift) * (1 + cond)
            for layer in self.out_layers[1:]:
                h = layer(h)
        return self.skip_connection(x) + h


class AttentionBlock(nn.Module):
    """Self-attention over the H*W tokens with the legacy qkv layout ([q_h; k_h; v_h] per head)."""

    def __init__(self, channels: int, heads: int = 1, device: Device = None):
        super().__init__()
        if channels % heads:
            raise ValueError(f"{channels} channels not divisible by {heads} heads")
        self.channels = channels
        self.heads = heads
        self.norm = normalization(channels, device)
        self.qkv = nn.Conv1d(channels, 3 * channels, 1, device=device)
        self.proj_out = nn.Conv1d(channels, channels, 1, device=device)

    def forward(self, x: Tensor) -> Tensor:
        flat = x.flatten(2)                                       # [N, C, T]
        tokens = flat.shape[-1]
        head_ch = self.channels // self.heads
        qkv = self.qkv(self.norm(flat)).reshape(-1, 3 * head_ch, tokens)   # [N*heads, 3c, T]
        q, k, v = qkv[:, :head_ch], qkv[:, head_ch: 2 * head_ch], qkv[:, 2 * head_ch:]
        scale = 1.0 / math.sqrt(math.sqrt(head_ch))
        weight = torch.bmm((q * scale).transpose(1, 2), k * scale)       # [B, T(query), T(key)]
        weight = torch.softmax(weight.float(), dim=-1).type(weight.dtype)
        attended = torch.bmm(v, weight.transpose(1, 2))                   # [B, c, T]
        out = self.proj_out(attended.reshape(-1, self.channels, tokens))
        return (flat + out).view_as(x)


class CondSequential(nn.Sequential):
    """Sequential that hands the time embedding and z to the ResBlocks only."""

    def forward(self, x: Tensor, temb: Optional[Tensor] = None, z: Optional[Tensor] = None) -> Tensor:
        for layer in self:
            x = layer(x, temb, z) if isinstance(layer, ResBlock) else layer(x)
        return x
