"""The PyTorch side of the benchmark: a long-lived process that answers one JSON command per line.

Started by bench/src/torch-client.ts as `/usr/bin/python3 bench/src/torch_worker.py` with
PYTHONPATH=models. Each request is `{"id": n, "cmd": name, ...}` on stdin; each answer is
`{"id": n, "ok": true, ...}` or `{"id": n, "ok": false, "error": "..."}` on stdout (logs go to stderr).
Timings are taken here, around the forward call only, so process start-up and the pipe are excluded.

Commands: hello, threads, prepare, load, time, macs, matmul_onnx, matmul, quit.
"""
from __future__ import annotations

import hashlib
import json
import os
import platform
import re
import sys
import time
import traceback
from typing import Any, Callable, Dict, Tuple

import torch

from diffae_toolkit.checkpoint import load_official, save_official_layout
from diffae_toolkit.config import AutoencConfig, released_config
from diffae_toolkit.export import export_bundle
from diffae_toolkit.facesynth.presets import facesynth_config
from diffae_toolkit.fixtures import make_random_checkpoints, random_net
from diffae_toolkit.macs import count_macs
from diffae_toolkit.facesynth import export_default
from diffae_toolkit.nets.lite import LiteEncoder

TOOLKIT_DIR = os.path.dirname(os.path.abspath(sys.modules["diffae_toolkit"].__file__))
SEED = 0
# Step counts of the trained default bundle, so job and preview latencies match it.
DEFAULT_BUNDLE_STEPS = export_default.DEFAULT_STEPS
DEFAULT_PREVIEW = export_default.PREVIEW_STEPS


class BenchError(Exception):
    """A command that cannot be answered (bad arguments, missing files)."""


def toolkit_hash() -> str:
    """Hash of the toolkit's Python sources and of this file (export settings): a change invalidates the cache."""
    h = hashlib.sha256()
    with open(os.path.abspath(__file__), "rb") as f:
        h.update(f.read())
    for root, dirs, files in os.walk(TOOLKIT_DIR):
        dirs[:] = sorted(d for d in dirs if d != "__pycache__")
        for name in sorted(files):
            if name.endswith(".py"):
                path = os.path.join(root, name)
                h.update(os.path.relpath(path, TOOLKIT_DIR).encode())
                with open(path, "rb") as f:
                    h.update(f.read())
    return h.hexdigest()[:12]


def config_by_ref(ref: str) -> AutoencConfig:
    """'facesynth:small' (the default bundle's preset) or 'released:<official config name>'."""
    kind, _, name = ref.partition(":")
    if kind == "facesynth":
        return facesynth_config(name)
    if kind == "released":
        return released_config(name)
    raise BenchError(f"config reference must be facesynth:<preset> or released:<name>, got {ref!r}")


def _lean_checkpoint(folder: str, conf: AutoencConfig) -> Dict[str, str]:
    """Autoencoder weights only, without optimizer states (FFHQ256 would otherwise write ~2 GB)."""
    os.makedirs(folder, exist_ok=True)
    path = os.path.join(folder, "autoenc.ckpt")
    save_official_layout(path, random_net(conf.base(), SEED), conf.base(), kind="autoenc",
                         with_lightning_pickles=False, optimizer_states=False)
    return {"autoenc": path}


def _export_random(root: str, conf: AutoencConfig, full_bundle: bool) -> Tuple[str, str]:
    ckpt_dir, bundle_dir = os.path.join(root, "ckpt"), os.path.join(root, "bundle")
    if full_bundle:  # latent DPM, classifier and lite encoder: every job kind and the edge work on it
        paths = make_random_checkpoints(ckpt_dir, conf, SEED)
        with torch.random.fork_rng(devices=[]):
            torch.manual_seed(SEED)
            lite = LiteEncoder(conf.img_size, conf.z_dim).eval()
        export_bundle(bundle_dir, autoenc=paths["autoenc"], latent=paths["latent"], classifier=paths["cls"],
                      lite_encoder=lite, bundle_id="bench-default", version="0.0.0",
                      description=f"random weights, {conf.name} architecture (benchmark)", fp16=True,
                      trust_pickle=True, defaults=DEFAULT_BUNDLE_STEPS, preview=DEFAULT_PREVIEW,
                      source_kind="random", overwrite=True)
    else:
        paths = _lean_checkpoint(ckpt_dir, conf)
        export_bundle(bundle_dir, autoenc=paths["autoenc"], bundle_id="bench-" + conf.name.replace("_", "-"),
                      version="0.0.0", description=f"random weights, {conf.name} (benchmark)",
                      trust_pickle=True, source_kind="random", overwrite=True)
    return bundle_dir, paths["autoenc"]


