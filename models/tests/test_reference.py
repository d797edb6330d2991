"""The reference sampler against the facts sheet: schedules (§1), respacing (§2), DDIM closed forms (§3-4),
latent sampling (§7), manipulation (§8) and interpolation (§9)."""

import math

import numpy as np
import pytest
import torch

from diffae_toolkit import reference as ref

VALID_K = list(range(2, 37)) + [38, 39, 40, 42, 44, 46, 48, 50, 53, 56, 59, 63, 67, 72, 77, 84, 91, 100, 112, 125,
                                 143, 167, 200, 250, 334, 500, 1000]


def test_beta_schedules():
    linear = ref.betas("linear")
    assert linear.dtype == np.float64 and linear.shape == (1000,)
    assert linear[0] == 1e-4 and linear[-1] == 0.02
    assert np.all(ref.betas("const0.008") == 0.008)
    with pytest.raises(ValueError, match="cosine"):
        ref.betas("cosine")


def test_alpha_bar_values():
    a = ref.alphas_cumprod("linear")
    assert a[0] == pytest.approx(0.9999, abs=1e-15)
    assert a[500] == pytest.approx(0.077797, rel=1e-4)
    assert a[950] == pytest.approx(1.0604e-4, rel=1e-4)
    assert a[999] == pytest.approx(4.0358e-5, rel=1e-4)
    c = ref.alphas_cumprod("const0.008")
    assert c[0] == pytest.approx(0.992, abs=1e-15)
    assert c[999] == pytest.approx(3.2484e-4, rel=1e-4)


def test_valid_step_counts():
    assert list(ref.valid_step_counts()) == VALID_K
    assert len(VALID_K) == 62
    for k in VALID_K:
        schedule = ref.respace(k)
        assert schedule.steps == k and schedule.timesteps[0] == 0


@pytest.mark.parametrize("k", [1, 37, 45, 60, 75, 150, 300, 400, 0, 1001])
def test_invalid_step_counts(k):
    with pytest.raises(ref.InvalidStepCount, match=f"K={k}"):
        ref.respace(k)


@pytest.mark.parametrize("k,stride", [(2, 500), (3, 334), (5, 200), (10, 100), (20, 50), (50, 20), (100, 10),
                                      (125, 8), (200, 5), (250, 4), (500, 2), (1000, 1)])
def test_respace_table(k, stride):
    schedule = ref.respace(k)
    assert ref.respace_stride(k) == stride
    assert list(schedule.timesteps) == [j * stride for j in range(k)]
    assert schedule.timesteps[-1] == (k - 1) * stride


@pytest.mark.parametrize("kind", ["linear", "const0.008"])
def test_respaced_alpha_bar(kind):
    schedule = ref.respace(20, kind)
    original = ref.alphas_cumprod(kind)
    np.testing.assert_allclose(schedule.alpha_bar, original[schedule.timesteps], rtol=1e-12)
    assert schedule.alpha_bar_prev[0] == 1.0 and schedule.alpha_bar_next[-1] == 0.0
    np.testing.assert_array_equal(schedule.alpha_bar_prev[1:], schedule.alpha_bar[:-1])
    np.testing.assert_array_equal(schedule.alpha_bar_next[:-1], schedule.alpha_bar[1:])


def test_coefficients_cast_from_float64():
    schedule = ref.respace(10)
    a, b, p, n = schedule.coefficients(3)
    assert all(isinstance(v, np.float32) for v in (a, b, p, n))
    abar = schedule.alpha_bar[3]
    assert a == np.float32(np.sqrt(1.0 / abar)) and b == np.float32(np.sqrt(1.0 / abar - 1.0))
    assert p == np.float32(schedule.alpha_bar[2]) and n == np.float32(schedule.alpha_bar[4])


class ConstantEps:
    """A fake network returning fixed noise and recording its calls."""

    def __init__(self, eps):
        self.eps = eps
        self.calls = []

    def __call__(self, x, t, z=None):
        self.calls.append((x.clone(), t.clone()))
        return self.eps


def _seeded(shape, seed):
    return torch.randn(shape, generator=torch.Generator().manual_seed(seed))


def test_render_with_true_noise_recovers_x0():
    x0 = torch.rand(2, 3, 8, 8, generator=torch.Generator().manual_seed(0)) * 1.6 - 0.8
    noise = _seeded((2, 3, 8, 8), 1)
    schedule = ref.respace(20)
    a_last = schedule.alpha_bar[-1]
    x_t = (math.sqrt(a_last) * x0 + math.sqrt(1 - a_last) * noise).float()
    fake = ConstantEps(noise)
    steps = []
    image = ref.render(fake, x_t, torch.zeros(2, 4), 20, on_step=lambda j, x, eps: steps.append(j))
    torch.testing.assert_close(image, (x0 + 1) / 2, atol=2e-5, rtol=0)
    assert steps == list(range(19, -1, -1))
    timesteps = [float(t[0]) for _, t in fake.calls]
    assert timesteps == [float(v) for v in schedule.timesteps[::-1]]
    assert all(t.dtype == torch.float32 and t.shape == (2,) for _, t in fake.calls)


