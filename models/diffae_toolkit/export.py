"""Official-layout checkpoints -> model bundle (ONNX graphs + side files + manifest.json).

Graphs and their names follow docs/architecture.md: encoder.onnx (x -> z), unet.onnx (x, t, z -> eps,
t float32 [N] of original timesteps), latent.onnx (x, t -> eps) and lite_encoder.onnx (x -> z), each
with the dynamic batch axis `N` on every input and output, opset 17.
"""

from __future__ import annotations

import copy
import dataclasses
import inspect
import os
import warnings
from dataclasses import dataclass
from typing import Any, Dict, List, Mapping, Optional, Tuple, Union

import onnx
import torch
from torch import Tensor, nn

from . import bundle
from .checkpoint import ClassifierWeights, LatentStats, LoadedAutoenc, load_classifier, load_official
from .config import RELEASED_CONFIGS, AutoencConfig
from .nets import DiffAENet
from .nets.lite import LiteEncoder, load_lite
from .onnx_weights import DEFAULT_MIN_ELEMENTS, convert_weights_to_fp16

PathLike = Union[str, "os.PathLike[str]"]
BATCH_AXIS = "N"
EXPORT_BATCH = 2
DEFAULT_OPSET = 17


class ExportError(bundle.BundleError):
    """The given checkpoints cannot make a bundle (missing pieces, mismatching shapes, bad graph)."""


@dataclass(frozen=True)
class GraphSpec:
    """One ONNX graph of a bundle: which module, example inputs, and the I/O names of the contract."""

    key: str                       # manifest `files` key
    module: nn.Module
    example: Tuple[Tensor, ...]
    inputs: Tuple[str, ...]
    outputs: Tuple[str, ...]


class _UNetGraph(nn.Module):
    """Only the UNet path of DiffAENet (its encoder and latent net do not enter the trace)."""

    def __init__(self, net: DiffAENet):
        super().__init__()
        self.net = net

    def forward(self, x: Tensor, t: Tensor, z: Tensor) -> Tensor:
        return self.net(x, t, z)


def _example_images(conf: AutoencConfig, gen: torch.Generator) -> Tensor:
    return torch.rand((EXPORT_BATCH, conf.in_channels, conf.img_size, conf.img_size), generator=gen) * 2 - 1


def graph_specs(net: DiffAENet, lite: Optional[nn.Module] = None) -> List[GraphSpec]:
    """The graphs of a bundle for `net` (plus the lite encoder when given), with batch-2 example inputs."""
    conf = net.conf
    gen = torch.Generator().manual_seed(0)
    x = _example_images(conf, gen)
    t = torch.tensor([10.0, 500.0])  # different per row: the trace must not assume one shared timestep
    z = torch.randn((EXPORT_BATCH, conf.z_dim), generator=gen)
    specs = [GraphSpec("encoder", net.encoder, (x,), ("x",), ("z",)),
             GraphSpec("unet", _UNetGraph(net), (x, t, z), ("x", "t", "z"), ("eps",))]
    if net.latent_net is not None:
        specs.append(GraphSpec("latent", net.latent_net, (z, t), ("x", "t"), ("eps",)))
    if lite is not None:
        specs.append(GraphSpec("liteEncoder", lite, (x,), ("x",), ("z",)))
    return specs


def _export_kwargs() -> Dict[str, Any]:
    # torch >= 2.5 has a dynamo exporter (the default in newer releases); this code targets the tracer.
    return {"dynamo": False} if "dynamo" in inspect.signature(torch.onnx.export).parameters else {}


def batch_axis_names(model: onnx.ModelProto) -> Dict[str, Optional[str]]:
    """{input/output name: symbolic name of its first dimension, None when it is fixed}."""
    names = {}
    for value in list(model.graph.input) + list(model.graph.output):
        dims = value.type.tensor_type.shape.dim
        names[value.name] = dims[0].dim_param if dims and dims[0].HasField("dim_param") else None
    return names


def export_graph(spec: GraphSpec, path: str, opset: int = DEFAULT_OPSET) -> onnx.ModelProto:
    """torch.onnx.export `spec` to `path` (eval mode, no grad), then check it and its dynamic batch."""
    spec.module.eval()
    dynamic = {name: {0: BATCH_AXIS} for name in spec.inputs + spec.outputs}
    with torch.no_grad(), warnings.catch_warnings():
        warnings.simplefilter("ignore")  # tracer warnings about Python-side shape values
        torch.onnx.export(spec.module, spec.example, path, input_names=list(spec.inputs),
                          output_names=list(spec.outputs), dynamic_axes=dynamic, opset_version=opset,
                          do_constant_folding=True, training=torch.onnx.TrainingMode.EVAL,
                          keep_initializers_as_inputs=False, **_export_kwargs())
    model = onnx.load(path)
    onnx.checker.check_model(model)
    got = [i.name for i in model.graph.input], [o.name for o in model.graph.output]
    if tuple(got[0]) != spec.inputs or tuple(got[1]) != spec.outputs:
        raise ExportError(f"{spec.key}: exported graph has inputs {got[0]} / outputs {got[1]}, "
                          f"expected {list(spec.inputs)} / {list(spec.outputs)}")
    fixed = [name for name, axis in batch_axis_names(model).items() if axis != BATCH_AXIS]
    if fixed:
        raise ExportError(f"{spec.key}: batch axis of {fixed} is not the dynamic axis {BATCH_AXIS!r}")
    return model


