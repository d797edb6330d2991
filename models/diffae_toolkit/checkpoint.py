"""Official DiffAE checkpoint files (facts §11): loading EMA weights, and writing the same layout.

Loading never runs arbitrary pickles unless the caller opts in with `trust_pickle=True`; the released
PL checkpoints need that opt-in because their `callbacks` dict is keyed by a pickled PL class.
"""

from __future__ import annotations

import dataclasses
import inspect
import os
import pickle
from dataclasses import dataclass
from typing import Any, Dict, Mapping, Optional, Sequence, Tuple, Union

import torch
from torch import Tensor, nn

from .config import (AutoencConfig, ConfigError, LatentConfig, config_from_hparams, find_hparams_conf,
                     hparams_from_config, released_config)
from .nets import DiffAENet
from .pl_compat import fake_model_checkpoint_class, lightning_placeholders

PathLike = Union[str, "os.PathLike[str]"]

EMA_PREFIX = "ema_model."
MODEL_PREFIX = "model."
LIGHTNING_VERSION = "1.4.5"

CELEBA_ATTRIBUTES: Tuple[str, ...] = (
    "5_o_Clock_Shadow", "Arched_Eyebrows", "Attractive", "Bags_Under_Eyes", "Bald", "Bangs", "Big_Lips", "Big_Nose",
    "Black_Hair", "Blond_Hair", "Blurry", "Brown_Hair", "Bushy_Eyebrows", "Chubby", "Double_Chin", "Eyeglasses",
    "Goatee", "Gray_Hair", "Heavy_Makeup", "High_Cheekbones", "Male", "Mouth_Slightly_Open", "Mustache",
    "Narrow_Eyes", "No_Beard", "Oval_Face", "Pale_Skin", "Pointy_Nose", "Receding_Hairline", "Rosy_Cheeks",
    "Sideburns", "Smiling", "Straight_Hair", "Wavy_Hair", "Wearing_Earrings", "Wearing_Hat", "Wearing_Lipstick",
    "Wearing_Necklace", "Wearing_Necktie", "Young",
)

# Top-level key where our own classifier checkpoints keep attribute names (official files have none).
ATTRIBUTE_NAMES_KEY = "attribute_names"


class CheckpointError(ValueError):
    """The file is not a checkpoint of the expected kind, or its tensors do not fit the config."""


class UntrustedCheckpointError(CheckpointError):
    """The file needs full unpickling (arbitrary code) and the caller has not opted in."""


@dataclass
class LatentStats:
    """Per-dimension z statistics used to normalise z for the latent DPM and the classifier."""

    conds_mean: Tensor  # (Z,)
    conds_std: Tensor   # (Z,)


@dataclass
class LoadedAutoenc:
    net: DiffAENet                 # eval mode, EMA weights
    conf: AutoencConfig
    step: Optional[int]
    latent_stats: Optional[LatentStats]


@dataclass
class ClassifierWeights:
    weight: Tensor        # (A, Z), non-EMA rows (the official manipulation recipe)
    bias: Tensor          # (A,)
    conds_mean: Tensor    # (Z,)
    conds_std: Tensor     # (Z,)
    attributes: Tuple[str, ...]

    def index(self, name: str) -> int:
        try:
            return self.attributes.index(name)
        except ValueError:
            raise KeyError(f"unknown attribute {name!r}; known: {list(self.attributes)}") from None


# --- reading --------------------------------------------------------------------------------

def _load_kwargs() -> Dict[str, bool]:
    params = inspect.signature(torch.load).parameters
    return {"weights_only": "weights_only" in params, "mmap": "mmap" in params}


