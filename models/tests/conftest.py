import json
import os
import subprocess
import sys

import numpy as np
import pytest
import torch

MODELS_DIR = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))
if MODELS_DIR not in sys.path:
    sys.path.insert(0, MODELS_DIR)

REPO = os.path.dirname(MODELS_DIR)
ORT_EVAL = os.path.join(MODELS_DIR, "tests", "ort_eval.mjs")
TSX = os.path.join(REPO, "node_modules", ".bin", "tsx")
REFERENCE_DIR = os.environ.get("DIFFAE_REFERENCE_DIR", "/work/shared/reference")

torch.set_num_threads(max(1, min(2, torch.get_num_threads())))


def make_tiny_conf():
    """A small config exercising every block type (attention at 8 px, a 48-channel concat, z width 64)."""
    from diffae_toolkit.config import AutoencConfig, LatentConfig

    return AutoencConfig(
        name="tiny", img_size=32, net_ch=16, ch_mult=(1, 2, 4), enc_channel_mult=(1, 2, 4, 4),
        attn_resolutions=(8,), z_dim=64, embed_channels=64,
        latent=LatentConfig(num_layers=3, hidden=96, time_emb_dim=16, z_dim=64))


@pytest.fixture
def tiny_conf():
    return make_tiny_conf()


def ort_run(workdir, runs):
    """onnxruntime-node (through tsx and ort_eval.mjs) on ONNX graphs; runs: [(model_path, {input: ndarray}, [output names])] -> [{output: ndarray}]."""
    if not os.path.exists(TSX):
        pytest.skip("tsx is not installed in node_modules")
    os.makedirs(workdir, exist_ok=True)
    spec, wanted = {"threads": 1, "runs": []}, []
    for i, (model, inputs, outputs) in enumerate(runs):
        feeds = {}
        for name, value in inputs.items():
            np.save(os.path.join(workdir, f"{i}_{name}.npy"), np.ascontiguousarray(value, dtype=np.float32))
            feeds[name] = f"{i}_{name}.npy"
        spec["runs"].append({"model": os.path.abspath(model), "inputs": feeds,
                             "outputs": {o: f"{i}_out_{o}.npy" for o in outputs}})
        wanted.append(outputs)
    spec_path = os.path.join(workdir, "spec.json")
    with open(spec_path, "w", encoding="utf-8") as f:
        json.dump(spec, f)
    done = subprocess.run([TSX, ORT_EVAL, spec_path], cwd=REPO, capture_output=True, text=True, timeout=120)
    assert done.returncode == 0, done.stderr
    return [{o: np.load(os.path.join(workdir, f"{i}_out_{o}.npy")) for o in outs} for i, outs in enumerate(wanted)]
