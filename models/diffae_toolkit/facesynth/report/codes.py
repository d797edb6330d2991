"""Batched network calls on the report's device; inversions are cached per (K, image) so sections share them."""
import numpy as np
import torch

from ... import reference
from ..data import to_model_input


class Codes:
    """Encodes, inverts and renders images of one split. Inputs/outputs are CPU tensors; the network runs on
    `device` in batches of `batch`. `unet_calls` counts image-evaluations of the UNet (the cost measure)."""

    def __init__(self, net, images_uint8, device, batch):
        self.net, self.images, self.device, self.batch = net, images_uint8, torch.device(device), batch
        self._z = {}
        self._xt = {}
        self.unet_calls = 0

    def pixels(self, indices):
        """Model input in [-1, 1], [N,3,H,W]."""
        return to_model_input(self.images[np.asarray(indices)])

    def z(self, indices):
        todo = [i for i in dict.fromkeys(int(i) for i in indices) if i not in self._z]
        for chunk in _chunks(todo, self.batch):
            with torch.no_grad():
                out = self.net.encoder(self.pixels(chunk).to(self.device)).float().cpu()
            self._z.update(zip(chunk, out))
        return torch.stack([self._z[int(i)] for i in indices])

    def x_t(self, indices, k):
        """Inferred x_T by DDIM inversion with K steps, conditioned on the image's own z."""
        cache = self._xt.setdefault(k, {})
        todo = [i for i in dict.fromkeys(int(i) for i in indices) if i not in cache]
        for chunk in _chunks(todo, self.batch):
            x = self.pixels(chunk).to(self.device)
            z = self.z(chunk).to(self.device)
            cache.update(zip(chunk, reference.encode_stochastic(self.net, x, z, k).cpu()))
            self.unet_calls += k * len(chunk)
        return torch.stack([cache[int(i)] for i in indices])

    def render(self, x_t, z, k):
        """DDIM decode in batches; returns images in [0, 1] on the CPU."""
        out = []
        for s in range(0, len(z), self.batch):
            xs, zs = x_t[s:s + self.batch].to(self.device), z[s:s + self.batch].to(self.device)
            out.append(reference.render(self.net, xs, zs, k).cpu())
            self.unet_calls += k * len(zs)
        return torch.cat(out) if out else torch.empty(0, *x_t.shape[1:])

    def latent_sample(self, prior, noise, k):
        out = []
        for s in range(0, len(noise), self.batch):
            n = noise[s:s + self.batch].to(self.device)
            out.append(reference.latent_sample(prior.net, n, k, prior.conds_mean, prior.conds_std).cpu())
        return torch.cat(out)


def _chunks(items, size):
    for s in range(0, len(items), size):
        yield items[s:s + size]


def gaussian(shape, seed):
    """Seeded N(0,1) on the CPU, so the same seed gives the same noise on any device."""
    return torch.randn(shape, generator=torch.Generator().manual_seed(seed))


def to_unit(x_model):
    """[-1, 1] model input -> [0, 1] image."""
    return (x_model + 1) / 2
