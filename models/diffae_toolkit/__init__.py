"""diffae_toolkit: official-compatible DiffAE networks, checkpoint I/O and a reference sampler."""

from .checkpoint import (CELEBA_ATTRIBUTES, CheckpointError, ClassifierWeights, LatentStats, LoadedAutoenc,
                         UntrustedCheckpointError, load_classifier, load_official, save_official_layout)
from .config import (RELEASED_CONFIGS, AutoencConfig, ConfigError, LatentConfig, config_from_hparams,
                     hparams_from_config, released_config)
from .nets import DiffAENet, MLPSkipNet, count_parameters

__all__ = [
    "CELEBA_ATTRIBUTES", "RELEASED_CONFIGS", "AutoencConfig", "CheckpointError", "ClassifierWeights", "ConfigError",
    "DiffAENet", "LatentConfig", "LatentStats", "LoadedAutoenc", "MLPSkipNet", "UntrustedCheckpointError",
    "config_from_hparams", "count_parameters", "hparams_from_config", "load_classifier", "load_official",
    "released_config", "save_official_layout",
]
