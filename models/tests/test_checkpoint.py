"""Official-layout checkpoints: save -> load round trip, trust opt-in, PL placeholders, classifier."""

import os
import pickle
import sys

import pytest
import torch

from conftest import make_tiny_conf
from diffae_toolkit.checkpoint import (CELEBA_ATTRIBUTES, CheckpointError, UntrustedCheckpointError, load_classifier,
                                       load_official, materialize, read_checkpoint, save_official_layout)
from diffae_toolkit.config import ConfigError, RELEASED_CONFIGS
from diffae_toolkit.fixtures import make_random_checkpoints, random_net
from diffae_toolkit.nets import DiffAENet


@pytest.fixture(scope="module")
def files(tmp_path_factory):
    conf = make_tiny_conf()
    out = tmp_path_factory.mktemp("ckpt")
    paths = make_random_checkpoints(str(out), conf, seed=11, n_attributes=6)
    return conf, paths


def _no_lightning_modules():
    return not any(name == "pytorch_lightning" or name.startswith("pytorch_lightning.") for name in sys.modules)


def test_round_trip_latent_checkpoint(files):
    conf, paths = files
    loaded = load_official(paths["latent"], trust_pickle=True)
    expected = random_net(conf, seed=11)
    assert loaded.conf == conf
    assert loaded.step == 1000
    assert not loaded.net.training
    got, want = loaded.net.state_dict(), expected.state_dict()
    assert list(got) == list(want)
    for key in want:
        assert torch.equal(got[key], want[key]), key
    assert loaded.latent_stats.conds_mean.shape == (64,) and loaded.latent_stats.conds_std.shape == (64,)
    assert float(loaded.latent_stats.conds_std.min()) > 0 and float(loaded.latent_stats.conds_mean.abs().max()) > 0.1
    x = torch.rand(2, 3, 32, 32) * 2 - 1
    with torch.no_grad():
        assert torch.equal(loaded.net.encode(x), expected.encode(x))
    assert _no_lightning_modules(), "placeholder modules must not outlive the load"


def test_autoenc_file_has_no_latent_net(files):
    conf, paths = files
    loaded = load_official(paths["autoenc"], trust_pickle=True)
    assert loaded.conf == conf.base() and loaded.net.latent_net is None and loaded.latent_stats is None


def test_file_layout_is_official(files):
    _, paths = files
    ckpt = read_checkpoint(paths["latent"], trust_pickle=True)
    sd = ckpt["state_dict"]
    keys = list(sd)
    assert keys[:3] == ["x_T", "conds_mean", "conds_std"]
    assert sd["conds_mean"].shape == (1, 64)
    model_keys = [k[len("model."):] for k in keys if k.startswith("model.")]
    ema_keys = [k[len("ema_model."):] for k in keys if k.startswith("ema_model.")]
    assert model_keys == ema_keys and keys.index("ema_model." + ema_keys[0]) > keys.index("model." + model_keys[-1])
    assert ckpt["pytorch-lightning_version"] == "1.4.5" and ckpt["global_step"] == 1000
    assert "optimizer_states" not in ckpt, "read_checkpoint drops the optimizer state"
    callback_class = next(iter(ckpt["callbacks"]))
    assert callback_class.__module__ == "pytorch_lightning.callbacks.model_checkpoint"
    assert callback_class.__name__ == "ModelCheckpoint"


def test_optimizer_states_written(files):
    _, paths = files
    from diffae_toolkit.pl_compat import lightning_placeholders

    with lightning_placeholders():
        raw = torch.load(paths["autoenc"], map_location="cpu")
    moments = raw["optimizer_states"][0]["state"]
    assert len(moments) == len([k for k in raw["state_dict"] if k.startswith("model.")])
    assert "exp_avg_sq" in moments[0]


def test_lightning_placeholder_is_needed_and_untrusted_load_refused(files):
    _, paths = files
    with pytest.raises(ModuleNotFoundError, match="pytorch_lightning"):
        torch.load(paths["autoenc"], map_location="cpu")           # full unpickling without the hook
    with pytest.raises(pickle.UnpicklingError):
        torch.load(paths["autoenc"], map_location="cpu", weights_only=True)
    with pytest.raises(UntrustedCheckpointError, match="trust_pickle=True"):
        load_official(paths["autoenc"])
    with pytest.raises(UntrustedCheckpointError, match="--trust-checkpoint"):
        load_classifier(paths["cls"])
    assert load_official(paths["autoenc"], trust_pickle=True).net is not None
    assert _no_lightning_modules()


