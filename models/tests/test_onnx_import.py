"""onnx_import: a bundle's encoder and UNet graphs read back into PyTorch weights."""

import dataclasses

import pytest
import torch

from diffae_toolkit.config import AutoencConfig
from diffae_toolkit.export import export_graph, fp16_rounded_copy, graph_specs, store_weights_fp16
from diffae_toolkit.fixtures import random_net
from diffae_toolkit.onnx_import import GraphImportError, autoencoder_from_graphs

CONF = AutoencConfig(
    name="import_test", img_size=16, net_ch=16, ch_mult=(1, 2), enc_channel_mult=(1, 2), attn_resolutions=(8,),
    num_res_blocks=1, enc_num_res_blocks=1, embed_channels=32, z_dim=24, dropout=0.0)


def _export(net, folder, fp16):
    paths = {}
    for spec in graph_specs(net):
        paths[spec.key] = str(folder / f"{spec.key}.onnx")
        export_graph(spec, paths[spec.key])
        if fp16:
            store_weights_fp16(paths[spec.key], min_elements=256)
    return paths


@pytest.mark.parametrize("fp16", [False, True], ids=["fp32", "fp16"])
def test_recovers_every_parameter(tmp_path, fp16):
    source = random_net(CONF, seed=11).eval()
    paths = _export(source, tmp_path, fp16)
    recovered = autoencoder_from_graphs(CONF, paths["encoder"], paths["unet"])
    # fp16 storage rounds the large Conv/Linear tensors; everything else (GroupNorm scales, which the tracer
    # renames) comes back exactly
    expected = fp16_rounded_copy(source, min_elements=256) if fp16 else source
    want, got = expected.state_dict(), recovered.state_dict()
    assert set(got) == set(want)
    for name in want:
        assert torch.equal(got[name], want[name]), name
    x, t = torch.rand(2, 3, 16, 16) * 2 - 1, torch.tensor([3.0, 700.0])
    with torch.no_grad():
        z = recovered.encoder(x)
        assert torch.equal(z, expected.encoder(x))
        assert torch.equal(recovered(x, t, z), expected(x, t, z))


def test_refuses_graphs_of_another_architecture(tmp_path):
    paths = _export(random_net(CONF, seed=1).eval(), tmp_path, fp16=False)
    wider = dataclasses.replace(CONF, name="wider", net_ch=32)
    with pytest.raises(GraphImportError, match="graph structure differs|holds .* values where parameter"):
        autoencoder_from_graphs(wider, paths["encoder"], paths["unet"])
