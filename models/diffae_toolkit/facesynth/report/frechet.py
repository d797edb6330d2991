"""Fréchet distance between Gaussians fitted to two feature sets (the FID formula), numpy only."""
import numpy as np


def moments(features):
    f = np.asarray(features, dtype=np.float64)
    if f.ndim != 2 or len(f) < 2:
        raise ValueError(f'need features [N>=2, D], got shape {f.shape}')
    return f.mean(0), np.cov(f, rowvar=False)


def _psd_sqrt(m):
    w, v = np.linalg.eigh((m + m.T) / 2)
    return (v * np.sqrt(np.clip(w, 0, None))) @ v.T


def frechet_from_moments(mu1, sigma1, mu2, sigma2):
    """|mu1-mu2|^2 + Tr(S1 + S2 - 2 (S1 S2)^(1/2)); the trace term through the symmetric
    S1^(1/2) S2 S1^(1/2), which has the same eigenvalues as S1 S2."""
    mu1, mu2 = np.atleast_1d(mu1), np.atleast_1d(mu2)
    s1, s2 = np.atleast_2d(sigma1), np.atleast_2d(sigma2)
    if mu1.shape != mu2.shape or s1.shape != s2.shape or s1.shape != (len(mu1), len(mu1)):
        raise ValueError(f'shape mismatch: mu {mu1.shape} vs {mu2.shape}, sigma {s1.shape} vs {s2.shape}')
    r = _psd_sqrt(s1)
    middle = r @ s2 @ r
    trace_sqrt = np.sqrt(np.clip(np.linalg.eigvalsh((middle + middle.T) / 2), 0, None)).sum()
    diff = mu1 - mu2
    return float(diff @ diff + np.trace(s1) + np.trace(s2) - 2 * trace_sqrt)


def frechet_distance(features_a, features_b):
    return frechet_from_moments(*moments(features_a), *moments(features_b))
