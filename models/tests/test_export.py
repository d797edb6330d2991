"""Exporter: official-layout checkpoints -> bundle (manifest, graphs, fp16 storage, side files, CLI)."""

import dataclasses
import hashlib
import json
import os
import subprocess
import sys

import numpy as np
import onnx
import pytest
import torch
from onnx import TensorProto, numpy_helper

from conftest import MODELS_DIR, REPO, TSX, ort_run
from diffae_toolkit.bundle import BundleError
from diffae_toolkit.checkpoint import ClassifierWeights, UntrustedCheckpointError, load_official, save_official_layout
from diffae_toolkit.config import AutoencConfig, LatentConfig
from diffae_toolkit.export import ExportError, batch_axis_names, export_bundle, fp16_rounded_copy
from diffae_toolkit.fixtures import make_random_checkpoints
from diffae_toolkit.macs import count_macs
from diffae_toolkit.nets.lite import LiteEncoder, LiteEncoderError, load_lite, save_lite
from diffae_toolkit.onnx_weights import WEIGHT_OPS, convert_weights_to_fp16

MIN_ELEMENTS = 1024

CONF = AutoencConfig(
    name="export_test", img_size=16, net_ch=16, ch_mult=(1, 2), enc_channel_mult=(1, 2), attn_resolutions=(8,),
    num_res_blocks=1, enc_num_res_blocks=1, embed_channels=32, z_dim=24, dropout=0.0,
    latent=LatentConfig(num_layers=3, hidden=48, time_emb_dim=16, z_dim=24))
ATTRIBUTES = ["Bangs", "Smiling", "Young"]


def _sha256(path):
    with open(path, "rb") as f:
        return hashlib.sha256(f.read()).hexdigest()


def _classifier_with_distinct_ema(ckpt_dir):
    """A classifier file whose EMA rows differ from the non-EMA ones (the fixtures write equal copies)."""
    gen = torch.Generator().manual_seed(7)
    weights = ClassifierWeights(weight=torch.randn((len(ATTRIBUTES), CONF.z_dim), generator=gen),
                                bias=torch.randn(len(ATTRIBUTES), generator=gen),
                                conds_mean=torch.randn(CONF.z_dim, generator=gen),
                                conds_std=torch.rand(CONF.z_dim, generator=gen) + 0.5, attributes=tuple(ATTRIBUTES))
    path = os.path.join(ckpt_dir, "cls_distinct.ckpt")
    save_official_layout(path, None, CONF, kind="cls", classifier=weights, with_lightning_pickles=False)
    ckpt = torch.load(path)
    ckpt["state_dict"]["ema_classifier.weight"] = weights.weight + 1.0
    ckpt["state_dict"]["ema_classifier.bias"] = weights.bias + 1.0
    torch.save(ckpt, path)
    return path, weights


@pytest.fixture(scope="module")
def exported(tmp_path_factory):
    root = tmp_path_factory.mktemp("export")
    ckpts = make_random_checkpoints(str(root / "ckpt"), CONF, seed=3, with_latent=True, with_classifier=False)
    cls_path, cls_weights = _classifier_with_distinct_ema(str(root / "ckpt"))
    torch.manual_seed(5)
    lite = LiteEncoder(CONF.img_size, CONF.z_dim, widths=(16, 32))
    lite_path = str(root / "ckpt" / "lite.pt")
    save_lite(lite_path, lite)
    common = dict(latent=ckpts["latent"], classifier=cls_path, lite_encoder=lite_path, bundle_id="export-test",
                  version="1.2.3", description="test bundle", trust_pickle=True, source_kind="random")
    m32 = export_bundle(str(root / "b32"), preview=(10, 10), **common)
    m16 = export_bundle(str(root / "b16"), fp16=True, defaults={"renderSteps": 50}, **common)
    return dict(root=root, ckpts=ckpts, cls_path=cls_path, cls=cls_weights, lite_path=lite_path,
                b32=str(root / "b32"), b16=str(root / "b16"), m32=m32, m16=m16)


