"""The stage-1 objective: eps-prediction MSE at sampled timesteps, and the fixed-batch probe that tracks
whether the decoder uses z_sem."""
import torch
import torch.nn.functional as F

from .. import reference
from .data import to_model_input
from .metrics import coarse_error


def alpha_bar_table():
    return torch.from_numpy(reference.alphas_cumprod('linear')).float()


def sample_timesteps(n, high_share=0.0, high_from=500, num_steps=1000, device=None):
    """n timesteps: uniform over [0, num_steps), except a `high_share` fraction (rounded down) drawn
    uniformly from [high_from, num_steps). The loss is not reweighted: the mixture moves the training
    signal towards high noise, it is not an unbiased estimate of the uniform objective."""
    if not 0.0 <= high_share <= 1.0:
        raise ValueError(f'high_share must lie in [0, 1], got {high_share}')
    if not 0 <= high_from < num_steps:
        raise ValueError(f'high_from must lie in [0, {num_steps}), got {high_from}')
    n_high = int(n * high_share)
    t = torch.randint(0, num_steps, (n,), device=device)
    if n_high:
        t[:n_high] = torch.randint(high_from, num_steps, (n_high,), device=device)
    return t


MEAN_PHASE = {'high_share': 1.0, 'high_from': 900, 'coarse_weight': 1e-2}


def timestep_recipe(step, mean_phase_steps, high_share, high_from, coarse_weight):
    """(high_share, high_from, coarse_weight) of a training step.

    The first `mean_phase_steps` steps of a run train only at t >= 900 with the coarse-colour term
    (MEAN_PHASE): a decoder whose top levels are fresh learns there to follow the mean of x_t within a few
    hundred steps, while uniform-t steps teach those levels to discard it early, after which no high-t phase
    brings it back (docs/models/facesynth64-training.md). Later steps use the configured recipe."""
    if step < mean_phase_steps:
        return MEAN_PHASE['high_share'], MEAN_PHASE['high_from'], MEAN_PHASE['coarse_weight']
    return high_share, high_from, coarse_weight


def loss_weights(t, alpha_bar, x0_floor=0.0):
    """Per-sample weights on the eps-prediction MSE that give every timestep at least `x0_floor` weight on
    the error of the implied x0 prediction.

    With x_t = sqrt(ab) x0 + sqrt(1 - ab) eps, an x0 error d costs SNR(t) |d|^2 in the eps loss
    (SNR = ab / (1 - ab)), so at high noise (SNR ~ 1e-4 near t = 1000) the official uniform objective barely
    asks the decoder to predict the coarse image from z_sem, and random-x_T decodes take their colours from
    the noise. Weight max(1, x0_floor / SNR) keeps the eps loss where SNR >= x0_floor and weighs the x0
    error by x0_floor above that. 0 = the official objective (all weights 1). The sampler is unchanged."""
    if x0_floor < 0:
        raise ValueError(f'x0_floor must be >= 0, got {x0_floor}')
    ab = alpha_bar[t]
    return torch.clamp(x0_floor * (1 - ab) / ab, min=1.0)


def _noised(x0, t, noise, alpha_bar):
    """(x_t, ā_t broadcast over the image) of the forward process."""
    ab = alpha_bar[t].view(-1, 1, 1, 1)
    return ab.sqrt() * x0 + (1 - ab).sqrt() * noise, ab


def _predict(net, x0, t, noise, alpha_bar, z):
    """(x_t, ā_t, eps prediction) at the given timesteps; z defaults to the encoder's code of x0."""
    x_t, ab = _noised(x0, t, noise, alpha_bar)
    if z is None:
        z = net.encoder(x0)
    return x_t, ab, net(x_t, t.float(), z)


def _per_sample_mse(a, b):
    return F.mse_loss(a, b, reduction='none').mean(dim=(1, 2, 3))


def _x0_from_eps(x_t, ab, eps):
    return (x_t - (1 - ab).sqrt() * eps) / ab.sqrt()


def diffusion_loss(net, x0, t, noise, alpha_bar, z=None):
    _, _, eps = _predict(net, x0, t, noise, alpha_bar, z)
    return _per_sample_mse(eps, noise)


