"""Parity fixtures: a tiny random-weight model, its bundles, and reference-sampler outputs stage by stage.

    PYTHONPATH=models python -m diffae_toolkit.parity_fixture --out DIR [--config tiny] [--seed 0] [--overwrite]

Writes DIR/checkpoints/ (official layout), DIR/bundle (float32 weights), DIR/bundle-fp16 (weight-only fp16
storage), float32 .npy arrays under DIR/arrays/ and DIR/cases.json, which names every array with its shape
and meaning so the TypeScript parity tests can be written from it alone. Everything is float32 on CPU
from fixed seeds; the reference sampler runs on the EMA networks loaded back from the checkpoints.
"""

from __future__ import annotations

import argparse
import json
import os
import shutil
import sys
from typing import Any, Dict, List, Optional, Sequence

import numpy as np
import torch
from torch import Tensor

from . import reference as ref
from .checkpoint import load_classifier, load_official
from .config import AutoencConfig, LatentConfig
from .export import export_bundle, fp16_rounded_copy
from .fixtures import make_random_checkpoints

BATCH = 2
STEP_COUNTS = (2, 10)
MAIN_K = 10          # steps used by the composite cases (manipulation, interpolation, latent sampling)
LATENT_K = 10
MANIPULATION = (("Eyeglasses", 0.3), ("Smiling", -0.2))
INTERPOLATION_POINTS = 5

PARITY_CONFIGS = {
    # z width deliberately not 512 (the manipulation step keeps the literal sqrt(512)); attention at 16 px.
    "tiny": AutoencConfig(
        name="parity_tiny", img_size=32, net_ch=16, ch_mult=(1, 2), enc_channel_mult=(1, 2, 2),
        attn_resolutions=(16,), num_res_blocks=1, enc_num_res_blocks=1, embed_channels=64, z_dim=32, dropout=0.0,
        latent=LatentConfig(num_layers=3, hidden=64, time_emb_dim=16, z_dim=32)),
}

IMAGE_NOTE = "NCHW float32 in [-1, 1]"


def _fp16_note(graph: str, output: str) -> str:
    return (f"{output} of the torch {graph} net with the weights bundle-fp16 stores as float16 rounded to float16 "
            f"(what bundle-fp16/{graph}.onnx computes, up to float32 rounding)")


class FixtureWriter:
    """Saves float32 arrays under arrays/ and records {file: {shape, meaning}} for cases.json."""

    def __init__(self, root: str):
        self.root = root
        self.arrays: Dict[str, Dict[str, Any]] = {}
        os.makedirs(os.path.join(root, "arrays"), exist_ok=True)

    def save(self, name: str, value: Tensor, meaning: str) -> str:
        rel = f"arrays/{name}.npy"
        if rel in self.arrays:
            raise ValueError(f"array {rel} written twice")
        arr = np.ascontiguousarray(value.detach().cpu().numpy().astype(np.float32))
        np.save(os.path.join(self.root, rel), arr)
        self.arrays[rel] = {"shape": list(arr.shape), "meaning": meaning}
        return rel


def _normal(gen: torch.Generator, *shape: int) -> Tensor:
    return torch.randn(shape, generator=gen, dtype=torch.float32)


def _timesteps(k: int, kind: str = "linear") -> List[int]:
    return [int(t) for t in ref.respace(k, kind).timesteps]


class StepRecorder:
    """on_step callback collecting x and the raw eps after every DDIM step, in call order."""

    def __init__(self):
        self.js: List[int] = []
        self.xs: List[Tensor] = []
        self.eps: List[Tensor] = []

    def __call__(self, j: int, x: Tensor, eps: Tensor) -> None:
        self.js.append(j)
        self.xs.append(x.clone())
        self.eps.append(eps.clone())

    def stacked(self):
        return torch.stack(self.xs), torch.stack(self.eps)