def read_checkpoint(path: PathLike, *, trust_pickle: bool = False, map_location: Any = "cpu") -> dict:
    """torch.load a checkpoint dict with the optimizer state dropped.

    Untrusted: the restricted `weights_only` unpickler; files that need more raise
    `UntrustedCheckpointError`. Trusted: full unpickling with pytorch-lightning placeholders.
    Where torch supports it the file is memory-mapped, so skipped entries (optimizer moments, `model.*`)
    are never read into memory; otherwise they are dropped right after loading."""
    path = os.fspath(path)
    if not os.path.isfile(path):
        raise FileNotFoundError(f"checkpoint not found: {path}")
    supports = _load_kwargs()
    if not trust_pickle:
        if not supports["weights_only"]:
            raise UntrustedCheckpointError(
                f"torch {torch.__version__} has no restricted (weights_only) loader; loading {path} would run "
                "arbitrary pickled code. Pass trust_pickle=True (CLI: --trust-checkpoint) only for files you trust.")
        try:
            ckpt = _torch_load(path, map_location, weights_only=True, mmap=supports["mmap"])
        except pickle.UnpicklingError as err:
            raise UntrustedCheckpointError(
                f"{path} cannot be read by torch's restricted (weights_only) unpickler: it pickles more than "
                "tensors and plain containers (official pytorch-lightning checkpoints pickle the ModelCheckpoint "
                "class; torch 1.13's restricted unpickler also refuses float scalars). Loading it fully can run "
                "arbitrary code: if you trust the file, pass trust_pickle=True (CLI: --trust-checkpoint). "
                f"Restricted unpickler said: {str(err).strip().splitlines()[-1] if str(err).strip() else err!r}"
            ) from err
    else:
        with lightning_placeholders():
            ckpt = _torch_load(path, map_location, weights_only=False if supports["weights_only"] else None,
                               mmap=supports["mmap"])
    if not isinstance(ckpt, dict):
        raise CheckpointError(f"{path}: expected a checkpoint dict, got {type(ckpt).__name__}")
    for heavy in ("optimizer_states", "lr_schedulers"):
        ckpt.pop(heavy, None)
    return ckpt


def _torch_load(path: str, map_location: Any, *, weights_only: Optional[bool], mmap: bool) -> Any:
    kwargs: Dict[str, Any] = {"map_location": map_location}
    if weights_only is not None:
        kwargs["weights_only"] = weights_only
    if mmap:
        try:
            return torch.load(path, mmap=True, **kwargs)
        except RuntimeError as err:
            if "mmap" not in str(err):   # legacy (non-zip) files cannot be memory-mapped
                raise
    return torch.load(path, **kwargs)


def _state_dict(ckpt: dict, path: PathLike) -> dict:
    sd = ckpt.get("state_dict")
    if not isinstance(sd, Mapping):
        raise CheckpointError(f"{os.fspath(path)}: no 'state_dict' entry (top-level keys: {sorted(map(str, ckpt))})")
    return sd


def _stats_from(sd: Mapping[str, Tensor], z_dim: Optional[int], path: PathLike) -> Optional[LatentStats]:
    if "conds_mean" not in sd and "conds_std" not in sd:
        return None
    try:
        mean, std = sd["conds_mean"], sd["conds_std"]
    except KeyError as err:
        raise CheckpointError(f"{os.fspath(path)}: has only one of conds_mean/conds_std") from err
    mean, std = mean.reshape(-1).float(), std.reshape(-1).float()
    if mean.shape != std.shape or (z_dim is not None and mean.numel() != z_dim):
        raise CheckpointError(f"{os.fspath(path)}: conds_mean {tuple(mean.shape)} / conds_std {tuple(std.shape)} "
                              f"do not match z width {z_dim}")
    return LatentStats(conds_mean=mean, conds_std=std)