def training_losses(net, x0, t, noise, alpha_bar, target=None):
    """Per-sample (eps MSE against `target`, coarse error of the implied x0 on [-1, 1], eps MSE against
    the true noise) from one forward pass; `target` defaults to the true noise.

    The coarse term is what random-x_T decodes get wrong: near t = T the eps loss prices the implied x0's
    error at SNR(t) ~ 1e-4, and the decoder's mean-colour prediction there is worse than the dataset mean
    image (docs/models/facesynth64-training.md). Both terms are minimised by the same posterior mean, so
    adding the second reweights the objective without moving its optimum. The implied x0 is not clipped.
    A teacher's prediction as `target` (distillation_target) is an estimate of that posterior mean with
    far less variance than the noise itself."""
    x_t, ab, eps = _predict(net, x0, t, noise, alpha_bar, None)
    true_mse = _per_sample_mse(eps, noise)
    target_mse = true_mse if target is None else _per_sample_mse(eps, target)
    return target_mse, coarse_error(_x0_from_eps(x_t, ab, eps), x0), true_mse


@torch.no_grad()
def distillation_target(teacher, x0, t, noise, alpha_bar, below, noise_mean=False):
    """The eps target of each sample: the teacher's prediction (with the teacher's own z of x0) where
    t < below, the true noise elsewhere. A student of another architecture learns the teacher's use of z
    from it; above `below` it learns from the data what the teacher got wrong (the mean colour at high
    noise, for the 'small' teacher).

    noise_mean: the taught targets keep the teacher's prediction minus its per-channel image mean plus the
    true noise's. The 'small' teacher's predicted mean does not follow the mean of x_t (mean_colour_gain
    0.003), so distilling it as it is teaches the student the same blindness at every taught step; the
    noise's own mean is an unbiased, if noisy, target for that one number per channel."""
    target = noise.clone()
    taught = t < below
    if taught.any():
        _, _, eps = _predict(teacher, x0[taught], t[taught], noise[taught], alpha_bar, None)
        if noise_mean:
            eps = eps - eps.mean(dim=(2, 3), keepdim=True) + noise[taught].mean(dim=(2, 3), keepdim=True)
        target[taught] = eps
    return target


def implied_x0(net, x0, t, noise, alpha_bar, z):
    """The decoder's x0 prediction from x_t (clipped to [-1, 1], as the sampler does)."""
    x_t, ab, eps = _predict(net, x0, t, noise, alpha_bar, z)
    return _x0_from_eps(x_t, ab, eps).clamp(-1, 1)


def mean_colour_gain(net, x0, t, noise, alpha_bar, z, delta=0.05):
    """d mean(eps prediction) / d mean(x_t): how the decoder's predicted noise follows a constant added to
    x_t, averaged over images and channels. The ideal is 1 / sqrt(1 - ab) less the posterior's share, about
    1 at high noise; at 0 the implied x0's mean colour is the mean of x_t amplified by 1 / sqrt(ab) (157 at
    t = 999), so a random-x_T decode takes its global colour from the noise, whatever z says."""
    x_t, _ = _noised(x0, t, noise, alpha_bar)
    tt = t.float()
    moved = net(x_t + delta, tt, z).mean(dim=(2, 3)) - net(x_t, tt, z).mean(dim=(2, 3))
    return (moved / delta).mean().item()


class Probe:
    """Fixed validation batch, timesteps and noise: tracks whether z_sem carries information.

    gap = loss(shuffled z) / loss(own z) - 1; zero means the decoder ignores z_sem."""

    def __init__(self, val_images, alpha_bar, n=64, seed=1234):
        g = torch.Generator().manual_seed(seed)
        self.x0 = to_model_input(val_images[:n])
        n = self.x0.shape[0]
        self.t = torch.randint(100, 1000, (n,), generator=g)
        self.noise = torch.randn(self.x0.shape, generator=g)
        self.xT = torch.randn(self.x0.shape, generator=g)
        self.alpha_bar = alpha_bar

    @torch.no_grad()
    def measure(self, net, z=None):
        """z: the encoder's codes of the probe images, when the caller already has them."""
        z = net.encoder(self.x0) if z is None else z
        own = diffusion_loss(net, self.x0, self.t, self.noise, self.alpha_bar, z).mean().item()
        shuffled = diffusion_loss(net, self.x0, self.t, self.noise, self.alpha_bar, z.roll(1, 0)).mean().item()
        return {'probe_loss_own_z': own, 'probe_loss_shuffled_z': shuffled, 'probe_z_gap': shuffled / own - 1}

    @torch.no_grad()
    def random_xt_decodes(self, net, steps=20, n=16):
        z = net.encoder(self.x0[:n])
        return reference.render(net, self.xT[:n], z, steps)
