"""Bundle graphs -> PyTorch weights: the inverse of the exporter, for a known architecture.

The tracer renames some weights (a GroupNorm's scale and shift become `onnx::Mul_…` / `onnx::Add_…`
constants) and may transpose or reshape others, so names alone do not say which parameter an initializer
holds. We export a probe copy of the same architecture whose every parameter holds distinct random values,
through the same `export_graph` as the bundle, pair the two graphs' initializers by position (same node,
same input slot; float16 weights are read through their Cast) and read off which parameter each probe
initializer came from.
Every parameter must be found exactly once, otherwise the graphs were not made from this architecture.

Use: continuing training from a shipped bundle when its run directory is gone (a new machine), and
checking an exported bundle against its source.
"""

from __future__ import annotations

import copy
import os
import tempfile
from typing import Dict, List, Tuple

import numpy as np
import onnx
import torch
from onnx import numpy_helper
from torch import nn

from .config import AutoencConfig
from .export import GraphSpec, export_graph, graph_specs
from .nets import DiffAENet
from .onnx_weights import float16_initializers


class GraphImportError(ValueError):
    """The graph does not match the architecture it is read into."""


def _initializer_arrays(model: onnx.ModelProto) -> Dict[str, np.ndarray]:
    return {init.name: numpy_helper.to_array(init).astype(np.float32) for init in model.graph.initializer}


def _weight_casts(model: onnx.ModelProto) -> Dict[str, str]:
    """{Cast output: float16 initializer} for the weights `store_weights_fp16` put behind Cast nodes."""
    half = set(float16_initializers(model))
    return {n.output[0]: n.input[0] for n in model.graph.node if n.op_type == 'Cast' and n.input[0] in half}


def paired_initializers(probe: onnx.ModelProto, target: onnx.ModelProto) -> Dict[str, str]:
    """{probe initializer name: target initializer name} for two graphs traced from one architecture; the
    target may store weights as float16 (behind Cast nodes), the probe is plain float32."""
    casts = _weight_casts(target)
    target_nodes = [n for n in target.graph.node if not (n.op_type == 'Cast' and n.output[0] in casts)]
    probe_nodes = list(probe.graph.node)
    ops = [n.op_type for n in probe_nodes], [n.op_type for n in target_nodes]
    if ops[0] != ops[1]:
        first = next((i for i, (a, b) in enumerate(zip(*ops)) if a != b), min(map(len, ops)))
        raise GraphImportError(f'graph structure differs from the architecture ({len(ops[1])} nodes, '
                               f'expected {len(ops[0])}; first difference at node {first})')
    probe_inits = {i.name for i in probe.graph.initializer}
    target_inits = {i.name for i in target.graph.initializer}
    pairs: Dict[str, str] = {}
    for a, b in zip(probe_nodes, target_nodes):
        for name_a, name_b in zip(a.input, b.input):
            if name_a not in probe_inits:
                continue
            name_b = casts.get(name_b, name_b)
            if name_b not in target_inits:
                raise GraphImportError(f'{b.name or b.op_type}: input {name_b!r} is not a constant as in the probe')
            if pairs.setdefault(name_a, name_b) != name_b:
                raise GraphImportError(f'probe constant {name_a!r} pairs with two target constants')
    return pairs


def _candidate_views(value: np.ndarray) -> List[Tuple[str, np.ndarray]]:
    views = [('same', value.reshape(-1))]
    if value.ndim == 2:
        views.append(('transposed', value.T.reshape(-1)))
    return views


def _match_parameter(probe_value: np.ndarray, params: Dict[str, np.ndarray]):
    """(parameter name, view) whose values equal `probe_value` exactly; None for a graph constant."""
    flat = probe_value.reshape(-1)
    hits = [(name, view_name) for name, value in params.items() if value.size == flat.size
            for view_name, view in _candidate_views(value) if np.array_equal(view, flat)]
    if len(hits) > 1:
        raise GraphImportError(f'probe constant matches several parameters: {hits}')
    return hits[0] if hits else None


def _fill_distinct(module: nn.Module, seed: int) -> None:
    gen = torch.Generator().manual_seed(seed)
    with torch.no_grad():
        for p in module.parameters():
            p.copy_(torch.randn(p.shape, generator=gen) + 3.0)  # +3: no value near 0 or 1 as in fresh norms


def read_graph_weights(spec: GraphSpec, target_path: str, *, seed: int = 0) -> Dict[str, torch.Tensor]:
    """{parameter name of spec.module: tensor} read from the ONNX graph at `target_path`; parameters that
    the graph does not use (the encoder, in the UNet graph's wrapper) are absent."""
    probe = copy.deepcopy(spec.module)
    _fill_distinct(probe, seed)
    probe_spec = GraphSpec(spec.key, probe, spec.example, spec.inputs, spec.outputs)
    with tempfile.TemporaryDirectory() as folder:
        probe_path = os.path.join(folder, 'probe.onnx')
        export_graph(probe_spec, probe_path)
        probe_model = onnx.load(probe_path)
    target_model = onnx.load(target_path)
    probe_values, target_values = _initializer_arrays(probe_model), _initializer_arrays(target_model)
    params = {name: p.detach().numpy().astype(np.float32) for name, p in probe.named_parameters()}
    found: Dict[str, torch.Tensor] = {}
    for probe_name, target_name in paired_initializers(probe_model, target_model).items():
        match = _match_parameter(probe_values[probe_name], params)
        if match is None:
            continue  # a constant of the graph (shapes, frequencies), not a parameter
        name, view = match
        value = target_values[target_name]
        shape = params[name].shape
        if value.size != params[name].size:
            raise GraphImportError(f'{spec.key}: {target_name} holds {value.size} values where parameter {name} '
                                   f'of this architecture has shape {tuple(shape)}')
        tensor = value.reshape(shape[::-1]).T if view == 'transposed' else value.reshape(shape)
        if name in found and not np.array_equal(found[name].numpy(), tensor):
            raise GraphImportError(f'{spec.key}: parameter {name} appears twice with different values')
        found[name] = torch.from_numpy(np.ascontiguousarray(tensor))
    return found


def autoencoder_from_graphs(conf: AutoencConfig, encoder_path: str, unet_path: str) -> DiffAENet:
    """A DiffAENet (encoder + UNet, no latent net) holding the weights of a bundle's two graphs."""
    net = DiffAENet(conf.base()).eval()
    specs = {s.key: s for s in graph_specs(net)}
    net_name = {'encoder': lambda name: 'encoder.' + name,   # graph_specs exports net.encoder itself
                'unet': lambda name: name[len('net.'):]}      # and the UNet path wrapped as `net`
    state = {}
    for key, path in (('encoder', encoder_path), ('unet', unet_path)):
        for name, value in read_graph_weights(specs[key], path).items():
            state[net_name[key](name)] = value
    own = dict(net.named_parameters())
    missing = sorted(set(own) - set(state))
    if missing:
        raise GraphImportError(f'{len(missing)} parameters in neither graph: {missing[:5]}')
    with torch.no_grad():
        for name, value in state.items():
            own[name].copy_(value)
    return net


__all__ = ['GraphImportError', 'autoencoder_from_graphs', 'paired_initializers', 'read_graph_weights']