def _trained_sources(bundle_dir: str, root: str) -> str:
    """The trained default bundle's autoencoder in the official layout, written from its training run."""
    from diffae_toolkit.facesynth.export_default import write_official_layout
    from diffae_toolkit.facesynth.paths import RUN_DIR
    if not os.path.isdir(RUN_DIR):
        raise BenchError(f"{bundle_dir} exists but its training run {RUN_DIR} does not (set DIFFAE_RUNS)")
    folder = os.path.join(root, "trained-src")
    path = os.path.join(folder, "autoenc.ckpt")
    if not os.path.exists(path):
        os.makedirs(folder, exist_ok=True)
        write_official_layout(RUN_DIR, folder)
    return path


def prepare(req: Dict[str, Any]) -> Dict[str, Any]:
    """A bundle and the checkpoint of the same weights, exported once into the cache folder."""
    conf = config_by_ref(req["config"])
    root = os.path.join(req["cacheDir"], f"{req['name']}-{toolkit_hash()}")
    trained = req.get("trainedBundle")
    notes = []
    if trained and os.path.exists(os.path.join(trained, "manifest.json")):
        try:
            return {"bundleDir": os.path.abspath(trained), "checkpoint": _trained_sources(trained, root),
                    "weights": "trained", "config": conf.name, "notes": notes}
        except BenchError as err:
            notes.append(f"trained bundle not used: {err}; random weights of the same architecture instead")
    bundle_dir = os.path.join(root, "bundle")
    ckpt = os.path.join(root, "ckpt", "autoenc.ckpt")
    exported = False
    if not (os.path.exists(os.path.join(bundle_dir, "manifest.json")) and os.path.exists(ckpt)):
        started = time.perf_counter()
        bundle_dir, ckpt = _export_random(root, conf, bool(req.get("fullBundle", False)))
        exported = True
        notes.append(f"exported in {time.perf_counter() - started:.1f} s")
    return {"bundleDir": bundle_dir, "checkpoint": ckpt, "weights": "random", "config": conf.name,
            "exported": exported, "notes": notes}


