"""Tiny ONNX graphs with the bundle's input/output contract (opset 17, dynamic batch N), for
backend tests. The math (mirrored in the tests):
  encoder:      z   = mean_hw(x) @ W_enc            x [N,3,S,S] -> z [N,Z]
  lite_encoder: z   = max_hw(x) @ W_lite
  unet:         eps = A*x + B*t[:,None,None,None] + (z @ P)[:,:,None,None]
  latent:       eps = C*x + D*t[:,None]             x [N,Z]
Weights: W_enc[c,j] = (c+1)*(j+1)/10, W_lite[c,j] = (j-c)/5, P[j,c] = ((j+2*c) % 5 - 2)/10,
A=0.5, B=0.001, C=-0.25, D=0.002."""
import os
import sys

import numpy as np
import onnx
from onnx import TensorProto, helper, numpy_helper

out_dir, S, Z = sys.argv[1], int(sys.argv[2]), int(sys.argv[3])
c = np.arange(3)[:, None]
j = np.arange(Z)[None, :]
W_ENC = ((c + 1) * (j + 1) / 10).astype(np.float32)
W_LITE = ((j - c) / 5).astype(np.float32)
P = (((j + 2 * c) % 5 - 2) / 10).astype(np.float32).T.copy()  # [Z, 3]


def const(name, value):
    return numpy_helper.from_array(np.asarray(value), name)


def image_input(name):
    return helper.make_tensor_value_info(name, TensorProto.FLOAT, ["N", 3, S, S])


def save(name, nodes, inputs, outputs, inits):
    graph = helper.make_graph(nodes, name, inputs, outputs, inits)
    model = helper.make_model(graph, opset_imports=[helper.make_opsetid("", 17)])
    model.ir_version = 8
    onnx.checker.check_model(model)
    onnx.save(model, os.path.join(out_dir, name + ".onnx"))


z_out = helper.make_tensor_value_info("z", TensorProto.FLOAT, ["N", Z])
for name, pool, weight in (("encoder", "GlobalAveragePool", W_ENC), ("lite_encoder", "GlobalMaxPool", W_LITE)):
    save(
        name,
        [
            helper.make_node(pool, ["x"], ["pooled"]),
            helper.make_node("Flatten", ["pooled"], ["flat"], axis=1),
            helper.make_node("MatMul", ["flat", "W"], ["z"]),
        ],
        [image_input("x")],
        [z_out],
        [const("W", weight)],
    )

save(
    "unet",
    [
        helper.make_node("Mul", ["x", "A"], ["ax"]),
        helper.make_node("Unsqueeze", ["t", "axes123"], ["t4"]),
        helper.make_node("Mul", ["t4", "B"], ["bt"]),
        helper.make_node("MatMul", ["z", "P"], ["zp"]),
        helper.make_node("Unsqueeze", ["zp", "axes23"], ["zp4"]),
        helper.make_node("Add", ["ax", "bt"], ["s1"]),
        helper.make_node("Add", ["s1", "zp4"], ["eps"]),
    ],
    [
        image_input("x"),
        helper.make_tensor_value_info("t", TensorProto.FLOAT, ["N"]),
        helper.make_tensor_value_info("z", TensorProto.FLOAT, ["N", Z]),
    ],
    [helper.make_tensor_value_info("eps", TensorProto.FLOAT, ["N", 3, S, S])],
    [
        const("A", np.float32(0.5)),
        const("B", np.float32(0.001)),
        const("P", P),
        const("axes123", np.array([1, 2, 3], dtype=np.int64)),
        const("axes23", np.array([2, 3], dtype=np.int64)),
    ],
)

save(
    "latent",
    [
        helper.make_node("Mul", ["x", "C"], ["cx"]),
        helper.make_node("Unsqueeze", ["t", "axes1"], ["t2"]),
        helper.make_node("Mul", ["t2", "D"], ["dt"]),
        helper.make_node("Add", ["cx", "dt"], ["eps"]),
    ],
    [
        helper.make_tensor_value_info("x", TensorProto.FLOAT, ["N", Z]),
        helper.make_tensor_value_info("t", TensorProto.FLOAT, ["N"]),
    ],
    [helper.make_tensor_value_info("eps", TensorProto.FLOAT, ["N", Z])],
    [const("C", np.float32(-0.25)), const("D", np.float32(0.002)), const("axes1", np.array([1], dtype=np.int64))],
)