def fp16_rounded_copy(module: nn.Module, min_elements: int = DEFAULT_MIN_ELEMENTS) -> nn.Module:
    """A copy of `module` whose Conv/Linear tensors with >= min_elements values are rounded to float16:
    the torch counterpart of a graph after `store_weights_fp16` (for reference outputs of fp16 bundles)."""
    clone = copy.deepcopy(module)
    with torch.no_grad():
        for sub in clone.modules():
            if isinstance(sub, (nn.Conv1d, nn.Conv2d, nn.Linear)):
                for p in (sub.weight, sub.bias):
                    if p is not None and p.numel() >= min_elements:
                        p.copy_(p.half().float())
    return clone


def store_weights_fp16(path: str, min_elements: int = DEFAULT_MIN_ELEMENTS) -> None:
    model = onnx.load(path)
    convert_weights_to_fp16(model, min_elements)
    onnx.checker.check_model(model)
    onnx.save(model, path)


# --- loading the inputs ---------------------------------------------------------------------------

@dataclass
class ExportSources:
    net: DiffAENet
    conf: AutoencConfig
    step: Optional[int]
    latent_stats: Optional[LatentStats]
    classifier: Optional[ClassifierWeights]
    lite: Optional[LiteEncoder]


def _same_architecture(a: AutoencConfig, b: AutoencConfig) -> bool:
    def key(c: AutoencConfig) -> AutoencConfig:
        return dataclasses.replace(c, name="", dropout=0.0, latent=None)
    return key(a) == key(b)


def _check_latent_matches_autoenc(autoenc: LoadedAutoenc, latent: LoadedAutoenc, paths: Tuple[str, str]) -> None:
    if not _same_architecture(autoenc.conf, latent.conf):
        raise ExportError(f"{paths[1]} ({latent.conf.name}) holds a different autoencoder architecture than "
                          f"{paths[0]} ({autoenc.conf.name})")
    theirs = latent.net.state_dict()
    for key, value in autoenc.net.state_dict().items():
        if not torch.equal(value, theirs[key]):
            raise ExportError(f"the autoencoder weights inside {paths[1]} differ from {paths[0]} (first at {key}): "
                              "the latent DPM was not trained on this autoencoder")


def load_sources(*, autoenc: Optional[PathLike], latent: Optional[PathLike], classifier: Optional[PathLike],
                 lite_encoder: Union[PathLike, LiteEncoder, None], trust_pickle: bool,
                 config_name: Optional[str]) -> ExportSources:
    """Load what the bundle needs. The latent checkpoint alone is enough for encoder+UNet+latent."""
    if autoenc is None and latent is None:
        what = "a classifier alone is not enough" if classifier is not None else "nothing to export"
        raise ExportError(f"{what}: give an autoencoder checkpoint and/or a latent checkpoint "
                          "(the latent one repeats the autoencoder)")
    base = load_official(autoenc, trust_pickle=trust_pickle, config_name=config_name) if autoenc else None
    lat = load_official(latent, trust_pickle=trust_pickle, config_name=config_name) if latent else None
    if lat is not None and lat.net.latent_net is None:
        raise ExportError(f"{os.fspath(latent)} has no latent_net weights: is it an autoencoder checkpoint?")
    if lat is not None and lat.latent_stats is None:
        raise ExportError(f"{os.fspath(latent)} lacks conds_mean/conds_std (needed to de-normalise sampled z)")
    if base is not None and lat is not None:
        _check_latent_matches_autoenc(base, lat, (os.fspath(autoenc), os.fspath(latent)))
    chosen = lat if lat is not None else base
    if chosen is base and base.net.latent_net is not None and base.latent_stats is None:
        raise ExportError(f"{os.fspath(autoenc)} has a latent net but no conds_mean/conds_std")
    conf = chosen.conf
    cls = load_classifier(classifier, trust_pickle=trust_pickle) if classifier is not None else None
    if cls is not None and cls.weight.shape[1] != conf.z_dim:
        raise ExportError(f"classifier {os.fspath(classifier)} works on z width {cls.weight.shape[1]}, "
                          f"the autoencoder's z width is {conf.z_dim}")
    lite = None
    if lite_encoder is not None:
        lite = lite_encoder if isinstance(lite_encoder, LiteEncoder) else load_lite(lite_encoder)[0]
        if (lite.img_size, lite.z_dim) != (conf.img_size, conf.z_dim):
            raise ExportError(f"lite encoder is for {lite.img_size}px / z {lite.z_dim}, the autoencoder is "
                              f"{conf.img_size}px / z {conf.z_dim}")
    step = base.step if base is not None else chosen.step
    return ExportSources(net=chosen.net, conf=conf, step=step,
                         latent_stats=chosen.latent_stats if chosen.net.latent_net is not None else None,
                         classifier=cls, lite=lite)


