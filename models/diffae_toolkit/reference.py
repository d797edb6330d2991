"""Reference DiffAE sampler written from the facts sheet (§1-4, 7-9). Used by tests and reports only.

Schedules are float64 numpy; per-step coefficients A = sqrt(1/ā), B = sqrt(1/ā - 1) and P = ā_prev
(or ā_next) are computed in float64 and cast to float32; sqrt(P), sqrt(1-P) are taken in float32 (§3).
Networks are any callables: eps_fn(x, t, z) for the UNet, latent_fn(x, t) for the latent net, with t a
float32 tensor [N] of ORIGINAL timesteps.
"""

from __future__ import annotations

import math
from dataclasses import dataclass
from typing import Callable, Mapping, Optional, Sequence, Tuple, Union

import numpy as np
import torch
from torch import Tensor

NUM_TIMESTEPS = 1000
MANIPULATION_SCALE = math.sqrt(512)  # literal of the official recipe, independent of the z width (§8)

EpsFn = Callable[[Tensor, Tensor, Tensor], Tensor]
LatentFn = Callable[[Tensor, Tensor], Tensor]
StepCallback = Callable[[int, Tensor, Tensor], None]


class InvalidStepCount(ValueError):
    """K is not one of the step counts the respacing rule can produce (§2)."""


def betas(kind: str = "linear") -> np.ndarray:
    """β_t for t = 0..999 in float64 (§1)."""
    if kind == "linear":
        return np.linspace(1e-4, 0.02, NUM_TIMESTEPS, dtype=np.float64)
    if kind == "const0.008":
        return np.full(NUM_TIMESTEPS, 0.008, dtype=np.float64)
    raise ValueError(f"unknown beta schedule {kind!r}; expected 'linear' or 'const0.008'")


def alphas_cumprod(kind: str = "linear") -> np.ndarray:
    return np.cumprod(1.0 - betas(kind))


def respace_stride(k: int) -> int:
    """Smallest stride s in 1..999 with len(range(0, 1000, s)) == K; InvalidStepCount if none."""
    if isinstance(k, bool) or not isinstance(k, (int, np.integer)):
        raise InvalidStepCount(f"step count must be an integer, got {k!r}")
    for stride in range(1, NUM_TIMESTEPS):
        if len(range(0, NUM_TIMESTEPS, stride)) == k:
            return stride
    raise InvalidStepCount(f"cannot respace {NUM_TIMESTEPS} steps to K={k}: valid K are {valid_step_counts()}")


def valid_step_counts() -> Tuple[int, ...]:
    return tuple(sorted({len(range(0, NUM_TIMESTEPS, s)) for s in range(1, NUM_TIMESTEPS)}))


@dataclass(frozen=True)
class Respaced:
    """A K-step DDIM schedule: kept original timesteps τ_j and the recomputed ā arrays (float64)."""

    timesteps: np.ndarray        # int64 [K], τ_j = j·stride
    alpha_bar: np.ndarray        # [K]
    alpha_bar_prev: np.ndarray   # [K], ā_{j-1}, 1 at j = 0
    alpha_bar_next: np.ndarray   # [K], ā_{j+1}, 0 at j = K-1

    @property
    def steps(self) -> int:
        return len(self.timesteps)

    def coefficients(self, j: int) -> Tuple[np.float32, np.float32, np.float32, np.float32]:
        """(A_j, B_j, P_j, N_j) as float32: sqrt(1/ā), sqrt(1/ā - 1), ā_prev, ā_next."""
        a = self.alpha_bar[j]
        return (np.float32(np.sqrt(1.0 / a)), np.float32(np.sqrt(1.0 / a - 1.0)),
                np.float32(self.alpha_bar_prev[j]), np.float32(self.alpha_bar_next[j]))


def respace(k: int, kind: str = "linear") -> Respaced:
    stride = respace_stride(k)
    timesteps = np.arange(0, NUM_TIMESTEPS, stride, dtype=np.int64)
    original = alphas_cumprod(kind)
    new_betas = []
    last = 1.0
    for tau in timesteps:
        new_betas.append(1.0 - original[tau] / last)
        last = original[tau]
    alpha_bar = np.cumprod(1.0 - np.asarray(new_betas, dtype=np.float64))
    return Respaced(
        timesteps=timesteps,
        alpha_bar=alpha_bar,
        alpha_bar_prev=np.append(1.0, alpha_bar[:-1]),
        alpha_bar_next=np.append(alpha_bar[1:], 0.0),
    )


def ddim_step(x: Tensor, eps: Tensor, a: np.float32, b: np.float32, target: np.float32, clip: bool) -> Tensor:
    """One η = 0 DDIM move of x to the noise level `target` (ā_prev when sampling, ā_next when inverting)."""
    a_t = torch.tensor(a, dtype=torch.float32, device=x.device)
    b_t = torch.tensor(b, dtype=torch.float32, device=x.device)
    p_t = torch.tensor(target, dtype=torch.float32, device=x.device)
    x0 = a_t * x - b_t * eps
    if clip:
        x0 = x0.clamp(-1.0, 1.0)
    eps_rederived = (a_t * x - x0) / b_t
    return x0 * torch.sqrt(p_t) + torch.sqrt(1.0 - p_t) * eps_rederived


def _timestep_batch(tau: int, n: int, device: torch.device) -> Tensor:
    return torch.full((n,), float(tau), dtype=torch.float32, device=device)


