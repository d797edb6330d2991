"""The networks export to ONNX (opset 17) with a dynamic batch axis and per-sample t.

Numerics are checked with onnxruntime-node when node and the package are available (skipped otherwise)."""

import io
import json
import os
import shutil
import subprocess

import numpy as np
import onnx
import pytest
import torch

from diffae_toolkit.config import AutoencConfig, LatentConfig
from diffae_toolkit.fixtures import random_net

HERE = os.path.dirname(os.path.abspath(__file__))
REPO = os.path.dirname(os.path.dirname(HERE))


class _UNet(torch.nn.Module):
    def __init__(self, net):
        super().__init__()
        self.net = net

    def forward(self, x, t, z):
        return self.net(x, t, z)


def _export(module, args, names, out_name):
    buf = io.BytesIO()
    axes = {n: {0: "N"} for n in names + [out_name]}
    torch.onnx.export(module, args, buf, opset_version=17, input_names=names, output_names=[out_name],
                      dynamic_axes=axes)
    model = onnx.load_from_string(buf.getvalue())
    onnx.checker.check_model(model)
    for value in list(model.graph.input) + list(model.graph.output):
        assert value.type.tensor_type.shape.dim[0].dim_param == "N", f"{value.name} batch axis is not dynamic"
    return buf.getvalue()


def _ort_available():
    if shutil.which("node") is None:
        return False
    return subprocess.run(["node", "-e", "require('onnxruntime-node')"], cwd=REPO,
                          capture_output=True).returncode == 0


def _ort_run(tmp_path, jobs):
    """jobs: [(model_bytes, {input name: tensor}, output name)] -> list of output tensors (one node run)."""
    spec = []
    for i, (model_bytes, inputs, out_name) in enumerate(jobs):
        model_path = tmp_path / f"m{i}.onnx"
        model_path.write_bytes(model_bytes)
        job = {"model": str(model_path), "inputs": {}, "outputs": {out_name: str(tmp_path / f"out{i}.bin")}}
        for name, tensor in inputs.items():
            path = tmp_path / f"in{i}_{name}.bin"
            path.write_bytes(tensor.numpy().astype("<f4").tobytes())
            job["inputs"][name] = {"file": str(path), "shape": list(tensor.shape)}
        spec.append(job)
    (tmp_path / "spec.json").write_text(json.dumps(spec))
    subprocess.run(["node", os.path.join(HERE, "ort_run.cjs"), str(tmp_path / "spec.json")], cwd=REPO, check=True,
                   timeout=60)
    outputs = []
    for i in range(len(jobs)):
        shape = json.loads((tmp_path / f"out{i}.bin.shape.json").read_text())
        outputs.append(torch.from_numpy(np.fromfile(tmp_path / f"out{i}.bin", dtype="<f4").reshape(shape)))
    return outputs


# Smaller than tiny_conf (export time grows with the block count) but with every op kind:
# attention, down/up blocks, skip concatenation, a 48-channel GroupNorm, the latent MLP.
ONNX_CONF = AutoencConfig(
    name="onnx-test", img_size=16, net_ch=16, ch_mult=(1, 2), enc_channel_mult=(1, 2), attn_resolutions=(8,),
    num_res_blocks=1, enc_num_res_blocks=1, z_dim=32, embed_channels=32,
    latent=LatentConfig(num_layers=2, hidden=48, time_emb_dim=16, z_dim=32))


def test_export_dynamic_batch_and_per_sample_t(tmp_path):
    net = random_net(ONNX_CONF, seed=6)
    # torch.onnx.export restores the wrapper's train/eval mode afterwards (recursively): keep it in eval.
    example = (torch.rand(2, 3, 16, 16) * 2 - 1, torch.tensor([10.0, 900.0]), torch.randn(2, 32))
    unet = _export(_UNet(net).eval(), example, ["x", "t", "z"], "eps")
    encoder = _export(net.encoder, (example[0],), ["x"], "z")
    latent = _export(net.latent_net, (example[2], example[1]), ["x", "t"], "eps")
    if not _ort_available():
        pytest.skip("onnxruntime-node not available: export checked structurally only")

    # A batch size different from the export example, with a different t per sample.
    x, t, z = torch.rand(3, 3, 16, 16) * 2 - 1, torch.tensor([0.0, 250.0, 999.0]), torch.randn(3, 32)
    with torch.no_grad():
        want_eps, want_z, want_lat = net(x, t, z), net.encoder(x), net.latent_net(z, t)
    got_eps, got_z, got_lat = _ort_run(tmp_path, [
        (unet, {"x": x, "t": t, "z": z}, "eps"), (encoder, {"x": x}, "z"), (latent, {"x": z, "t": t}, "eps")])
    assert torch.allclose(got_eps, want_eps, atol=1e-4), float((got_eps - want_eps).abs().max())
    assert torch.allclose(got_z, want_z, atol=1e-4), float((got_z - want_z).abs().max())
    assert torch.allclose(got_lat, want_lat, atol=1e-4), float((got_lat - want_lat).abs().max())
