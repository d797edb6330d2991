"""Multiply-accumulate counts with forward hooks, counted the way the facts sheet (§12) counts them:
Conv1d/Conv2d (output elements x input channels per group x kernel area), Linear (output elements x in
features) and the two attention matmuls (2 x C x tokens^2 per attention block); norms, activations,
pooling and element-wise ops are not counted."""

from __future__ import annotations

from typing import Any, Callable, List

import torch
from torch import nn

from .nets.blocks import AttentionBlock


def _conv_macs(module: nn.Module, output: torch.Tensor) -> int:
    kernel = 1
    for k in module.kernel_size:
        kernel *= k
    return output.numel() * (module.in_channels // module.groups) * kernel


def count_macs(module: nn.Module, run: Callable[[], Any]) -> int:
    """MACs of everything `run()` executes inside `module` (batch included)."""
    total: List[int] = [0]

    def hook(mod: nn.Module, inputs: Any, output: Any) -> None:
        if isinstance(mod, (nn.Conv1d, nn.Conv2d)):
            total[0] += _conv_macs(mod, output)
        elif isinstance(mod, nn.Linear):
            total[0] += output.numel() * mod.in_features
        elif isinstance(mod, AttentionBlock):
            x = inputs[0]
            tokens = x[0, 0].numel()
            total[0] += 2 * x.shape[0] * mod.channels * tokens * tokens

    handles = [m.register_forward_hook(hook) for m in module.modules()
               if isinstance(m, (nn.Conv1d, nn.Conv2d, nn.Linear, AttentionBlock))]
    try:
        with torch.no_grad():
            run()
    finally:
        for h in handles:
            h.remove()
    return total[0]