def default_source_kind(conf: AutoencConfig) -> str:
    return "official" if conf.name in RELEASED_CONFIGS else "trained"


# --- the bundle ------------------------------------------------------------------------------------

def write_bundle_files(target: str, sources: ExportSources, *, fp16: bool, opset: int) -> List[str]:
    """Write every graph and side file into `target`; returns the manifest `files` keys written."""
    written = []
    for spec in graph_specs(sources.net, sources.lite):
        path = os.path.join(target, bundle.FILE_NAMES[spec.key])
        export_graph(spec, path, opset)
        if fp16:
            store_weights_fp16(path)
        written.append(spec.key)
    if sources.classifier is not None:
        c = sources.classifier
        bundle.write_json(os.path.join(target, bundle.FILE_NAMES["classifier"]),
                          bundle.classifier_json(c.attributes, c.weight, c.bias, c.conds_mean, c.conds_std))
        written.append("classifier")
    if sources.latent_stats is not None:
        s = sources.latent_stats
        bundle.write_json(os.path.join(target, bundle.FILE_NAMES["latentStats"]),
                          bundle.latent_stats_json(s.conds_mean, s.conds_std))
        written.append("latentStats")
    return written


def export_bundle(out_dir: PathLike, *, autoenc: Optional[PathLike] = None, latent: Optional[PathLike] = None,
                  classifier: Optional[PathLike] = None, lite_encoder: Union[PathLike, LiteEncoder, None] = None,
                  bundle_id: str, version: str, description: str = "", fp16: bool = False,
                  trust_pickle: bool = False, config_name: Optional[str] = None,
                  defaults: Optional[Mapping[str, int]] = None, preview: Any = None, opset: int = DEFAULT_OPSET,
                  source_kind: Optional[str] = None, overwrite: bool = False) -> Dict[str, Any]:
    """Export checkpoints into a bundle folder atomically; returns the manifest written.

    `defaults` overrides the official notebook step counts (inversion 250, render 20, manipulation
    render 100, latent 200); `preview` is (inversionSteps, renderSteps) or the manifest dict;
    `source_kind` is official/trained/random (default: official for released config names)."""
    bundle.check_identity(bundle_id, version)
    preview_steps = bundle.resolve_preview(preview)
    if source_kind is not None and source_kind not in bundle.SOURCE_KINDS:
        raise ExportError(f"source_kind must be one of {bundle.SOURCE_KINDS}, got {source_kind!r}")
    out_dir = os.fspath(out_dir)
    if os.path.isdir(out_dir) and os.listdir(out_dir) and not overwrite:
        raise ExportError(f"output folder {out_dir} is not empty; pass overwrite=True (CLI: --overwrite)")
    sources = load_sources(autoenc=autoenc, latent=latent, classifier=classifier, lite_encoder=lite_encoder,
                           trust_pickle=trust_pickle, config_name=config_name)
    conf = sources.conf
    step_defaults = bundle.resolve_defaults(defaults, has_latent=sources.net.latent_net is not None)
    source = {"kind": source_kind or default_source_kind(conf), "config": conf.name, "step": sources.step}
    with bundle.atomic_directory(out_dir, overwrite=overwrite) as target:
        files = write_bundle_files(target, sources, fp16=fp16, opset=opset)
        manifest = bundle.build_manifest(
            bundle_dir=target, bundle_id=bundle_id, version=version, description=description,
            image_size=conf.img_size, z_dim=conf.z_dim, source=source, defaults=step_defaults,
            preview=preview_steps, attributes=list(sources.classifier.attributes) if sources.classifier else [],
            weights_dtype="float16" if fp16 else "float32", files=files)
        bundle.write_json(os.path.join(target, bundle.MANIFEST_NAME), manifest)
    return manifest


__all__ = ["ExportError", "ExportSources", "GraphSpec", "batch_axis_names", "export_bundle", "export_graph",
           "fp16_rounded_copy", "graph_specs", "load_sources", "store_weights_fp16"]