def test_manifest_fields_and_file_records(exported):
    m, bundle_dir = exported["m32"], exported["b32"]
    with open(os.path.join(bundle_dir, "manifest.json"), encoding="utf-8") as f:
        assert json.load(f) == m
    assert m["schemaVersion"] == 1 and m["id"] == "export-test" and m["version"] == "1.2.3"
    assert m["description"] == "test bundle"
    assert (m["imageSize"], m["zDim"]) == (16, 24)
    assert m["source"] == {"kind": "random", "config": "export_test", "step": 1000}
    assert m["diffusion"] == {"image": {"schedule": "linear", "T": 1000, "clip": True},
                              "latent": {"schedule": "const0.008", "T": 1000, "clip": False}}
    assert m["defaults"] == {"inversionSteps": 250, "renderSteps": 20, "manipulateRenderSteps": 100,
                             "latentSteps": 200}
    assert m["preview"] == {"inversionSteps": 10, "renderSteps": 10}
    assert m["attributes"] == ATTRIBUTES
    assert m["weightsDtype"] == "float32"
    expected = {"encoder": "encoder.onnx", "unet": "unet.onnx", "latent": "latent.onnx",
                "liteEncoder": "lite_encoder.onnx", "classifier": "classifier.json",
                "latentStats": "latent_stats.json"}
    assert {k: v["path"] for k, v in m["files"].items()} == expected
    for record in m["files"].values():
        full = os.path.join(bundle_dir, record["path"])
        assert record["sha256"] == _sha256(full)
        assert record["bytes"] == os.path.getsize(full)
    assert sorted(os.listdir(bundle_dir)) == sorted(list(expected.values()) + ["manifest.json"])
    assert not [n for n in os.listdir(exported["root"]) if n.startswith(".")], "temporary folders left behind"


def test_fp16_manifest_differs_only_where_asked(exported):
    m = exported["m16"]
    assert m["weightsDtype"] == "float16"
    assert "preview" not in m
    assert m["defaults"]["renderSteps"] == 50 and m["defaults"]["inversionSteps"] == 250


def test_manifest_passes_the_typescript_schema(exported):
    if not os.path.exists(TSX):
        pytest.skip("tsx is not installed in node_modules")
    script = ("import { readFileSync } from 'node:fs';"
              "import { parseManifest } from './packages/shared/src/bundle/manifest.ts';"
              "for (const p of process.argv.slice(1)) parseManifest(JSON.parse(readFileSync(p, 'utf8')));"
              "console.log('ok');")
    paths = [os.path.join(exported[b], "manifest.json") for b in ("b32", "b16")]
    done = subprocess.run([TSX, "-e", script, *paths], cwd=REPO, capture_output=True, text=True, timeout=60)
    assert done.returncode == 0, done.stderr
    assert done.stdout.strip().endswith("ok")


GRAPH_IO = {
    "encoder.onnx": (["x"], ["z"]),
    "unet.onnx": (["x", "t", "z"], ["eps"]),
    "latent.onnx": (["x", "t"], ["eps"]),
    "lite_encoder.onnx": (["x"], ["z"]),
}


@pytest.mark.parametrize("name", sorted(GRAPH_IO))
def test_graph_io_names_opset_and_dynamic_batch(exported, name):
    model = onnx.load(os.path.join(exported["b32"], name))
    inputs, outputs = GRAPH_IO[name]
    assert [i.name for i in model.graph.input] == inputs
    assert [o.name for o in model.graph.output] == outputs
    assert set(batch_axis_names(model).values()) == {"N"}
    assert max(o.version for o in model.opset_import if o.domain in ("", "ai.onnx")) == 17
    for value in list(model.graph.input) + list(model.graph.output):
        assert value.type.tensor_type.elem_type == TensorProto.FLOAT
        dims = value.type.tensor_type.shape.dim
        assert all(d.HasField("dim_value") for d in dims[1:]), f"{value.name}: only the batch axis may be symbolic"
    if name == "unet.onnx":
        t = model.graph.input[1].type.tensor_type.shape.dim
        assert len(t) == 1, "t must be a per-sample vector [N]"


