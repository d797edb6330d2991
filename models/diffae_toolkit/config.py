"""Architecture configs of the DiffAE networks (facts sheet sections 10 and 12).

`AutoencConfig` describes one autoencoder (semantic encoder + conditional UNet), optionally with a
latent DPM (`LatentConfig`). Only architecture fields live here; the diffusion settings are fixed by
the facts sheet (linear betas for images, const0.008 for latents, T = 1000).
"""

from __future__ import annotations

import dataclasses
from dataclasses import dataclass
from typing import Any, Mapping, Optional, Tuple


class ConfigError(ValueError):
    """A config (ours or an official training-config dict) is incomplete or unsupported."""


@dataclass(frozen=True)
class LatentConfig:
    """MLPSkipNet of the latent DPM (facts §7): skip input into every layer 1..L-1."""

    num_layers: int
    hidden: int = 2048
    time_emb_dim: int = 64
    z_dim: int = 512
    condition_bias: float = 1

    def __post_init__(self) -> None:
        _require_positive_ints(self, ("num_layers", "hidden", "time_emb_dim", "z_dim"))
        if self.time_emb_dim % 2:
            raise ConfigError(f"latent time_emb_dim must be even, got {self.time_emb_dim}")

    def to_dict(self) -> dict:
        return dataclasses.asdict(self)

    @staticmethod
    def from_dict(d: Mapping[str, Any]) -> "LatentConfig":
        return LatentConfig(**_known_fields(LatentConfig, d, "latent config"))


@dataclass(frozen=True)
class AutoencConfig:
    name: str
    img_size: int
    net_ch: int
    ch_mult: Tuple[int, ...]
    enc_channel_mult: Tuple[int, ...]
    attn_resolutions: Tuple[int, ...] = (16,)
    num_res_blocks: int = 2
    enc_num_res_blocks: int = 2
    embed_channels: int = 512
    z_dim: int = 512
    attn_heads: int = 1
    dropout: float = 0.1
    in_channels: int = 3
    latent: Optional[LatentConfig] = None

    def __post_init__(self) -> None:
        # Normalise list inputs (JSON) to tuples so configs stay hashable and comparable.
        for name in ("ch_mult", "enc_channel_mult", "attn_resolutions"):
            object.__setattr__(self, name, tuple(int(v) for v in getattr(self, name)))
        _require_positive_ints(
            self,
            ("img_size", "net_ch", "num_res_blocks", "enc_num_res_blocks", "embed_channels", "z_dim",
             "attn_heads", "in_channels"),
        )
        if not self.ch_mult or not self.enc_channel_mult:
            raise ConfigError(f"{self.name}: ch_mult and enc_channel_mult must not be empty")
        if any(m <= 0 for m in self.ch_mult + self.enc_channel_mult):
            raise ConfigError(f"{self.name}: channel multipliers must be positive")
        for mults in (self.ch_mult, self.enc_channel_mult):
            if self.img_size % (2 ** (len(mults) - 1)):
                raise ConfigError(
                    f"{self.name}: img_size {self.img_size} is not divisible by 2^{len(mults) - 1} "
                    f"(needed for {len(mults)} levels)")
        if self.net_ch % 2:
            raise ConfigError(f"{self.name}: net_ch must be even (sinusoidal embedding width), got {self.net_ch}")
        for mult in set(self.ch_mult + self.enc_channel_mult):
            if (self.net_ch * mult) % self.attn_heads:
                raise ConfigError(f"{self.name}: {self.net_ch * mult} channels not divisible by {self.attn_heads} heads")
        if self.latent is not None and self.latent.z_dim != self.z_dim:
            raise ConfigError(f"{self.name}: latent z_dim {self.latent.z_dim} != z_dim {self.z_dim}")

    @property
    def has_latent(self) -> bool:
        return self.latent is not None

    def base(self) -> "AutoencConfig":
        """The same autoencoder without the latent DPM."""
        return dataclasses.replace(self, latent=None)

    def with_latent(self, latent: LatentConfig) -> "AutoencConfig":
        return dataclasses.replace(self, latent=latent)

    def to_dict(self) -> dict:
        d = dataclasses.asdict(self)
        for name in ("ch_mult", "enc_channel_mult", "attn_resolutions"):
            d[name] = list(d[name])
        return d

    @staticmethod
    def from_dict(d: Mapping[str, Any]) -> "AutoencConfig":
        fields = _known_fields(AutoencConfig, d, "autoencoder config")
        latent = fields.get("latent")
        if latent is not None and not isinstance(latent, LatentConfig):
            fields["latent"] = LatentConfig.from_dict(latent)
        return AutoencConfig(**fields)