def _inversion_case(w: FixtureWriter, net, x: Tensor, z: Tensor, k: int, x_file: str, z_file: str) -> Dict[str, Any]:
    rec = StepRecorder()
    x_t = ref.encode_stochastic(net, x, z, k, on_step=rec)
    steps, eps = rec.stacked()
    name = f"inversion_K{k}"
    return {
        "K": k, "clip": True, "timesteps": _timesteps(k), "x0": x_file, "z": z_file,
        "stepOrder": "steps[i] is x after the call at t = timesteps[i] (respaced index j = i, ascending)",
        "steps": w.save(f"{name}_steps", steps, f"[K,N,3,S,S] x after each inversion step (K={k})"),
        "stepEps": w.save(f"{name}_step_eps", eps, f"[K,N,3,S,S] raw UNet eps of each inversion call (K={k})"),
        "xT": w.save(f"{name}_xT", x_t, f"[N,3,S,S] x_T = DDIM inversion of x0 with K={k} (= steps[K-1])"),
    }, x_t


def _render_case(w: FixtureWriter, net, x_t: Tensor, z: Tensor, k: int, clip: bool, name: str,
                 x_t_file: str, z_file: str, *, with_steps: bool = True) -> Dict[str, Any]:
    rec = StepRecorder()
    image = ref.render(net, x_t, z, k, clip=clip, on_step=rec)
    case: Dict[str, Any] = {"K": k, "clip": clip, "timesteps": _timesteps(k), "xT": x_t_file, "z": z_file}
    if with_steps:
        steps, eps = rec.stacked()
        case["stepOrder"] = "steps[i] is x after the call at t = timesteps[K-1-i] (respaced index j = K-1-i)"
        case["steps"] = w.save(f"{name}_steps", steps, f"[K,B,3,S,S] x after each render step (K={k}, clip={clip})")
        case["stepEps"] = w.save(f"{name}_step_eps", eps, f"[K,B,3,S,S] raw UNet eps of each render call (K={k})")
    case["image"] = w.save(f"{name}_image", image, f"[B,3,S,S] render output (x+1)/2 (K={k}, clip={clip})")
    return case