def _consumers(model):
    users = {}
    for node in model.graph.node:
        for name in node.input:
            users.setdefault(name, []).append(node)
    return users


@pytest.mark.parametrize("name", ["encoder.onnx", "unet.onnx", "latent.onnx"])
def test_fp16_storage_structure(exported, name):
    m32 = onnx.load(os.path.join(exported["b32"], name))
    m16 = onnx.load(os.path.join(exported["b16"], name))
    inits16 = {i.name: i for i in m16.graph.initializer}
    halves = [n for n, i in inits16.items() if i.data_type == TensorProto.FLOAT16]
    assert halves, "no initializer was stored as float16"
    users = _consumers(m16)
    for n in halves:
        assert int(np.prod(inits16[n].dims)) >= MIN_ELEMENTS
        (cast,) = users[n]
        assert cast.op_type == "Cast" and cast.attribute[0].i == TensorProto.FLOAT
        assert all(u.op_type in WEIGHT_OPS for u in users[cast.output[0]])
    # Large float32 initializers left behind feed non-weight operators (e.g. the sinusoidal embedding).
    for n, init in inits16.items():
        if init.data_type == TensorProto.FLOAT and int(np.prod(init.dims)) >= MIN_ELEMENTS:
            assert any(u.op_type not in WEIGHT_OPS for u in users.get(n, [])), n
    # Stored weights are exactly the float32 ones rounded to float16.
    inits32 = {i.name: numpy_helper.to_array(i) for i in m32.graph.initializer}
    for n in halves:
        np.testing.assert_array_equal(numpy_helper.to_array(inits16[n]), inits32[n].astype(np.float16))
    # The file shrinks by 2 bytes per converted value (less ~100 B per Cast node), and the converted
    # weights are most of the parameters (this test net has many tiny norm/bias tensors; real ones more so).
    size32 = os.path.getsize(os.path.join(exported["b32"], name))
    size16 = os.path.getsize(os.path.join(exported["b16"], name))
    halved = sum(inits32[n].size for n in halves)
    total = sum(v.size for v in inits32.values() if v.dtype == np.float32)
    assert 2 * halved - 256 * len(halves) < size32 - size16 <= 2 * halved
    assert halved > 0.8 * total, (halved, total)


def test_fp16_converter_leaves_small_and_non_weight_initializers():
    rng = np.random.default_rng(0)
    x = onnx.helper.make_tensor_value_info("x", TensorProto.FLOAT, ["N", 64, 64])
    y = onnx.helper.make_tensor_value_info("y", TensorProto.FLOAT, ["N", 64, 32])
    y_small = onnx.helper.make_tensor_value_info("y_small", TensorProto.FLOAT, ["N", 64, 8])

    def init(name, *shape):
        return numpy_helper.from_array(rng.standard_normal(shape).astype(np.float32), name)

    nodes = [onnx.helper.make_node("MatMul", ["x", "w"], ["h"]),
             onnx.helper.make_node("MatMul", ["x", "small"], ["y_small"]),  # below the threshold
             onnx.helper.make_node("Mul", ["h", "freqs"], ["h2"]),          # a large non-weight operand
             onnx.helper.make_node("MatMul", ["x", "shared"], ["h3"]),
             onnx.helper.make_node("Add", ["h3", "shared"], ["h4"]),        # shared with a non-weight op
             onnx.helper.make_node("Add", ["h2", "h4"], ["y"])]
    inits = [init("w", 64, 32), init("small", 64, 8), init("freqs", 64, 32), init("shared", 64, 32)]
    graph = onnx.helper.make_graph(nodes, "g", [x], [y, y_small], inits)
    model = onnx.helper.make_model(graph, opset_imports=[onnx.helper.make_opsetid("", 17)])
    report = convert_weights_to_fp16(model, min_elements=MIN_ELEMENTS)
    assert report.converted == ("w",)
    assert (report.float32_bytes_before, report.float16_bytes_after) == (64 * 32 * 4, 64 * 32 * 2)
    onnx.checker.check_model(model)
    dtypes = {i.name: i.data_type for i in model.graph.initializer}
    assert dtypes == {"w": TensorProto.FLOAT16, "small": TensorProto.FLOAT, "freqs": TensorProto.FLOAT,
                      "shared": TensorProto.FLOAT}
    casts = [n for n in model.graph.node if n.op_type == "Cast"]
    assert [n.input[0] for n in casts] == ["w"]
    assert model.graph.node[len(casts)].input[1] == casts[0].output[0]