def test_render_output_is_clipped_into_unit_range():
    # eps unrelated to x: the last step returns the clipped x0 prediction, exactly inside [0, 1].
    image = ref.render(lambda x, t, z: torch.sin(3 * x) * 2, _seeded((1, 3, 8, 8), 2) * 3, None, 5)
    assert float(image.min()) >= 0.0 and float(image.max()) <= 1.0
    assert float(image.min()) == 0.0 and float(image.max()) == 1.0


def test_ddim_step_recomputes_eps_from_clipped_x0():
    a, b, p = np.float32(2.0), np.float32(1.0), np.float32(0.25)
    x = torch.tensor([1.0])
    eps = torch.tensor([-2.0])          # x0 = 2*1 - (-2) = 4 -> clipped to 1; eps' = (2 - 1)/1 = 1
    out = ref.ddim_step(x, eps, a, b, p, clip=True)
    assert torch.equal(out, torch.tensor([1.0 * 0.5 + math.sqrt(0.75) * 1.0], dtype=torch.float32))
    unclipped = ref.ddim_step(x, eps, a, b, p, clip=False)   # x0 = 4, eps' = -2
    assert torch.allclose(unclipped, torch.tensor([4 * 0.5 + math.sqrt(0.75) * -2.0]))


def test_inversion_with_true_noise_returns_the_noise():
    x0 = torch.rand(1, 3, 8, 8, generator=torch.Generator().manual_seed(3)) * 1.6 - 0.8
    noise = _seeded((1, 3, 8, 8), 4)
    a0 = ref.respace(10).alpha_bar[0]
    image = (math.sqrt(a0) * x0 + math.sqrt(1 - a0) * noise).float()   # on the (x0, noise) line at t = 0
    fake = ConstantEps(noise)
    steps = []
    x_t = ref.encode_stochastic(fake, image, torch.zeros(1, 4), 10, on_step=lambda j, x, eps: steps.append(j))
    torch.testing.assert_close(x_t, noise, atol=5e-4, rtol=0)
    assert steps == list(range(10))
    assert float(fake.calls[0][1][0]) == 0.0 and torch.equal(fake.calls[0][0], image)  # t = 0 on the clean image


def test_latent_sample_has_no_clip_and_denormalises():
    noise = _seeded((3, 16), 5)
    mean, std = torch.linspace(-1, 1, 16), torch.linspace(0.5, 2, 16)
    z = ref.latent_sample(lambda x, t: torch.zeros_like(x), noise, 20, mean, std)
    # eps = 0: each step scales by sqrt(ā_prev/ā), telescoping to 1/sqrt(ā_{K-1}) (far outside [-1, 1]).
    scale = 1.0 / math.sqrt(ref.respace(20, "const0.008").alpha_bar[-1])
    torch.testing.assert_close(z, noise * scale * std + mean, rtol=1e-4, atol=1e-4)
    assert float(((z - mean) / std).abs().max()) > 10


def test_manipulate_single_and_several_attributes():
    z = _seeded((2, 64), 6)
    weight = _seeded((5, 64), 7)
    mean, std = _seeded((64,), 8) * 0.1, torch.rand(64, generator=torch.Generator().manual_seed(9)) + 0.5
    unit = weight / weight.norm(dim=1, keepdim=True)
    one = ref.manipulate_z(z, weight, {2: 0.3}, mean, std)
    torch.testing.assert_close((one - mean) / std - (z - mean) / std,
                               (0.3 * math.sqrt(512) * unit[2]).expand(2, -1), atol=1e-4, rtol=0)
    both = ref.manipulate_z(z, weight, {2: 0.3, 4: -0.2}, mean, std)
    torch.testing.assert_close((both - mean) / std - (z - mean) / std,
                               (math.sqrt(512) * (0.3 * unit[2] - 0.2 * unit[4])).expand(2, -1), atol=1e-4, rtol=0)
    torch.testing.assert_close(ref.manipulate_z(z, weight, {}, mean, std), z, atol=1e-5, rtol=0)
    with pytest.raises(IndexError):
        ref.manipulate_z(z, weight, {5: 0.1}, mean, std)


def test_interpolate_lerp_and_slerp():
    z0, z1 = _seeded((8,), 10), _seeded((8,), 11)
    a, b = _seeded((1, 3, 4, 4), 12), _seeded((1, 3, 4, 4), 13)
    b = b * (a.norm() / b.norm())
    zs, xs = ref.interpolate(z0, z1, a, b)
    assert zs.shape == (10, 8) and xs.shape == (10, 3, 4, 4)
    torch.testing.assert_close(zs[0], z0)
    torch.testing.assert_close(zs[-1], z1, atol=1e-6, rtol=0)
    torch.testing.assert_close(xs[0], a[0], atol=1e-5, rtol=0)
    torch.testing.assert_close(xs[-1], b[0], atol=1e-5, rtol=0)
    norms = xs.flatten(1).norm(dim=1)
    torch.testing.assert_close(norms, torch.full((10,), float(a.norm())), rtol=1e-4, atol=0)  # equal norms stay
    assert float((xs[5].flatten() - (a + b).flatten() / 2).norm()) > 0.1  # not a straight line


def test_vary_renders_one_z_with_several_codes():
    seen = []

    def eps(x, t, z):
        seen.append(z.shape)
        return x * 0.5

    images = ref.vary(eps, torch.ones(1, 4), _seeded((3, 3, 8, 8), 14), 5)
    assert images.shape == (3, 3, 8, 8) and seen[0] == (3, 4)
    assert not torch.allclose(images[0], images[1])