def _require_positive_ints(obj: Any, names: Tuple[str, ...]) -> None:
    for name in names:
        value = getattr(obj, name)
        if not isinstance(value, int) or isinstance(value, bool) or value <= 0:
            raise ConfigError(f"{type(obj).__name__}.{name} must be a positive int, got {value!r}")


def _known_fields(cls: type, d: Mapping[str, Any], what: str) -> dict:
    if not isinstance(d, Mapping):
        raise ConfigError(f"{what} must be a mapping, got {type(d).__name__}")
    names = {f.name for f in dataclasses.fields(cls)}
    unknown = sorted(set(d) - names)
    if unknown:
        raise ConfigError(f"{what}: unknown field(s) {unknown}; known: {sorted(names)}")
    required = {f.name for f in dataclasses.fields(cls)
                if f.default is dataclasses.MISSING and f.default_factory is dataclasses.MISSING}
    missing = sorted(required - set(d))
    if missing:
        raise ConfigError(f"{what}: missing field(s) {missing}")
    return dict(d)


# --- released configs (facts §12) -------------------------------------------------------------

def _released() -> dict:
    ffhq256 = dict(img_size=256, net_ch=128, ch_mult=(1, 1, 2, 2, 4, 4), enc_channel_mult=(1, 1, 2, 2, 4, 4, 4))
    px128 = dict(img_size=128, net_ch=128, ch_mult=(1, 1, 2, 3, 4), enc_channel_mult=(1, 1, 2, 3, 4, 4))
    celeba64 = dict(img_size=64, net_ch=64, ch_mult=(1, 2, 4, 8), enc_channel_mult=(1, 2, 4, 8, 8))
    table = [
        ("ffhq256_autoenc", ffhq256, None),
        ("ffhq256_autoenc_latent", ffhq256, 10),
        ("ffhq128_autoenc_130M", px128, None),
        ("ffhq128_autoenc_72M", px128, None),
        ("ffhq128_autoenc_latent", px128, 10),
        ("horse128_autoenc", px128, None),
        ("horse128_autoenc_latent", px128, 20),
        ("bedroom128_autoenc", px128, None),
        ("bedroom128_autoenc_latent", px128, 20),
        ("celeba64d2c_autoenc", celeba64, None),
        ("celeba64d2c_autoenc_latent", celeba64, 10),
    ]
    return {
        name: AutoencConfig(name=name, **arch, latent=None if layers is None else LatentConfig(num_layers=layers))
        for name, arch, layers in table
    }


RELEASED_CONFIGS: dict = _released()


def released_config(name: str) -> AutoencConfig:
    try:
        return RELEASED_CONFIGS[name]
    except KeyError:
        raise ConfigError(f"unknown released config {name!r}; known: {sorted(RELEASED_CONFIGS)}") from None


# --- official training-config dicts (checkpoint `hyper_parameters`) ---------------------------