# --- numerics through onnxruntime-node -----------------------------------------------------------

def _max_abs(a, b):
    return float(np.max(np.abs(np.asarray(a, np.float64) - np.asarray(b, np.float64))))


@pytest.fixture(scope="module")
def ort_errors(exported):
    """Max-abs errors of onnxruntime-node vs torch, at batch 3 (the graphs were traced at batch 2)."""
    net = load_official(exported["ckpts"]["latent"], trust_pickle=True).net
    lite, _ = load_lite(exported["lite_path"])
    gen = torch.Generator().manual_seed(11)
    n = 3
    x = torch.rand((n, 3, 16, 16), generator=gen) * 2 - 1
    t = torch.tensor([0.0, 999.0, 437.0])
    z = torch.randn((n, CONF.z_dim), generator=gen)
    zn = torch.randn((n, CONF.z_dim), generator=gen)
    calls = {
        "encoder": ("encoder.onnx", lambda m: m.encoder(x), {"x": x}, "z"),
        "unet": ("unet.onnx", lambda m: m(x, t, z), {"x": x, "t": t, "z": z}, "eps"),
        "latent": ("latent.onnx", lambda m: m.latent_net(zn, t), {"x": zn, "t": t}, "eps"),
        "liteEncoder": ("lite_encoder.onnx", None, {"x": x}, "z"),
    }
    runs, keys = [], []
    for bundle in ("b32", "b16"):
        for key, (file, _, feeds, out) in calls.items():
            runs.append((os.path.join(exported[bundle], file), {k: v.numpy() for k, v in feeds.items()}, [out]))
            keys.append((bundle, key))
    results = ort_run(str(exported["root"] / "ort"), runs)
    rounded_net, rounded_lite = fp16_rounded_copy(net, MIN_ELEMENTS), fp16_rounded_copy(lite, MIN_ELEMENTS)
    errors = {}
    with torch.no_grad():
        for (bundle, key), result in zip(keys, results):
            file, fn, feeds, out = calls[key]
            if key == "liteEncoder":
                ref = (rounded_lite if bundle == "b16" else lite)(x)
            else:
                ref = fn(rounded_net if bundle == "b16" else net)
            got = result[out]
            assert got.shape == tuple(ref.shape)
            errors[(bundle, key)] = {"max_abs": _max_abs(got, ref.numpy()), "ref_scale": float(ref.abs().max())}
            if bundle == "b16":
                errors[(bundle, key)]["vs_unrounded_fp32"] = _max_abs(
                    got, (lite(x) if key == "liteEncoder" else fn(net)).numpy())
    print("\nonnxruntime-node vs torch, max abs error:")
    for (bundle, key), e in errors.items():
        print(f"  {bundle} {key:12s} {e}")
    return errors


@pytest.mark.parametrize("key", ["encoder", "unet", "latent", "liteEncoder"])
def test_fp32_graphs_match_torch(ort_errors, key):
    e = ort_errors[("b32", key)]
    assert e["ref_scale"] > 0.1, "degenerate reference output"
    assert e["max_abs"] < 1e-4, e


@pytest.mark.parametrize("key", ["encoder", "unet", "latent", "liteEncoder"])
def test_fp16_storage_matches_torch_with_rounded_weights(ort_errors, key):
    e = ort_errors[("b16", key)]
    assert e["max_abs"] < 1e-4, e
    # and the rounding is really there: the unrounded fp32 net differs by far more
    assert e["vs_unrounded_fp32"] > 10 * e["max_abs"], e


# --- side files ----------------------------------------------------------------------------------

