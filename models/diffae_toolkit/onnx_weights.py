"""Weight-only float16 storage for ONNX graphs (docs/architecture.md, "Weight-only fp16 storage").

Large float32 weights of Conv / MatMul / Gemm nodes are stored as float16 initializers, each followed
by a `Cast(to=FLOAT)` node, so files shrink by about half while every operator still computes in
float32. Only initializers consumed exclusively by those weight-carrying operators are converted:
tensors feeding anything else (the sinusoidal embedding's frequency table, norm affines, reshape
shapes) stay float32, so the timestep embedding is never touched.
"""

from __future__ import annotations

from collections import defaultdict
from dataclasses import dataclass
from typing import Dict, Iterable, List, Tuple

import numpy as np
import onnx
from onnx import TensorProto, helper, numpy_helper

WEIGHT_OPS = frozenset({"Conv", "MatMul", "Gemm"})
DEFAULT_MIN_ELEMENTS = 1024
_FP16_MAX = float(np.finfo(np.float16).max)
CAST_SUFFIX = "_fp32"


@dataclass(frozen=True)
class Fp16Report:
    converted: Tuple[str, ...]   # initializer names now stored as float16
    float32_bytes_before: int
    float16_bytes_after: int


def _consumers(graph: onnx.GraphProto) -> Dict[str, List[onnx.NodeProto]]:
    users: Dict[str, List[onnx.NodeProto]] = defaultdict(list)
    for node in graph.node:
        for name in node.input:
            if name:
                users[name].append(node)
    return users


def _has_subgraphs(graph: onnx.GraphProto) -> bool:
    return any(attr.type in (onnx.AttributeProto.GRAPH, onnx.AttributeProto.GRAPHS)
               for node in graph.node for attr in node.attribute)


def convertible_initializers(model: onnx.ModelProto, min_elements: int = DEFAULT_MIN_ELEMENTS) -> List[str]:
    """Names of float32 initializers with >= min_elements values used only by Conv/MatMul/Gemm nodes
    (and finite, inside the float16 range)."""
    graph = model.graph
    if _has_subgraphs(graph):
        raise ValueError("graphs with control-flow subgraphs are not supported by the fp16 weight converter")
    users = _consumers(graph)
    graph_outputs = {o.name for o in graph.output}
    names = []
    for init in graph.initializer:
        if init.data_type != TensorProto.FLOAT or init.name in graph_outputs:
            continue
        count = int(np.prod(init.dims)) if len(init.dims) else 1
        if count < min_elements:
            continue
        nodes = users.get(init.name, [])
        if not nodes or any(n.op_type not in WEIGHT_OPS for n in nodes):
            continue
        values = numpy_helper.to_array(init)
        if not np.all(np.isfinite(values)) or float(np.abs(values).max()) > _FP16_MAX:
            continue
        names.append(init.name)
    return names


def _unique_name(base: str, taken: set) -> str:
    name, i = base, 1
    while name in taken:
        name, i = f"{base}_{i}", i + 1
    taken.add(name)
    return name


def convert_weights_to_fp16(model: onnx.ModelProto, min_elements: int = DEFAULT_MIN_ELEMENTS) -> Fp16Report:
    """In place: store the convertible initializers as float16 behind Cast(to=FLOAT) nodes."""
    graph = model.graph
    targets = set(convertible_initializers(model, min_elements))
    taken = {n for node in graph.node for n in list(node.input) + list(node.output)}
    taken |= {i.name for i in graph.initializer} | {i.name for i in graph.input}
    renamed: Dict[str, str] = {}
    cast_nodes: List[onnx.NodeProto] = []
    before = after = 0
    for init in graph.initializer:
        if init.name not in targets:
            continue
        values = numpy_helper.to_array(init)
        before += values.nbytes
        half = numpy_helper.from_array(values.astype(np.float16), init.name)
        after += values.size * 2
        init.CopyFrom(half)
        cast_out = _unique_name(init.name + CAST_SUFFIX, taken)
        renamed[init.name] = cast_out
        cast_nodes.append(helper.make_node("Cast", [init.name], [cast_out], to=TensorProto.FLOAT,
                                           name=_unique_name(f"Cast{CAST_SUFFIX}/{init.name}", taken)))
    for node in graph.node:
        for i, name in enumerate(node.input):
            if name in renamed:
                node.input[i] = renamed[name]
    # Casts first keeps the node list topologically sorted (their only inputs are initializers).
    existing = list(graph.node)
    del graph.node[:]
    graph.node.extend(cast_nodes + existing)
    return Fp16Report(converted=tuple(sorted(targets)), float32_bytes_before=before, float16_bytes_after=after)


def initializer_dtypes(model: onnx.ModelProto) -> Dict[str, int]:
    """{initializer name: TensorProto data type}."""
    return {init.name: init.data_type for init in model.graph.initializer}


def float16_initializers(model: onnx.ModelProto) -> Iterable[str]:
    return (init.name for init in model.graph.initializer if init.data_type == TensorProto.FLOAT16)
