"""Our PyTorch implementation of the DiffAE networks (facts §10), official state-dict layout."""

from .blocks import AttentionBlock, GroupNorm32, ResBlock, group_count, timestep_embedding
from .diffae import DiffAENet, count_parameters
from .encoder import SemanticEncoder
from .latent import MLPSkipNet
from .unet import ConditionalUNet

__all__ = [
    "AttentionBlock", "ConditionalUNet", "DiffAENet", "GroupNorm32", "MLPSkipNet", "ResBlock", "SemanticEncoder",
    "count_parameters", "group_count", "timestep_embedding",
]