def _resolve_config(ckpt: dict, config_name: Optional[str], path: PathLike) -> AutoencConfig:
    hp_conf = find_hparams_conf(ckpt.get("hyper_parameters"))
    from_hp = config_from_hparams(hp_conf) if hp_conf is not None else None
    if config_name is not None:
        named = released_config(config_name)
        if from_hp is not None and dataclasses.replace(from_hp, name=named.name, dropout=named.dropout,
                                                       latent=None) != named.base():
            raise ConfigError(f"{os.fspath(path)}: config_name {config_name!r} disagrees with the checkpoint's "
                              f"hyper_parameters ({from_hp})")
        return from_hp if from_hp is not None else named
    if from_hp is None:
        raise ConfigError(f"{os.fspath(path)} has no usable hyper_parameters; pass config_name= one of the released "
                          "config names (e.g. 'ffhq256_autoenc') to say which architecture it holds")
    return from_hp


def _infer_latent(ema: Mapping[str, Tensor], z_dim: int) -> Optional[LatentConfig]:
    """Latent-net architecture read off the tensor shapes (for files whose config lacks it)."""
    prefix = "latent_net.layers."
    linears = sorted(int(k[len(prefix):].split(".")[0]) for k in ema if k.startswith(prefix) and k.endswith(".linear.weight"))
    if not linears:
        return None
    return LatentConfig(
        num_layers=linears[-1] + 1,
        hidden=int(ema[f"{prefix}0.linear.weight"].shape[0]) if len(linears) > 1 else 2048,
        time_emb_dim=int(ema["latent_net.time_embed.0.weight"].shape[1]),
        z_dim=z_dim,
    )


def materialize(net: nn.Module, weights: Mapping[str, Tensor], *, what: str = "weights") -> nn.Module:
    """Put `weights` into `net` (typically built on the meta device) without copying float32 tensors.

    Keys and shapes must match `net.state_dict()` exactly. Tensors registered twice (the latent net's
    shared condition Linear) must carry equal values."""
    expected = net.state_dict(keep_vars=True)
    missing = [k for k in expected if k not in weights]
    unexpected = [k for k in weights if k not in expected]
    if missing or unexpected:
        raise CheckpointError(f"{what} do not fit the network: {len(missing)} missing (e.g. {missing[:5]}), "
                              f"{len(unexpected)} unexpected (e.g. {unexpected[:5]})")
    assigned: Dict[int, Tensor] = {}
    for key, target in expected.items():
        value = weights[key]
        if tuple(value.shape) != tuple(target.shape):
            raise CheckpointError(f"{what}: {key} has shape {tuple(value.shape)}, network expects {tuple(target.shape)}")
        module_path, _, attr = key.rpartition(".")
        module = net.get_submodule(module_path) if module_path else net
        previous = assigned.get(id(module._parameters.get(attr, module._buffers.get(attr))))
        if previous is not None:
            if not torch.equal(previous, value.to(previous.dtype)):
                raise CheckpointError(f"{what}: {key} is a shared tensor but differs from its other copy")
            continue
        value = value.detach().float() if value.is_floating_point() else value.detach()
        if attr in module._parameters:
            module._parameters[attr] = nn.Parameter(value, requires_grad=target.requires_grad)
            assigned[id(module._parameters[attr])] = value
        else:
            module._buffers[attr] = value
            assigned[id(value)] = value
    return net


def load_official(path: PathLike, *, trust_pickle: bool = False, config_name: Optional[str] = None,
                  map_location: Any = "cpu") -> LoadedAutoenc:
    """Load an official (or same-layout) autoencoder or latent checkpoint: EMA weights, eval mode."""
    ckpt = read_checkpoint(path, trust_pickle=trust_pickle, map_location=map_location)
    sd = _state_dict(ckpt, path)
    ema = {k[len(EMA_PREFIX):]: v for k, v in sd.items() if k.startswith(EMA_PREFIX)}
    if not ema:
        hint = " (this looks like a classifier checkpoint: use load_classifier)" if "classifier.weight" in sd else ""
        raise CheckpointError(f"{os.fspath(path)}: no '{EMA_PREFIX}*' weights in state_dict{hint}")
    conf = _resolve_config(ckpt, config_name, path)
    if conf.latent is None:
        latent = _infer_latent(ema, conf.z_dim)
        if latent is not None:
            conf = conf.with_latent(latent)
    stats = _stats_from(sd, conf.z_dim, path)
    step = ckpt.get("global_step")
    del sd, ckpt  # drop `model.*` and everything else before the weights are placed
    net = DiffAENet(conf, device=torch.device("meta"))
    materialize(net, ema, what=f"{os.fspath(path)} EMA weights for config {conf.name!r}")
    del ema
    return LoadedAutoenc(net=net.eval(), conf=conf, step=int(step) if step is not None else None, latent_stats=stats)


