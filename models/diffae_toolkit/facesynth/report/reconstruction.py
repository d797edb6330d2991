"""§1: reconstruction through inferred x_T (inversion and render with the same K) and random-x_T decodes."""
import numpy as np

from ..metrics import colour_mse, psnr, ssim
from .codes import gaussian, to_unit


def image_metrics(target01, output01):
    """Mean over images of per-image MSE, PSNR and SSIM, and the colour error, on [0, 1] images."""
    mse = ((output01 - target01) ** 2).mean(dim=(1, 2, 3)).numpy()
    return {'mse': float(mse.mean()), 'psnr': float(np.mean([psnr(m) for m in mse])),
            'ssim': float(ssim(target01, output01).mean()), 'colour_mse': colour_mse(target01, output01),
            'images': int(len(mse))}


def run(codes, indices, settings, pictures):
    """Returns (results, random-x_T decodes [N,3,H,W] in [0,1])."""
    target = to_unit(codes.pixels(indices))
    z = codes.z(indices)
    inferred, recons = {}, {}
    for k in settings.recon_steps:
        recons[k] = codes.render(codes.x_t(indices, k), z, k)
        inferred[str(k)] = image_metrics(target, recons[k])
    noise = gaussian(target.shape, settings.seed + 1)
    decodes = codes.render(noise, z, settings.random_xt_steps)
    random_xt = {**image_metrics(target, decodes), 'steps': settings.random_xt_steps}
    n = min(8, len(indices))
    best = max(settings.recon_steps)
    grid = pictures.grid('reconstruction.png', [target[:n], recons[best][:n], decodes[:n]], ncol=n)
    results = {'inferred_xt': inferred, 'random_xt': random_xt, 'grid': grid, 'grid_rows':
               ['input', f'inferred x_T, K={best}', f'random x_T, K={settings.random_xt_steps}']}
    return results, decodes
