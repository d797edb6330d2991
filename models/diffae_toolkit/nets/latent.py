"""MLPSkipNet, the latent DPM's eps network (facts §7)."""

from __future__ import annotations

import torch
from torch import Tensor, nn

from ..config import LatentConfig
from .blocks import Device, timestep_embedding


class MLPLayer(nn.Module):
    """h -> SiLU(LayerNorm(Lin(h) * (bias + Lin_emb(SiLU(tc))))); the last layer is the Linear only.

    `linear_emb` is also registered as `cond_layers.1` (the official state dicts carry the same tensor
    under both names)."""

    def __init__(self, cin: int, cout: int, cond_ch: int, *, last: bool, condition_bias: float, device: Device):
        super().__init__()
        self.last = last
        self.condition_bias = condition_bias
        self.linear = nn.Linear(cin, cout, device=device)
        if not last:
            self.linear_emb = nn.Linear(cond_ch, cout, device=device)
            self.cond_layers = nn.Sequential(nn.SiLU(), self.linear_emb)
            self.norm = nn.LayerNorm(cout, eps=1e-5, device=device)
            self.act = nn.SiLU()

    def forward(self, h: Tensor, tc: Tensor) -> Tensor:
        h = self.linear(h)
        if self.last:
            return h
        h = h * (self.condition_bias + self.cond_layers(tc))
        return self.act(self.norm(h))


class MLPSkipNet(nn.Module):
    """eps = MLPSkipNet(x, t): x [N,Z] normalised z, t [N] original timesteps -> eps [N,Z]."""

    def __init__(self, conf: LatentConfig, device: Device = None):
        super().__init__()
        width = conf.z_dim
        self.time_emb_dim = conf.time_emb_dim
        self.time_embed = nn.Sequential(
            nn.Linear(conf.time_emb_dim, width, device=device), nn.SiLU(), nn.Linear(width, width, device=device))
        self.layers = nn.ModuleList()
        for i in range(conf.num_layers):
            last = i == conf.num_layers - 1
            cin = width if i == 0 else conf.hidden + width
            cout = width if last else conf.hidden
            self.layers.append(MLPLayer(cin, cout, width, last=last, condition_bias=conf.condition_bias,
                                        device=device))

    def forward(self, x: Tensor, t: Tensor) -> Tensor:
        emb = timestep_embedding(t, self.time_emb_dim)
        tc = self.time_embed(emb.to(self.time_embed[0].weight.dtype))
        h = x
        for i, layer in enumerate(self.layers):
            if i:
                h = torch.cat([h, x], dim=1)
            h = layer(h, tc)
        return h