def build_fixture(out_dir: str, config: str = "tiny", seed: int = 0, overwrite: bool = False) -> Dict[str, Any]:
    if config not in PARITY_CONFIGS:
        raise ValueError(f"unknown parity config {config!r}; known: {sorted(PARITY_CONFIGS)}")
    conf = PARITY_CONFIGS[config]
    if os.path.isdir(out_dir) and os.listdir(out_dir):
        if not overwrite:
            raise FileExistsError(f"{out_dir} is not empty (pass --overwrite to replace it)")
        shutil.rmtree(out_dir)
    os.makedirs(out_dir, exist_ok=True)
    torch.manual_seed(seed)

    ckpts = make_random_checkpoints(os.path.join(out_dir, "checkpoints"), conf, seed, with_latent=True,
                                    with_classifier=True)
    fast_defaults = {"inversionSteps": MAIN_K, "renderSteps": MAIN_K, "manipulateRenderSteps": MAIN_K,
                     "latentSteps": LATENT_K}
    common = dict(latent=ckpts["latent"], classifier=ckpts["cls"], bundle_id=f"parity-{config}",
                  version="0.0.1", description=f"random-weight parity fixture ({config}, seed {seed})",
                  trust_pickle=True, source_kind="random", defaults=fast_defaults, preview=(2, 2))
    export_bundle(os.path.join(out_dir, "bundle"), **common)
    export_bundle(os.path.join(out_dir, "bundle-fp16"), fp16=True, **common)

    loaded = load_official(ckpts["latent"], trust_pickle=True)
    net, stats = loaded.net, loaded.latent_stats
    classifier = load_classifier(ckpts["cls"], trust_pickle=True)
    s, zd = conf.img_size, conf.z_dim
    gen = torch.Generator().manual_seed(seed + 100)
    w = FixtureWriter(out_dir)
    cases: Dict[str, Any] = {}

    with torch.no_grad():
        x = torch.rand((BATCH, 3, s, s), generator=gen) * 2 - 1
        z = net.encoder(x)
        x_file = w.save("x", x, f"[N,3,S,S] input images, {IMAGE_NOTE} (uniform, seeded)")
        z_file = w.save("z", z, "[N,Z] z = encoder(x)")
        cases["encode"] = {"x": x_file, "z": z_file}

        eps_inputs = [
            (x, torch.tensor([0.0, 0.0]), z, "clean images at t = 0"),
            (_normal(gen, BATCH, 3, s, s), torch.tensor([999.0, 999.0]), z, "noise at t = 999"),
            (0.5 * x + 0.8 * _normal(gen, BATCH, 3, s, s), torch.tensor([10.0, 537.0]), _normal(gen, BATCH, zd),
             "a different t per row, random z"),
        ]
        rounded = fp16_rounded_copy(net)
        cases["encode"]["zFp16Weights"] = w.save("z_fp16w", rounded.encoder(x), _fp16_note("encoder", "[N,Z] z"))
        cases["eps"] = []
        for i, (xi, ti, zi, what) in enumerate(eps_inputs):
            cases["eps"].append({
                "what": what,
                "x": x_file if xi is x else w.save(f"eps{i}_x", xi, f"[N,3,S,S] UNet input x ({what})"),
                "t": w.save(f"eps{i}_t", ti, "[N] original timesteps, float32"),
                "z": z_file if zi is z else w.save(f"eps{i}_z", zi, "[N,Z] UNet condition z"),
                "eps": w.save(f"eps{i}_eps", net(xi, ti, zi), "[N,3,S,S] unet.onnx output eps"),
                "epsFp16Weights": w.save(f"eps{i}_eps_fp16w", rounded(xi, ti, zi), _fp16_note("unet", "[N,3,S,S] eps")),
            })
        cases["latentEps"] = []
        for i, ti in enumerate((torch.tensor([0.0, 999.0]), torch.tensor([250.0, 731.0]))):
            xi = _normal(gen, BATCH, zd)
            cases["latentEps"].append({
                "x": w.save(f"latent_eps{i}_x", xi, "[N,Z] latent.onnx input (normalised z at t)"),
                "t": w.save(f"latent_eps{i}_t", ti, "[N] original timesteps, float32"),
                "eps": w.save(f"latent_eps{i}_eps", net.latent_net(xi, ti), "[N,Z] latent.onnx output eps"),
                "epsFp16Weights": w.save(f"latent_eps{i}_eps_fp16w", rounded.latent_net(xi, ti),
                                         _fp16_note("latent", "[N,Z] eps")),
            })

        cases["inversion"], x_ts = [], {}
        for k in STEP_COUNTS:
            case, x_ts[k] = _inversion_case(w, net, x, z, k, x_file, z_file)
            cases["inversion"].append(case)

        render_xt = _normal(gen, BATCH, 3, s, s)
        noise_file = w.save("render_xT", render_xt, "[N,3,S,S] x_T for the render cases (normal)")
        cases["render"] = [_render_case(w, net, render_xt, z, k, True, f"render_K{k}", noise_file, z_file)
                           for k in STEP_COUNTS]
        cases["render"].append(_render_case(w, net, render_xt, z, MAIN_K, False, f"render_noclip_K{MAIN_K}",
                                            noise_file, z_file))

        x_t_main = x_ts[MAIN_K]
        x_t_main_file = next(c["xT"] for c in cases["inversion"] if c["K"] == MAIN_K)
        amplitudes = {classifier.index(name): amp for name, amp in MANIPULATION}
        z_manip = ref.manipulate_z(z, classifier, amplitudes)
        z_manip_file = w.save("manipulate_z", z_manip,
                              "[N,Z] z' = ((z-μ)/σ + Σ a_k·√512·W[k]/‖W[k]‖)·σ + μ (classifier.json rows and stats)")
        cases["manipulate"] = {
            "attributes": [{"name": name, "index": classifier.index(name), "amplitude": amp}
                           for name, amp in MANIPULATION],
            "z": z_file, "zManipulated": z_manip_file,
            "render": _render_case(w, net, x_t_main, z_manip, MAIN_K, True, "manipulate", x_t_main_file,
                                   z_manip_file, with_steps=False),
        }

        alphas = torch.linspace(0, 1, INTERPOLATION_POINTS, dtype=torch.float32)
        z_int, xt_int = ref.interpolate(z[0], z[1], x_t_main[0], x_t_main[1], alphas)
        z_int_file = w.save("interpolate_z", z_int, "[A,Z] z(α) = (1-α)·z[0] + α·z[1]")
        xt_int_file = w.save("interpolate_xT", xt_int, "[A,3,S,S] slerp of the inverted x_T[0], x_T[1] (K=10)")
        cases["interpolate"] = {
            "alphas": [float(a) for a in alphas], "z": z_file, "xT": x_t_main_file,
            "zAlpha": z_int_file, "xTAlpha": xt_int_file,
            "render": _render_case(w, net, xt_int, z_int, MAIN_K, True, "interpolate", xt_int_file, z_int_file,
                                   with_steps=False),
        }

        latent_noise = _normal(gen, BATCH, zd)
        rec = StepRecorder()
        z_sampled = ref.latent_sample(net.latent_net, latent_noise, LATENT_K, stats.conds_mean, stats.conds_std,
                                      on_step=rec)
        steps, step_eps = rec.stacked()
        sample_xt = _normal(gen, BATCH, 3, s, s)
        sampled_file = w.save("latent_sample_z", z_sampled, "[N,Z] de-normalised z = zNormalised·zStd + zMean")
        sample_xt_file = w.save("latent_sample_xT", sample_xt, "[N,3,S,S] image noise x_T for the sampled z")
        cases["latentSample"] = {
            "K": LATENT_K, "clip": False, "timesteps": _timesteps(LATENT_K, "const0.008"),
            "noise": w.save("latent_sample_noise", latent_noise, "[N,Z] latent DDIM start noise"),
            "stepOrder": "steps[i] is z after the call at t = timesteps[K-1-i]",
            "steps": w.save("latent_sample_steps", steps, "[K,N,Z] normalised z after each latent DDIM step"),
            "stepEps": w.save("latent_sample_step_eps", step_eps, "[K,N,Z] raw latent eps of each call"),
            "zNormalised": w.save("latent_sample_zn", steps[-1], "[N,Z] latent DDIM output (= steps[K-1])"),
            "z": sampled_file,
            "render": _render_case(w, net, sample_xt, z_sampled, MAIN_K, True, "latent_sample", sample_xt_file,
                                   sampled_file, with_steps=False),
        }

    doc = {
        "schemaVersion": 1,
        "generator": "PYTHONPATH=models python -m diffae_toolkit.parity_fixture",
        "config": config, "seed": seed, "autoencConfig": conf.to_dict(),
        "imageSize": s, "zDim": zd, "batch": BATCH,
        "conventions": (
            "Every array is a float32 little-endian C-order .npy. Images are NCHW in [-1,1]; 'image' files are "
            "(x+1)/2 like the official render. t arrays hold ORIGINAL timesteps (0..999) per row. The reference "
            "sampler (models/diffae_toolkit/reference.py, facts sheet §2-9) ran on the EMA networks of the "
            "checkpoints in torch float32 on CPU; the bundles hold the same weights."),
        "checkpoints": {k: os.path.relpath(v, out_dir) for k, v in ckpts.items()},
        "bundles": {"float32": "bundle", "float16": "bundle-fp16"},
        "cases": cases,
        "arrays": w.arrays,
    }
    with open(os.path.join(out_dir, "cases.json"), "w", encoding="utf-8") as f:
        json.dump(doc, f, indent=2, ensure_ascii=False)
        f.write("\n")
    return doc


def main(argv: Optional[Sequence[str]] = None) -> int:
    parser = argparse.ArgumentParser(prog="python -m diffae_toolkit.parity_fixture", description=__doc__.split("\n")[0])
    parser.add_argument("--out", required=True, metavar="DIR")
    parser.add_argument("--config", default="tiny", choices=sorted(PARITY_CONFIGS))
    parser.add_argument("--seed", type=int, default=0)
    parser.add_argument("--overwrite", action="store_true", help="replace a non-empty DIR")
    args = parser.parse_args(argv)
    try:
        doc = build_fixture(args.out, args.config, args.seed, args.overwrite)
    except FileExistsError as err:
        print(f"error: {err}", file=sys.stderr)
        return 2
    print(f"wrote {len(doc['arrays'])} arrays, cases.json and 2 bundles to {os.path.abspath(args.out)}")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