_ESSENTIAL_HPARAMS = ("img_size", "net_ch", "ch_mult")
# Official field -> our field, for the plain architecture fields.
_HPARAM_FIELDS = {
    "img_size": "img_size",
    "net_ch": "net_ch",
    "ch_mult": "ch_mult",
    "enc_channel_mult": "enc_channel_mult",
    "attn": "attn_resolutions",
    "num_res_blocks": "num_res_blocks",
    "enc_num_res_blocks": "enc_num_res_blocks",
    "embed_channels": "embed_channels",
    "style_ch": "z_dim",
    "attn_heads": "attn_heads",
    "dropout": "dropout",
}
# Settings our networks implement only with the released value; anything else is refused.
_FIXED_HPARAMS = {
    "enc_pool": ("adaptivenonzero",),
    "resnet_two_cond": (True,),
    "resblock_updown": (True,),
    "model_mean_type": ("eps", "ModelMeanType.eps"),
    "T": (1000,),
    "beta_scheduler": ("linear",),
    "rescale_timesteps": (False,),
}
_FIXED_LATENT = {
    "activation": ("silu", "Activation.silu"),
    "use_norm": (True,),
    "dropout": (0, 0.0),
    "last_act": ("none", "Activation.none", None),
    "num_time_layers": (2,),
    "time_last_act": (False,),
    "latent_beta_scheduler": ("const0.008",),
    "latent_clip_sample": (False,),
    "latent_znormalize": (True,),
    "latent_model_mean_type": ("eps", "ModelMeanType.eps"),
    "latent_rescale_timesteps": (False,),
}
# Flat `net_latent_*` spellings accepted as aliases of the nested `latent` dict's names.
_FLAT_LATENT_ALIASES = {
    "num_layers": ("net_latent_num_layers", "net_latent_layers"),
    "num_hid_channels": ("net_latent_num_hid_channels",),
    "num_time_emb_channels": ("net_latent_num_time_emb_channels", "net_latent_time_emb_channels"),
    "condition_bias": ("net_latent_condition_bias",),
    "num_channels": ("net_latent_num_channels",),
    "skip_layers": ("net_latent_skip_layers",),
    "activation": ("net_latent_activation",),
    "use_norm": ("net_latent_use_norm",),
    "dropout": ("net_latent_dropout",),
    "last_act": ("net_latent_net_last_act", "net_latent_last_act"),
    "num_time_layers": ("net_latent_num_time_layers",),
    "time_last_act": ("net_latent_time_last_act",),
}


def find_hparams_conf(hp: Any) -> Optional[Mapping[str, Any]]:
    """The training-config dict inside a checkpoint's `hyper_parameters` (top level or one level down)."""
    if not isinstance(hp, Mapping):
        return None
    if any(k in hp for k in _ESSENTIAL_HPARAMS):
        return hp
    for value in hp.values():
        if isinstance(value, Mapping) and any(k in value for k in _ESSENTIAL_HPARAMS):
            return value
    return None


def config_from_hparams(d: Mapping[str, Any], name: Optional[str] = None) -> AutoencConfig:
    """Build an `AutoencConfig` from an official training-config dict (checkpoint `hyper_parameters`).

    Unknown keys are ignored; missing optional fields take the released defaults; missing essential
    fields or architecture settings our networks do not implement raise `ConfigError`.
    """
    conf = find_hparams_conf(d)
    if conf is None:
        raise ConfigError(
            f"not an official training config: none of {list(_ESSENTIAL_HPARAMS)} found "
            f"(top-level keys: {sorted(map(str, d))[:20] if isinstance(d, Mapping) else type(d).__name__})")
    missing = [k for k in _ESSENTIAL_HPARAMS if conf.get(k) is None]
    if missing:
        raise ConfigError(f"official training config lacks essential field(s) {missing}")
    _check_fixed(conf, _FIXED_HPARAMS, "")

    fields: dict = {}
    for official, ours in _HPARAM_FIELDS.items():
        value = conf.get(official)
        if value is not None:
            fields[ours] = value
    if conf.get("enc_attn") is not None and tuple(conf["enc_attn"]) != tuple(fields.get("attn_resolutions", (16,))):
        raise ConfigError("enc_attn different from attn is not supported")
    if "enc_channel_mult" not in fields:
        raise ConfigError("official training config lacks enc_channel_mult (needed for the semantic encoder)")
    for int_field in ("img_size", "net_ch", "num_res_blocks", "enc_num_res_blocks", "embed_channels", "z_dim",
                      "attn_heads"):
        if int_field in fields:
            fields[int_field] = _as_int(fields[int_field], int_field)
    fields["name"] = str(name or conf.get("name") or "custom")
    fields["latent"] = _latent_from_hparams(conf, fields.get("z_dim", 512))
    return AutoencConfig(**fields)