class Worker:
    def __init__(self) -> None:
        self.nets: Dict[str, Any] = {}
        self.inputs: Dict[Tuple, Tuple[torch.Tensor, ...]] = {}
        self.matrices: Dict[int, Tuple[torch.Tensor, torch.Tensor]] = {}

    def hello(self, req: Dict[str, Any]) -> Dict[str, Any]:
        config = torch.__config__.show()
        blas = re.search(r"BLAS_INFO=([^,\s]+)", config)
        return {"torch": torch.__version__, "python": platform.python_version(), "threads": torch.get_num_threads(),
                "torchBlas": blas.group(1) if blas else "unknown", "torchMkldnn": torch.backends.mkldnn.is_available()}

    def threads(self, req: Dict[str, Any]) -> Dict[str, Any]:
        n = int(req["threads"])
        if n < 1:
            raise BenchError(f"threads must be >= 1, got {n}")
        torch.set_num_threads(n)
        return {"threads": torch.get_num_threads()}

    def load(self, req: Dict[str, Any]) -> Dict[str, Any]:
        loaded = load_official(req["checkpoint"], trust_pickle=True)  # files this benchmark wrote itself
        net = loaded.net.eval()
        self.nets[req["model"]] = net
        return {"params": sum(p.numel() for p in net.parameters()), "config": loaded.conf.name}

    def _net(self, req: Dict[str, Any]):
        try:
            return self.nets[req["model"]]
        except KeyError:
            raise BenchError(f"model {req['model']!r} is not loaded (send load first)") from None

    def _call(self, req: Dict[str, Any]) -> Callable[[], Any]:
        """The forward call of one component at one batch, on seeded inputs made once."""
        net = self._net(req)
        component, batch = req["component"], int(req["batch"])
        key = (req["model"], component, batch)
        if key not in self.inputs:
            conf = net.conf
            gen = torch.Generator().manual_seed(batch)
            x = torch.rand((batch, 3, conf.img_size, conf.img_size), generator=gen) * 2 - 1
            t = torch.randint(0, 1000, (batch,), generator=gen).float()
            z = torch.randn((batch, conf.z_dim), generator=gen)
            self.inputs[key] = (x, t, z)
        x, t, z = self.inputs[key]
        if component == "unet":
            return lambda: net(x, t, z)
        if component == "encoder":
            return lambda: net.encoder(x)
        raise BenchError(f"component must be unet or encoder, got {component!r}")

    def time(self, req: Dict[str, Any]) -> Dict[str, Any]:
        call = self._call(req)
        with torch.no_grad():
            started = time.perf_counter()
            call()
            return {"ms": (time.perf_counter() - started) * 1000}

    def macs(self, req: Dict[str, Any]) -> Dict[str, Any]:
        net = self._net(req)
        call = self._call(req)
        module = net.encoder if req["component"] == "encoder" else net
        return {"macs": count_macs(module, call)}

    def matmul_onnx(self, req: Dict[str, Any]) -> Dict[str, Any]:
        import onnx
        from onnx import TensorProto, helper
        n, path = int(req["n"]), req["path"]
        graph = helper.make_graph(
            [helper.make_node("MatMul", ["a", "b"], ["c"])], "matmul",
            [helper.make_tensor_value_info("a", TensorProto.FLOAT, [n, n]),
             helper.make_tensor_value_info("b", TensorProto.FLOAT, [n, n])],
            [helper.make_tensor_value_info("c", TensorProto.FLOAT, [n, n])])
        model = helper.make_model(graph, opset_imports=[helper.make_opsetid("", 17)])
        model.ir_version = 8
        onnx.checker.check_model(model)
        os.makedirs(os.path.dirname(path), exist_ok=True)
        onnx.save(model, path)
        return {"path": path}

    def matmul(self, req: Dict[str, Any]) -> Dict[str, Any]:
        n = int(req["n"])
        if n not in self.matrices:
            gen = torch.Generator().manual_seed(n)
            self.matrices[n] = (torch.randn((n, n), generator=gen), torch.randn((n, n), generator=gen))
        a, b = self.matrices[n]
        with torch.no_grad():
            started = time.perf_counter()
            torch.matmul(a, b)
            return {"ms": (time.perf_counter() - started) * 1000}

    def prepare(self, req: Dict[str, Any]) -> Dict[str, Any]:
        return prepare(req)


def main() -> int:
    worker = Worker()
    out = sys.stdout
    sys.stdout = sys.stderr  # stray prints from libraries must not corrupt the protocol
    for line in sys.stdin:
        if not line.strip():
            continue
        req: Dict[str, Any] = {}
        try:
            req = json.loads(line)
            cmd = req.get("cmd")
            if cmd == "quit":
                out.write(json.dumps({"id": req.get("id"), "ok": True}) + "\n")
                out.flush()
                return 0
            handler = getattr(worker, cmd, None) if isinstance(cmd, str) and not cmd.startswith("_") else None
            if handler is None:
                raise BenchError(f"unknown command {cmd!r}")
            answer = {"id": req.get("id"), "ok": True, **handler(req)}
        except Exception as err:  # every failure goes back to the caller, the process keeps serving
            if not isinstance(err, (BenchError, KeyError)):
                traceback.print_exc(file=sys.stderr)
            answer = {"id": req.get("id"), "ok": False, "error": f"{type(err).__name__}: {err}"}
        out.write(json.dumps(answer) + "\n")
        out.flush()
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
