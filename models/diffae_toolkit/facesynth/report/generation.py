"""§4: interpolation strips (lerp z, slerp x_T), unconditional samples (latent DDIM, then render) and
Fréchet distances on the pixel classifier's penultimate features."""
import numpy as np
import torch

from ... import reference
from .codes import gaussian
from .frechet import frechet_distance
from .pixel_classifier import judge


def interpolation(codes, indices, settings, pictures):
    pairs = [(int(indices[2 * p]), int(indices[2 * p + 1])) for p in range(min(settings.interp_pairs,
                                                                               len(indices) // 2))]
    if not pairs:
        return {'skipped': 'fewer than two images'}
    alphas = torch.linspace(0, 1, settings.interp_frames)
    zs, xts = [], []
    for a, b in pairs:
        z, x_t = codes.z([a, b]), codes.x_t([a, b], settings.interp_steps)
        zi, xi = reference.interpolate(z[0], z[1], x_t[0], x_t[1], alphas)
        zs.append(zi)
        xts.append(xi)
    frames = codes.render(torch.cat(xts), torch.cat(zs), settings.interp_steps)
    strip = pictures.grid('interpolation.png', list(frames.split(settings.interp_frames)),
                          ncol=settings.interp_frames)
    return {'pairs': pairs, 'frames': settings.interp_frames, 'steps': settings.interp_steps, 'grid': strip}


def samples(run, codes, settings, pictures):
    if run.latent is None:
        return {'skipped': run.missing.get('latent', 'no latent DPM')}, None
    n = settings.samples
    z = codes.latent_sample(run.latent, gaussian((n, run.conf.z_dim), settings.seed + 2), settings.latent_steps)
    images = codes.render(gaussian((n, 3, run.conf.img_size, run.conf.img_size), settings.seed + 3), z,
                          settings.sample_steps)
    grid = pictures.grid('samples.png', [images[:32]], ncol=8)
    return {'images': n, 'latent_steps': settings.latent_steps, 'render_steps': settings.sample_steps,
            'grid': grid}, images


def frechet(judge_model, device, split_images, train_images, decodes, sample_images, seed):
    """Every set is cut to the same size n so the (n-dependent) bias of the estimate is shared."""
    sets = {'split': split_images, 'decodes': decodes}
    if sample_images is not None:
        sets['samples'] = sample_images
    n = min(len(v) for v in sets.values())
    rng = np.random.default_rng(seed)
    train_pick = np.sort(rng.choice(len(train_images), size=min(n, len(train_images)), replace=False))
    feats = {k: judge(judge_model, v[:n], device)[1] for k, v in sets.items()}
    feats['train'] = judge(judge_model, train_images[train_pick], device)[1]
    out = {'images': int(n), 'feature_dim': int(feats['split'].shape[1]),
           'split_vs_train': frechet_distance(feats['split'], feats['train']),
           'decodes_vs_split': frechet_distance(feats['decodes'], feats['split'])}
    if 'samples' in feats:
        out['samples_vs_split'] = frechet_distance(feats['samples'], feats['split'])
    return out