def load_classifier(path: PathLike, trust_pickle: bool = False, map_location: Any = "cpu") -> ClassifierWeights:
    """The attribute classifier (non-EMA Linear rows and its z statistics)."""
    ckpt = read_checkpoint(path, trust_pickle=trust_pickle, map_location=map_location)
    sd = _state_dict(ckpt, path)
    for key in ("classifier.weight", "classifier.bias"):
        if key not in sd:
            raise CheckpointError(f"{os.fspath(path)}: not a classifier checkpoint ({key} missing)")
    weight, bias = sd["classifier.weight"].float(), sd["classifier.bias"].float()
    if weight.dim() != 2 or bias.shape != (weight.shape[0],):
        raise CheckpointError(f"{os.fspath(path)}: classifier weight {tuple(weight.shape)} / bias {tuple(bias.shape)}")
    stats = _stats_from(sd, int(weight.shape[1]), path)
    if stats is None:
        raise CheckpointError(f"{os.fspath(path)}: classifier checkpoint lacks conds_mean/conds_std")
    names = ckpt.get(ATTRIBUTE_NAMES_KEY)
    if names is None:
        if weight.shape[0] != len(CELEBA_ATTRIBUTES):
            raise CheckpointError(f"{os.fspath(path)}: {weight.shape[0]} classifier rows but no attribute names "
                                  f"(only 40-row official files imply the CelebA names)")
        names = CELEBA_ATTRIBUTES
    names = tuple(str(n) for n in names)
    if len(names) != weight.shape[0]:
        raise CheckpointError(f"{os.fspath(path)}: {len(names)} attribute names for {weight.shape[0]} rows")
    return ClassifierWeights(weight=weight, bias=bias, conds_mean=stats.conds_mean, conds_std=stats.conds_std,
                             attributes=names)


# --- writing --------------------------------------------------------------------------------

def _adam_moments(params: Sequence[Tensor], step: int, generator: torch.Generator) -> dict:
    state = {}
    for i, p in enumerate(params):
        m = torch.randn(p.shape, generator=generator) * 1e-4
        state[i] = {"step": torch.tensor(float(max(step, 1))), "exp_avg": m, "exp_avg_sq": m * m}
    group = {"lr": 1e-4, "betas": (0.9, 0.999), "eps": 1e-8, "weight_decay": 0.0, "amsgrad": False,
             "params": list(range(len(params)))}
    return {"state": state, "param_groups": [group]}