def _latent_from_hparams(conf: Mapping[str, Any], z_dim: int) -> Optional[LatentConfig]:
    nested = conf.get("latent")
    if isinstance(nested, Mapping):
        lat = dict(nested)
    else:
        lat = {ours: conf[alias] for ours, aliases in _FLAT_LATENT_ALIASES.items()
               for alias in aliases if conf.get(alias) is not None}
        for key in _FIXED_LATENT:
            if key.startswith("latent_") and key in conf:
                lat[key] = conf[key]
        net_type = str(conf.get("net_latent_net_type", "none")).split(".")[-1].lower()
        train_mode = str(conf.get("train_mode", "")).lower()
        if net_type in ("none", "") and "latent" not in train_mode:
            return None
        if net_type not in ("none", "", "skip"):
            raise ConfigError(f"latent net type {conf['net_latent_net_type']!r} is not supported (only skip MLP)")
    if "num_layers" not in lat:
        raise ConfigError("latent training config lacks the number of latent-net layers")
    num_layers = _as_int(lat["num_layers"], "latent num_layers")
    _check_fixed(lat, _FIXED_LATENT, "latent ")
    skip = lat.get("skip_layers")
    if skip is not None and tuple(skip) != tuple(range(1, num_layers)):
        raise ConfigError(f"latent skip_layers {list(skip)} unsupported: expected every layer 1..{num_layers - 1}")
    width = _as_int(lat.get("num_channels", z_dim), "latent num_channels")
    if width != z_dim:
        raise ConfigError(f"latent width {width} differs from style_ch {z_dim}")
    return LatentConfig(
        num_layers=num_layers,
        hidden=_as_int(lat.get("num_hid_channels", 2048), "latent num_hid_channels"),
        time_emb_dim=_as_int(lat.get("num_time_emb_channels", 64), "latent num_time_emb_channels"),
        z_dim=z_dim,
        condition_bias=float(lat.get("condition_bias", 1)),
    )


def _check_fixed(conf: Mapping[str, Any], fixed: Mapping[str, tuple], prefix: str) -> None:
    for key, allowed in fixed.items():
        if key in conf and conf[key] not in allowed:
            raise ConfigError(f"unsupported {prefix}setting {key}={conf[key]!r}; this toolkit implements {allowed[0]!r}")


def _as_int(value: Any, what: str) -> int:
    if isinstance(value, bool) or not isinstance(value, (int, float)) or int(value) != value:
        raise ConfigError(f"{what} must be an integer, got {value!r}")
    return int(value)


def hparams_from_config(conf: AutoencConfig) -> dict:
    """The official-style training-config dict for `conf` (what our checkpoints store as hyper_parameters)."""
    d = {
        "name": conf.name,
        "img_size": conf.img_size,
        "net_ch": conf.net_ch,
        "ch_mult": list(conf.ch_mult),
        "enc_channel_mult": list(conf.enc_channel_mult),
        "attn": list(conf.attn_resolutions),
        "enc_attn": None,
        "num_res_blocks": conf.num_res_blocks,
        "enc_num_res_blocks": conf.enc_num_res_blocks,
        "enc_pool": "adaptivenonzero",
        "embed_channels": conf.embed_channels,
        "style_ch": conf.z_dim,
        "dropout": conf.dropout,
        "attn_heads": conf.attn_heads,
        "resnet_two_cond": True,
        "resblock_updown": True,
        "T": 1000,
        "T_eval": 20,
        "beta_scheduler": "linear",
        "gen_type": "GenerativeType.ddim",
        "rescale_timesteps": False,
        "model_mean_type": "ModelMeanType.eps",
    }
    if conf.latent is not None:
        lat = conf.latent
        d["latent"] = {
            "num_channels": lat.z_dim,
            "num_hid_channels": lat.hidden,
            "num_layers": lat.num_layers,
            "skip_layers": list(range(1, lat.num_layers)),
            "num_time_emb_channels": lat.time_emb_dim,
            "activation": "Activation.silu",
            "use_norm": True,
            "condition_bias": lat.condition_bias,
            "dropout": 0,
            "last_act": "Activation.none",
            "num_time_layers": 2,
            "time_last_act": False,
            "latent_T_eval": 20,
            "latent_beta_scheduler": "const0.008",
            "latent_clip_sample": False,
            "latent_znormalize": True,
        }
    return d