def test_classifier_json_holds_the_non_ema_rows_and_classifier_stats(exported):
    with open(os.path.join(exported["b32"], "classifier.json"), encoding="utf-8") as f:
        doc = json.load(f)
    expected = exported["cls"]
    assert doc["attributes"] == ATTRIBUTES
    np.testing.assert_array_equal(np.array(doc["weight"], np.float32), expected.weight.numpy())
    np.testing.assert_array_equal(np.array(doc["bias"], np.float32), expected.bias.numpy())
    np.testing.assert_array_equal(np.array(doc["zMean"], np.float32), expected.conds_mean.numpy())
    np.testing.assert_array_equal(np.array(doc["zStd"], np.float32), expected.conds_std.numpy())
    assert np.array(doc["weight"]).shape == (3, CONF.z_dim)


def test_latent_stats_json_comes_from_the_latent_checkpoint(exported):
    stats = load_official(exported["ckpts"]["latent"], trust_pickle=True).latent_stats
    with open(os.path.join(exported["b32"], "latent_stats.json"), encoding="utf-8") as f:
        doc = json.load(f)
    assert set(doc) == {"zMean", "zStd"}
    np.testing.assert_array_equal(np.array(doc["zMean"], np.float32), stats.conds_mean.numpy())
    np.testing.assert_array_equal(np.array(doc["zStd"], np.float32), stats.conds_std.numpy())
    # the classifier file carries its own (different) statistics
    assert not np.array_equal(np.array(doc["zMean"], np.float32), exported["cls"].conds_mean.numpy())


# --- refusals -----------------------------------------------------------------------------------

def test_refuses_to_overwrite_a_non_empty_folder(exported, tmp_path):
    target = tmp_path / "taken"
    target.mkdir()
    (target / "keep.txt").write_text("mine")
    with pytest.raises(BundleError, match="not empty"):
        export_bundle(str(target), latent=exported["ckpts"]["latent"], bundle_id="x", version="1.0.0",
                      trust_pickle=True)
    assert os.listdir(target) == ["keep.txt"]


def test_overwrite_replaces_the_folder_and_autoenc_only_has_no_latent_files(exported, tmp_path):
    target = tmp_path / "replaced"
    target.mkdir()
    (target / "old.txt").write_text("old")
    m = export_bundle(str(target), autoenc=exported["ckpts"]["autoenc"], bundle_id="x", version="1.0.0",
                      trust_pickle=True, overwrite=True)
    assert sorted(os.listdir(target)) == ["encoder.onnx", "manifest.json", "unet.onnx"]
    assert set(m["files"]) == {"encoder", "unet"} and "latent" not in m["diffusion"]
    assert "latentSteps" not in m["defaults"] and m["attributes"] == []
    assert m["source"]["kind"] == "trained"
    assert [n for n in os.listdir(tmp_path) if n.startswith(".")] == []


def test_untrusted_pickle_is_refused_without_the_flag(exported, tmp_path):
    with pytest.raises(UntrustedCheckpointError, match="trust"):
        export_bundle(str(tmp_path / "b"), latent=exported["ckpts"]["latent"], bundle_id="x", version="1.0.0")
    assert not (tmp_path / "b").exists()


def test_invalid_combinations_and_identity(exported, tmp_path):
    with pytest.raises(ExportError, match="classifier alone"):
        export_bundle(str(tmp_path / "a"), classifier=exported["cls_path"], bundle_id="x", version="1.0.0",
                      trust_pickle=True)
    with pytest.raises(BundleError, match="bundle id"):
        export_bundle(str(tmp_path / "b"), autoenc=exported["ckpts"]["autoenc"], bundle_id="Bad Id",
                      version="1.0.0")
    with pytest.raises(BundleError, match="preview.renderSteps"):
        export_bundle(str(tmp_path / "c"), autoenc=exported["ckpts"]["autoenc"], bundle_id="x", version="1.0.0",
                      preview=(10, 37))
    with pytest.raises(BundleError, match="defaults.inversionSteps"):
        export_bundle(str(tmp_path / "d"), autoenc=exported["ckpts"]["autoenc"], bundle_id="x", version="1.0.0",
                      trust_pickle=True, defaults={"inversionSteps": 1})


