"""Plain-numpy metrics for the quality report (no sklearn here)."""
import numpy as np


def auroc(labels, scores):
    """Area under the ROC curve via the rank-sum statistic (ties get average ranks); NaN if one class."""
    labels = np.asarray(labels).astype(bool)
    pos, neg = labels.sum(), (~labels).sum()
    if pos == 0 or neg == 0:
        return float('nan')
    order = np.argsort(scores, kind='mergesort')
    ranks = np.empty(len(scores), dtype=np.float64)
    sorted_scores = np.asarray(scores)[order]
    i = 0
    while i < len(scores):
        j = i
        while j + 1 < len(scores) and sorted_scores[j + 1] == sorted_scores[i]:
            j += 1
        ranks[order[i:j + 1]] = (i + j) / 2 + 1
        i = j + 1
    return float((ranks[labels].sum() - pos * (pos + 1) / 2) / (pos * neg))


def psnr(mse, peak=1.0):
    return float(10 * np.log10(peak ** 2 / max(mse, 1e-12)))


def _gaussian_window(size=11, sigma=1.5):
    import torch

    coords = torch.arange(size, dtype=torch.float64) - (size - 1) / 2
    g = torch.exp(-(coords ** 2) / (2 * sigma ** 2))
    g = g / g.sum()
    return (g[:, None] * g[None, :]).float()


def ssim(a, b, data_range=1.0):
    """Mean SSIM per image of float tensors [N,C,H,W] in [0, data_range]: Gaussian window 11, sigma 1.5,
    K1 0.01, K2 0.03, valid convolution (Wang et al. 2004, as skimage with gaussian_weights=True)."""
    import torch
    import torch.nn.functional as F

    c = a.shape[1]
    w = _gaussian_window().to(a).expand(c, 1, 11, 11)
    c1, c2 = (0.01 * data_range) ** 2, (0.03 * data_range) ** 2
    mu_a, mu_b = F.conv2d(a, w, groups=c), F.conv2d(b, w, groups=c)
    var_a = F.conv2d(a * a, w, groups=c) - mu_a ** 2
    var_b = F.conv2d(b * b, w, groups=c) - mu_b ** 2
    cov = F.conv2d(a * b, w, groups=c) - mu_a * mu_b
    s = ((2 * mu_a * mu_b + c1) * (2 * cov + c2)) / ((mu_a ** 2 + mu_b ** 2 + c1) * (var_a + var_b + c2))
    return s.mean(dim=(1, 2, 3))


COLOUR_CELL = 16


def coarse_error(a, b, cell=COLOUR_CELL):
    """Per-sample MSE between the cell x cell means of two image batches [N,C,H,W] (at 64 px a 4x4 image of
    mean colours, the global mean colour included): whether the coarse colours agree, whatever the detail."""
    import torch.nn.functional as F

    return F.avg_pool2d(a - b, cell).pow(2).mean(dim=(1, 2, 3))


def colour_mse(a, b, cell=COLOUR_CELL):
    """Mean coarse_error of two batches on [0, 1]."""
    return coarse_error(a, b, cell).mean().item()