def test_without_hyper_parameters_needs_config_name(tmp_path):
    conf = RELEASED_CONFIGS["celeba64d2c_autoenc"]
    shapes = {k: v.shape for k, v in DiffAENet(conf, device=torch.device("meta")).state_dict().items()}
    # Every tensor is a view of one shared storage, so the full-size file stays small (~10 MB).
    storage = torch.zeros(max(torch.Size(s).numel() for s in shapes.values()))
    weights = {k: storage[: torch.Size(s).numel()].view(s) for k, s in shapes.items()}
    ckpt = {"state_dict": {**{"model." + k: v for k, v in weights.items()},
                           **{"ema_model." + k: v for k, v in weights.items()}}, "global_step": 7}
    path = tmp_path / "no_hparams.ckpt"
    torch.save(ckpt, path)
    with pytest.raises(ConfigError, match="config_name"):
        load_official(path)
    loaded = load_official(path, config_name="celeba64d2c_autoenc")
    assert loaded.conf == conf and loaded.step == 7
    with pytest.raises(CheckpointError, match="do not fit"):
        load_official(path, config_name="ffhq128_autoenc_130M")


def test_config_name_must_agree_with_hyper_parameters(files):
    _, paths = files
    with pytest.raises(ConfigError, match="disagrees"):
        load_official(paths["autoenc"], trust_pickle=True, config_name="ffhq256_autoenc")


def test_classifier_load(files):
    conf, paths = files
    cls = load_classifier(paths["cls"], trust_pickle=True)
    assert cls.weight.shape == (6, 64) and cls.bias.shape == (6,)
    assert cls.attributes == CELEBA_ATTRIBUTES[:6]
    assert cls.index("Bald") == 4
    latent = load_official(paths["latent"], trust_pickle=True)
    assert torch.equal(cls.conds_mean, latent.latent_stats.conds_mean)
    with pytest.raises(CheckpointError, match="load_classifier"):
        load_official(paths["cls"], trust_pickle=True)
    with pytest.raises(CheckpointError, match="not a classifier"):
        load_classifier(paths["autoenc"], trust_pickle=True)


def test_official_40_row_classifier_gets_celeba_names(tmp_path):
    sd = {"conds_mean": torch.zeros(1, 512), "conds_std": torch.ones(1, 512),
          "classifier.weight": torch.randn(40, 512), "classifier.bias": torch.zeros(40),
          "ema_classifier.weight": torch.randn(40, 512), "ema_classifier.bias": torch.zeros(40)}
    path = tmp_path / "cls.ckpt"
    torch.save({"state_dict": sd, "global_step": 9375}, path)
    cls = load_classifier(path)   # plain tensors only: loads without trust
    assert cls.attributes == CELEBA_ATTRIBUTES and cls.index("Wavy_Hair") == 33
    assert torch.equal(cls.weight, sd["classifier.weight"])


def test_materialize_rejects_diverging_shared_tensor(files):
    conf, _ = files
    good = random_net(conf, seed=1).state_dict()
    bad = dict(good)
    bad["latent_net.layers.0.cond_layers.1.weight"] = good["latent_net.layers.0.cond_layers.1.weight"] + 1
    with pytest.raises(CheckpointError, match="shared"):
        materialize(DiffAENet(conf, device=torch.device("meta")), bad)
    net = materialize(DiffAENet(conf, device=torch.device("meta")), good)
    assert net.latent_net.layers[0].linear_emb.weight.device.type == "cpu"
    assert net.latent_net.layers[0].cond_layers[1] is net.latent_net.layers[0].linear_emb


def test_materialize_reports_shape_mismatch(files):
    conf, _ = files
    sd = random_net(conf.base(), seed=1).state_dict()
    sd["out.2.bias"] = torch.zeros(4)
    with pytest.raises(CheckpointError, match="out.2.bias"):
        materialize(DiffAENet(conf.base(), device=torch.device("meta")), sd)


def test_save_without_lightning_pickles(tmp_path, files):
    conf, _ = files
    net = random_net(conf.base(), seed=2)
    path = tmp_path / "plain.ckpt"
    save_official_layout(path, net, conf, kind="autoenc", with_lightning_pickles=False, optimizer_states=False,
                         sample_size=1)
    raw = torch.load(path, map_location="cpu")          # no placeholder needed
    assert raw["optimizer_states"] == [] and list(raw["callbacks"]) == ["ModelCheckpoint"]
    assert os.path.getsize(path) > 0


def test_missing_file_is_clear(tmp_path):
    with pytest.raises(FileNotFoundError, match="checkpoint not found"):
        load_official(tmp_path / "nope.ckpt")
