"""Forward semantics of our blocks against direct transcriptions of the facts sheet formulas."""

import math

import pytest
import torch
import torch.nn.functional as F

from diffae_toolkit.fixtures import random_net
from diffae_toolkit.nets import AttentionBlock, GroupNorm32, ResBlock, group_count, timestep_embedding
from diffae_toolkit.nets.latent import MLPSkipNet


def test_timestep_embedding_cos_first_float32():
    t = torch.tensor([0.0, 3.0, 999.0], dtype=torch.float64)
    emb = timestep_embedding(t, 8)
    assert emb.dtype == torch.float32 and emb.shape == (3, 8)
    i = torch.arange(4, dtype=torch.float32)
    freqs = torch.exp(-math.log(10000) * i / 4)
    expected = torch.cat([torch.cos(3.0 * freqs), torch.sin(3.0 * freqs)])
    assert torch.allclose(emb[1], expected, atol=1e-6)
    assert torch.equal(emb[0], torch.tensor([1.0] * 4 + [0.0] * 4))


def test_group_count():
    assert [group_count(c) for c in (16, 32, 64, 128, 384, 48, 96)] == [16, 32, 32, 32, 32, 24, 32]


def test_groupnorm32_computes_in_float32():
    gn = GroupNorm32(2, 4)
    x = (torch.randn(2, 4, 3, 3) * 100).to(torch.bfloat16)
    out = gn(x)
    assert out.dtype == torch.bfloat16
    assert torch.equal(out, F.group_norm(x.float(), 2, gn.weight, gn.bias, 1e-5).to(torch.bfloat16))


def _gn(x, channels):
    return F.group_norm(x, group_count(channels), None, None, 1e-5)


def test_conditioned_resblock_formula():
    torch.manual_seed(0)
    block = ResBlock(8, 16, emb_ch=12, cond_ch=10).eval()
    x, temb, z = torch.randn(2, 8, 6, 6), torch.randn(2, 12), torch.randn(2, 10)
    with torch.no_grad():
        for norm in (block.in_layers[0], block.out_layers[0]):
            norm.weight.uniform_(0.5, 1.5)
            norm.bias.uniform_(-0.5, 0.5)
        out = block(x, temb, z)
        in_gn, conv1 = block.in_layers[0], block.in_layers[2]
        h = conv1(F.silu(F.group_norm(x, 8, in_gn.weight, in_gn.bias, 1e-5)))
        st = block.emb_layers[1](F.silu(temb))
        scale, shift = st[:, :16, None, None], st[:, 16:, None, None]
        sz = block.cond_emb_layers[1](F.silu(z))[:, :, None, None]
        og = block.out_layers[0]
        h = (F.group_norm(h, 16, og.weight, og.bias, 1e-5) * (1 + scale) + shift) * (1 + sz)
        h = block.out_layers[3](F.silu(h))
        expected = block.skip_connection(x) + h
    assert torch.allclose(out, expected, atol=1e-5)


@pytest.mark.parametrize("resample", ["down", "up"])
def test_resampling_unconditioned_resblock(resample):
    torch.manual_seed(1)
    block = ResBlock(8, 8, resample=resample).eval()
    x = torch.randn(1, 8, 8, 8)
    with torch.no_grad():
        out = block(x)
        pool = (lambda v: F.avg_pool2d(v, 2)) if resample == "down" else (lambda v: F.interpolate(v, scale_factor=2))
        h = block.in_layers[2](pool(F.silu(_gn(x, 8))))
        expected = pool(x) + h
    assert out.shape == expected.shape
    assert torch.allclose(out, expected, atol=1e-5)


@pytest.mark.parametrize("heads", [1, 2])
def test_attention_legacy_layout(heads):
    torch.manual_seed(2)
    c, n = 8, 2
    block = AttentionBlock(c, heads).eval()
    x = torch.randn(n, c, 3, 4)
    with torch.no_grad():
        out = block(x)
        qkv = block.qkv(_gn(x.flatten(2), c))                       # [N, 3C, T]
        hc = c // heads
        parts = []
        for h in range(heads):
            group = qkv[:, h * 3 * hc:(h + 1) * 3 * hc]            # [q_h; k_h; v_h]
            q, k, v = group[:, :hc], group[:, hc:2 * hc], group[:, 2 * hc:]
            w = torch.softmax(torch.einsum("nct,ncs->nts", q, k) / math.sqrt(hc), dim=-1)
            parts.append(torch.einsum("nts,ncs->nct", w, v))
        expected = x + block.proj_out(torch.cat(parts, dim=1)).reshape(x.shape)
    assert torch.allclose(out, expected, atol=1e-5)


def test_latent_net_formula(tiny_conf):
    torch.manual_seed(3)
    net = MLPSkipNet(tiny_conf.latent).eval()
    x, t = torch.randn(3, 64), torch.tensor([0.0, 10.0, 999.0])
    with torch.no_grad():
        for layer in net.layers[:-1]:
            layer.norm.weight.uniform_(0.5, 1.5)
        out = net(x, t)
        tc = net.time_embed[2](F.silu(net.time_embed[0](timestep_embedding(t, 16))))
        h = x
        for i, layer in enumerate(net.layers):
            if i:
                h = torch.cat([h, x], 1)
            h = layer.linear(h)
            if i < len(net.layers) - 1:
                h = h * (1 + layer.linear_emb(F.silu(tc)))
                h = F.silu(F.layer_norm(h, (h.shape[1],), layer.norm.weight, layer.norm.bias, 1e-5))
    assert torch.allclose(out, h, atol=1e-5)


def test_per_sample_timesteps_and_batch_independence(tiny_conf):
    net = random_net(tiny_conf, seed=4)
    x = torch.rand(3, 3, 32, 32) * 2 - 1
    t = torch.tensor([0.0, 480.0, 999.0])
    with torch.no_grad():
        z = net.encode(x)
        eps = net(x, t, z)
        single = torch.cat([net(x[i:i + 1], t[i:i + 1], z[i:i + 1]) for i in range(3)])
        lat = net.latent_net(z, t)
        lat_single = torch.cat([net.latent_net(z[i:i + 1], t[i:i + 1]) for i in range(3)])
    assert z.shape == (3, 64) and eps.shape == x.shape and lat.shape == (3, 64)
    assert torch.allclose(eps, single, atol=1e-5)
    assert torch.allclose(lat, lat_single, atol=1e-5)
    assert not torch.allclose(eps[0], eps[1])
    # the fixture calibration keeps outputs O(1)
    assert 0.3 < float(eps.std()) < 3 and 0.3 < float(z.std()) < 3


def test_eval_mode_disables_dropout(tiny_conf):
    net = random_net(tiny_conf, seed=5)
    x = torch.rand(1, 3, 32, 32)
    with torch.no_grad():
        z = net.encode(x)
        assert torch.equal(net(x, torch.tensor([5.0]), z), net(x, torch.tensor([5.0]), z))
