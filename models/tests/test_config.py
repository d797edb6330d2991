import dataclasses
import json
import os

import pytest

from conftest import REFERENCE_DIR
from diffae_toolkit.config import (RELEASED_CONFIGS, AutoencConfig, ConfigError, LatentConfig, config_from_hparams,
                                   hparams_from_config, released_config)

with open(os.path.join(REFERENCE_DIR, "official-model-stats.json"), encoding="utf-8") as f:
    STATS = json.load(f)
OFFICIAL_CONFS = {name: entry["conf"] for name, entry in STATS.items() if "conf" in entry}


def test_every_released_config_is_defined():
    assert set(OFFICIAL_CONFS) == set(RELEASED_CONFIGS)


@pytest.mark.parametrize("name", sorted(OFFICIAL_CONFS))
def test_config_from_official_hparams_equals_released(name):
    assert config_from_hparams(OFFICIAL_CONFS[name]) == RELEASED_CONFIGS[name]


@pytest.mark.parametrize("name", ["ffhq256_autoenc_latent", "celeba64d2c_autoenc"])
def test_hparams_round_trip(name):
    conf = RELEASED_CONFIGS[name]
    assert config_from_hparams(hparams_from_config(conf)) == conf


def test_hparams_nested_one_level_and_flat_latent_names():
    flat = {k: v for k, v in OFFICIAL_CONFS["horse128_autoenc_latent"].items() if k != "latent"}
    flat.update({"net_latent_net_type": "LatentNetType.skip", "net_latent_num_layers": 20,
                 "net_latent_num_hid_channels": 2048, "net_latent_condition_bias": 1})
    conf = config_from_hparams({"conf": flat})
    assert conf == RELEASED_CONFIGS["horse128_autoenc_latent"]


def test_hparams_defaults_for_optional_fields():
    minimal = {"img_size": 64, "net_ch": 64, "ch_mult": [1, 2, 4, 8], "enc_channel_mult": [1, 2, 4, 8, 8]}
    conf = config_from_hparams(minimal, name="celeba64d2c_autoenc")
    assert conf == RELEASED_CONFIGS["celeba64d2c_autoenc"]


def test_hparams_errors_are_clear():
    with pytest.raises(ConfigError, match="essential"):
        config_from_hparams({"img_size": 64, "ch_mult": [1, 2]})
    with pytest.raises(ConfigError, match="not an official training config"):
        config_from_hparams({"lr": 1e-4})
    bad = dict(OFFICIAL_CONFS["ffhq256_autoenc"], enc_pool="depthconv")
    with pytest.raises(ConfigError, match="enc_pool"):
        config_from_hparams(bad)
    bad_latent = json.loads(json.dumps(OFFICIAL_CONFS["ffhq256_autoenc_latent"]))
    bad_latent["latent"]["skip_layers"] = [1, 2]
    with pytest.raises(ConfigError, match="skip_layers"):
        config_from_hparams(bad_latent)


def test_to_dict_from_dict_round_trip_through_json(tiny_conf):
    again = AutoencConfig.from_dict(json.loads(json.dumps(tiny_conf.to_dict())))
    assert again == tiny_conf and isinstance(again.latent, LatentConfig)
    with pytest.raises(ConfigError, match="unknown field"):
        AutoencConfig.from_dict(dict(tiny_conf.to_dict(), colour="red"))
    with pytest.raises(ConfigError, match="missing"):
        AutoencConfig.from_dict({"name": "x", "img_size": 64})


def test_config_validation():
    base = dict(name="x", img_size=64, net_ch=16, ch_mult=(1, 2, 4, 4), enc_channel_mult=(1, 2, 4, 4, 4), z_dim=256)
    AutoencConfig(**base)  # the small FaceSynth64-style config is valid
    with pytest.raises(ConfigError, match="divisible"):
        AutoencConfig(**dict(base, img_size=60))
    with pytest.raises(ConfigError, match="z_dim"):
        AutoencConfig(**base, latent=LatentConfig(num_layers=2, z_dim=512))
    with pytest.raises(ConfigError, match="positive int"):
        AutoencConfig(**dict(base, net_ch=0))
    with pytest.raises(ConfigError, match="unknown released config"):
        released_config("ffhq512")


def test_base_drops_latent():
    conf = RELEASED_CONFIGS["ffhq128_autoenc_latent"]
    assert conf.base().latent is None
    assert dataclasses.replace(conf.base(), name="ffhq128_autoenc_130M") == RELEASED_CONFIGS["ffhq128_autoenc_130M"]
