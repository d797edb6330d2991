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


def _ort_run(tmp_path, model_bytes, inputs, out_name):
    model_path = tmp_path / "m.onnx"
    model_path.write_bytes(model_bytes)
    spec = {"model": str(model_path), "inputs": {}, "outputs": {out_name: str(tmp_path / "out.bin")}}
    for name, tensor in inputs.items():
        path = tmp_path / f"{name}.bin"
        path.write_bytes(tensor.numpy().astype("<f4").tobytes())
        spec["inputs"][name] = {"file": str(path), "shape": list(tensor.shape)}
    (tmp_path / "spec.json").write_text(json.dumps(spec))
    subprocess.run(["node", os.path.join(HERE, "ort_run.cjs"), str(tmp_path / "spec.json")], cwd=REPO, check=True,
                   timeout=60)
    shape = json.loads((tmp_path / "out.bin.shape.json").read_text())
    return torch.from_numpy(np.fromfile(tmp_path / "out.bin", dtype="<f4").reshape(shape))


def test_export_dynamic_batch_and_per_sample_t(tiny_conf, tmp_path):
    net = random_net(tiny_conf, seed=6)
    example = (torch.rand(2, 3, 32, 32) * 2 - 1, torch.tensor([10.0, 900.0]), torch.randn(2, 64))
    unet = _export(_UNet(net), example, ["x", "t", "z"], "eps")
    encoder = _export(net.encoder, (example[0],), ["x"], "z")
    latent = _export(net.latent_net, (example[2], example[1]), ["x", "t"], "eps")
    if not _ort_available():
        pytest.skip("onnxruntime-node not available: export checked structurally only")

    # A batch size different from the export example, with a different t per sample.
    x, t, z = torch.rand(3, 3, 32, 32) * 2 - 1, torch.tensor([0.0, 250.0, 999.0]), torch.randn(3, 64)
    with torch.no_grad():
        want_eps, want_z, want_lat = net(x, t, z), net.encoder(x), net.latent_net(z, t)
    got_eps = _ort_run(tmp_path, unet, {"x": x, "t": t, "z": z}, "eps")
    got_z = _ort_run(tmp_path, encoder, {"x": x}, "z")
    got_lat = _ort_run(tmp_path, latent, {"x": z, "t": t}, "eps")
    assert torch.allclose(got_eps, want_eps, atol=1e-4), float((got_eps - want_eps).abs().max())
    assert torch.allclose(got_z, want_z, atol=1e-4), float((got_z - want_z).abs().max())
    assert torch.allclose(got_lat, want_lat, atol=1e-4), float((got_lat - want_lat).abs().max())