def save_official_layout(path: PathLike, net: Optional[DiffAENet], conf: AutoencConfig, *, step: int = 0,
                         latent_stats: Optional[LatentStats] = None, kind: str = "autoenc",
                         classifier: Optional[ClassifierWeights] = None, with_lightning_pickles: bool = True,
                         optimizer_states: bool = True, model_state: Optional[Mapping[str, Tensor]] = None,
                         sample_size: int = 32, seed: int = 0) -> None:
    """Write a file laid out like the official PL 1.4 checkpoints.

    kind 'autoenc': x_T, model.*, ema_model.* (latent net left out); 'latent': also conds_mean/std
    (1,Z) and the latent net; 'cls': conds_mean/std, classifier.*, ema_classifier.* (net unused).
    `model_state` gives the raw training weights for `model.*` (default: a copy of the EMA weights).
    With `with_lightning_pickles` the `callbacks` dict is keyed by a class that unpickles only with
    pytorch-lightning or the placeholder hook, like the released files."""
    if kind not in ("autoenc", "latent", "cls"):
        raise ValueError(f"kind must be 'autoenc', 'latent' or 'cls', got {kind!r}")
    gen = torch.Generator().manual_seed(seed)
    sd: Dict[str, Tensor] = {}
    trained: Sequence[Tensor]
    if kind == "cls":
        if classifier is None:
            raise ValueError("kind='cls' needs classifier=ClassifierWeights(...)")
        z = classifier.weight.shape[1]
        sd["conds_mean"] = classifier.conds_mean.reshape(1, z).float().clone()
        sd["conds_std"] = classifier.conds_std.reshape(1, z).float().clone()
        for prefix in ("classifier", "ema_classifier"):
            sd[f"{prefix}.weight"] = classifier.weight.float().clone()
            sd[f"{prefix}.bias"] = classifier.bias.float().clone()
        trained = [sd["classifier.weight"], sd["classifier.bias"]]
        hp_conf = conf.base()
    else:
        if net is None:
            raise ValueError(f"kind={kind!r} needs the network")
        ema = {k: v.detach().cpu() for k, v in net.state_dict().items()}
        if kind == "latent":
            if conf.latent is None or net.latent_net is None:
                raise ValueError("kind='latent' needs a config and network with a latent net")
            if latent_stats is None:
                raise ValueError("kind='latent' needs latent_stats")
            hp_conf = conf
        else:
            ema = {k: v for k, v in ema.items() if not k.startswith("latent_net.")}
            hp_conf = conf.base()
        sd["x_T"] = torch.randn((sample_size, conf.in_channels, conf.img_size, conf.img_size), generator=gen)
        if kind == "latent":
            sd["conds_mean"] = latent_stats.conds_mean.reshape(1, -1).float().cpu().clone()
            sd["conds_std"] = latent_stats.conds_std.reshape(1, -1).float().cpu().clone()
        raw = model_state if model_state is not None else {k: v.clone() for k, v in ema.items()}
        if set(raw) != set(ema):
            raise ValueError("model_state keys differ from the network's state dict")
        for k in ema:
            sd[MODEL_PREFIX + k] = raw[k].detach().cpu()
        for k, v in ema.items():
            sd[EMA_PREFIX + k] = v
        trained = [sd[MODEL_PREFIX + k] for k in ema]

    ckpt: Dict[str, Any] = {
        "epoch": 0,
        "global_step": int(step),
        "pytorch-lightning_version": LIGHTNING_VERSION,
        "state_dict": sd,
    }
    callback_state = {"monitor": None, "best_model_score": None, "best_model_path": "", "current_score": None,
                      "dirpath": os.path.dirname(os.path.abspath(os.fspath(path)))}
    ckpt["optimizer_states"] = [_adam_moments(trained, step, gen)] if optimizer_states else []
    ckpt["lr_schedulers"] = []
    ckpt["native_amp_scaling_state"] = {"scale": 65536.0, "growth_factor": 2.0, "backoff_factor": 0.5,
                                        "growth_interval": 2000, "_growth_tracker": 0}
    ckpt["hparams_name"] = "conf"
    ckpt["hyper_parameters"] = hparams_from_config(hp_conf)
    if kind == "cls":
        ckpt[ATTRIBUTE_NAMES_KEY] = list(classifier.attributes)
    os.makedirs(os.path.dirname(os.path.abspath(os.fspath(path))), exist_ok=True)
    if with_lightning_pickles:
        with fake_model_checkpoint_class() as model_checkpoint:
            ckpt["callbacks"] = {model_checkpoint: callback_state}
            torch.save(ckpt, os.fspath(path))
    else:
        ckpt["callbacks"] = {"ModelCheckpoint": callback_state}
        torch.save(ckpt, os.fspath(path))