def _run(call: Callable[[Tensor, Tensor], Tensor], x: Tensor, schedule: Respaced, *, reverse: bool, clip: bool,
         on_step: Optional[StepCallback]) -> Tensor:
    order = range(schedule.steps - 1, -1, -1) if reverse else range(schedule.steps)
    with torch.no_grad():
        x = x.to(torch.float32)
        for j in order:
            a, b, prev, nxt = schedule.coefficients(j)
            eps = call(x, _timestep_batch(int(schedule.timesteps[j]), x.shape[0], x.device)).to(torch.float32)
            x = ddim_step(x, eps, a, b, prev if reverse else nxt, clip)
            if on_step is not None:
                on_step(j, x, eps)
    return x


def render(net: EpsFn, x_t: Tensor, z: Tensor, k: int, clip: bool = True,
           on_step: Optional[StepCallback] = None) -> Tensor:
    """§3: DDIM from x_T down to t = 0 conditioned on z; returns (x+1)/2 in [0,1].

    on_step(j, x, eps) is called after each step with the respaced index j, the new x and the raw eps."""
    x = _run(lambda x, t: net(x, t, z), x_t, respace(k, "linear"), reverse=True, clip=clip, on_step=on_step)
    return (x + 1) / 2


def encode_stochastic(net: EpsFn, x: Tensor, z: Tensor, k: int, clip: bool = True,
                      on_step: Optional[StepCallback] = None) -> Tensor:
    """§4: DDIM inversion of an image x in [-1,1] to x_T (first evaluation at t = 0 on the clean image)."""
    return _run(lambda x, t: net(x, t, z), x, respace(k, "linear"), reverse=False, clip=clip, on_step=on_step)


def latent_sample(latent_net: LatentFn, noise: Tensor, k: int, mean: Tensor, std: Tensor,
                  on_step: Optional[StepCallback] = None) -> Tensor:
    """§7: latent DDIM (const0.008, no clip) from noise [N,Z], then z = z_n·std + mean."""
    zn = _run(latent_net, noise, respace(k, "const0.008"), reverse=True, clip=False, on_step=on_step)
    return zn * std.reshape(1, -1).to(zn) + mean.reshape(1, -1).to(zn)


def _classifier_weight(classifier) -> Tensor:
    weight = getattr(classifier, "weight", classifier)
    if not isinstance(weight, Tensor) or weight.dim() != 2:
        raise ValueError("classifier must be ClassifierWeights or a weight tensor [A, Z]")
    return weight


def manipulate_z(z: Tensor, classifier, amplitudes: Mapping[int, float], mean: Optional[Tensor] = None,
                 std: Optional[Tensor] = None) -> Tensor:
    """§8: z' = ((z - μ)/σ + Σ_k a_k·√512·W[k]/‖W[k]‖)·σ + μ, with the literal √512.

    `mean`/`std` default to the classifier's own conds_mean/conds_std."""
    weight = _classifier_weight(classifier)
    mean = mean if mean is not None else classifier.conds_mean
    std = std if std is not None else classifier.conds_std
    mean, std = mean.reshape(1, -1).to(z), std.reshape(1, -1).to(z)
    zn = (z - mean) / std
    step = None
    for index, amplitude in amplitudes.items():
        if not 0 <= index < weight.shape[0]:
            raise IndexError(f"attribute index {index} out of range 0..{weight.shape[0] - 1}")
        row = weight[index].to(z)
        direction = row / row.norm().clamp_min(1e-12)
        move = (float(amplitude) * MANIPULATION_SCALE) * direction
        step = move if step is None else step + move
    if step is not None:
        zn = zn + step
    return zn * std + mean


def default_alphas(n: int = 10) -> Tensor:
    return torch.linspace(0, 1, n, dtype=torch.float32)


def interpolate(z0: Tensor, z1: Tensor, xt0: Tensor, xt1: Tensor,
                alphas: Union[Tensor, Sequence[float], None] = None) -> Tuple[Tensor, Tensor]:
    """§9: lerp of z, slerp of x_T (θ from the normalised flattened codes, raw codes combined).

    Inputs are single codes ([Z] or [1,Z]; [3,S,S] or [1,3,S,S]); returns (z [A,Z], x_T [A,3,S,S])."""
    alphas = default_alphas() if alphas is None else torch.as_tensor(alphas, dtype=torch.float32)
    z0, z1 = z0.reshape(1, -1), z1.reshape(1, -1)
    image_shape = xt0.shape[-3:]
    a0, a1 = xt0.reshape(-1), xt1.reshape(-1)
    cos = torch.dot(a0 / a0.norm(), a1 / a1.norm()).clamp(-1.0, 1.0)
    theta = torch.arccos(cos)
    al = alphas.reshape(-1, 1)
    z = (1 - al) * z0 + al * z1
    xt = (torch.sin((1 - al) * theta) * a0 + torch.sin(al * theta) * a1) / torch.sin(theta)
    return z, xt.reshape(-1, *image_shape)


def vary(net: EpsFn, z: Tensor, x_ts: Tensor, k: int, clip: bool = True) -> Tensor:
    """Render one z with several stochastic codes x_T [M,3,S,S]; returns M images in [0,1]."""
    zs = z.reshape(1, -1).expand(x_ts.shape[0], -1)
    return render(net, x_ts, zs, k, clip=clip)