def test_latent_checkpoint_of_another_autoencoder_is_refused(exported, tmp_path):
    other = make_random_checkpoints(str(tmp_path / "other"), CONF, seed=4, with_latent=True, with_classifier=False)
    with pytest.raises(ExportError, match="differ"):
        export_bundle(str(tmp_path / "b"), autoenc=exported["ckpts"]["autoenc"], latent=other["latent"],
                      bundle_id="x", version="1.0.0", trust_pickle=True)


# --- CLI ----------------------------------------------------------------------------------------

def _cli(*args):
    env = dict(os.environ, PYTHONPATH=MODELS_DIR)
    return subprocess.run([sys.executable, "-m", "diffae_toolkit", *args], cwd=REPO, env=env, capture_output=True,
                          text=True, timeout=300)


def test_cli_explains_untrusted_checkpoints_and_missing_files(exported, tmp_path):
    done = _cli("export", "--latent", exported["ckpts"]["latent"], "--out", str(tmp_path / "b"), "--id", "x",
                "--version", "1.0.0")
    assert done.returncode == 2
    assert "--trust-checkpoint" in done.stderr and "Traceback" not in done.stderr
    done = _cli("export", "--autoenc", str(tmp_path / "missing.ckpt"), "--out", str(tmp_path / "b"), "--id", "x",
                "--version", "1.0.0")
    assert done.returncode == 2 and "file not found" in done.stderr


def test_cli_exports_a_bundle(exported, tmp_path):
    out = tmp_path / "cli"
    done = _cli("export", "--autoenc", exported["ckpts"]["autoenc"], "--classifier", exported["cls_path"],
                "--out", str(out), "--id", "cli-test", "--version", "0.1.0", "--trust-checkpoint",
                "--preview-steps", "5,5", "--fp16")
    assert done.returncode == 0, done.stderr
    with open(out / "manifest.json", encoding="utf-8") as f:
        m = json.load(f)
    assert m["id"] == "cli-test" and m["weightsDtype"] == "float16" and m["preview"] == {"inversionSteps": 5,
                                                                                          "renderSteps": 5}
    assert m["attributes"] == ATTRIBUTES


# --- lite encoder --------------------------------------------------------------------------------

def test_lite_encoder_save_load_round_trip(tmp_path):
    torch.manual_seed(0)
    net = LiteEncoder(32, 40, widths=(8, 16, 24), convs_per_stage=2).eval()
    path = tmp_path / "lite.pt"
    save_lite(path, net)
    loaded, config = load_lite(path)
    assert config == {"img_size": 32, "z_dim": 40, "widths": [8, 16, 24], "in_channels": 3, "convs_per_stage": 2}
    x = torch.rand(2, 3, 32, 32) * 2 - 1
    with torch.no_grad():
        assert torch.equal(loaded(x), net(x))
    assert loaded(x).shape == (2, 40)
    with pytest.raises(LiteEncoderError, match="not divisible"):
        LiteEncoder(20, 8, widths=(8, 8, 8))
    (tmp_path / "bad.pt").write_bytes(b"not a torch file")
    with pytest.raises(LiteEncoderError):
        load_lite(tmp_path / "bad.pt")


def test_lite_encoder_is_far_cheaper_than_the_semantic_encoder():
    from diffae_toolkit.facesynth.presets import facesynth_config
    from diffae_toolkit.nets import DiffAENet

    conf = facesynth_config("small")
    x = torch.zeros(1, 3, 64, 64)
    semantic = DiffAENet(dataclasses.replace(conf, latent=None)).encoder.eval()
    lite = LiteEncoder(64, conf.z_dim).eval()
    sem_macs = count_macs(semantic, lambda: semantic(x))
    lite_macs = count_macs(lite, lambda: lite(x))
    print(f"\nMACs at 64 px: semantic encoder {sem_macs:,}, lite encoder {lite_macs:,}")
    assert lite_macs * 5 < sem_macs
