"""§2: how linearly readable the attributes are from z_sem. A fresh logistic-regression probe fitted on
encoded TRAIN images, and the shipped classifier, both scored by AUROC on the report split."""
import types

import numpy as np
import torch
import torch.nn.functional as F

from ..encoded import encoded_split
from ..metrics import auroc


def fit_logistic(x, y, iters, weight_decay=1e-4):
    """Multi-label logistic regression on standardised x by full-batch L-BFGS. x [N,D], y [N,A] 0/1.
    Returns (weight [A,D], bias [A], mean [D], std [D])."""
    x = torch.as_tensor(x, dtype=torch.float32)
    y = torch.as_tensor(y, dtype=torch.float32)
    mean, std = x.mean(0), x.std(0).clamp_min(1e-6)
    xn = (x - mean) / std
    linear = torch.nn.Linear(x.shape[1], y.shape[1])
    opt = torch.optim.LBFGS(linear.parameters(), lr=1, max_iter=iters, history_size=20,
                            line_search_fn='strong_wolfe')

    def closure():
        opt.zero_grad()
        loss = F.binary_cross_entropy_with_logits(linear(xn), y) + weight_decay * linear.weight.pow(2).sum()
        loss.backward()
        return loss

    opt.step(closure)
    return linear.weight.detach(), linear.bias.detach(), mean, std


def logistic_scores(fit, x):
    weight, bias, mean, std = fit
    return ((torch.as_tensor(x, dtype=torch.float32) - mean) / std) @ weight.t() + bias


def auroc_table(names, labels, scores):
    per = {n: auroc(labels[:, k], scores[:, k]) for k, n in enumerate(names)}
    return {'per_attribute': per, 'mean': float(np.nanmean(list(per.values())))}


def encoded_train(run, data_root, device, limit):
    """z of the first `limit` TRAIN images through the shared cache of encoded.encoded_split."""
    def encoder(x):
        return run.net.encoder(x.to(device)).float().cpu()
    wrapper = types.SimpleNamespace(encoder=encoder)
    return encoded_split(run.run_dir, data_root, 'train', wrapper, run.training['step'], limit=limit)


def run(run, codes, eval_indices, eval_labels, names, data_root, device, settings):
    z_train, y_train, train_names = encoded_train(run, data_root, device, settings.probe_train)
    if list(train_names) != list(names):
        raise ValueError(f'train attributes {train_names} differ from the report split attributes {names}')
    z_eval = codes.z(eval_indices).numpy()
    fit = fit_logistic(z_train, y_train, settings.probe_iters)
    results = {'train_images': int(len(z_train)), 'eval_images': int(len(z_eval)),
               'linear_probe': auroc_table(names, eval_labels, logistic_scores(fit, z_eval).numpy())}
    if run.classifier is not None:
        if list(run.classifier.attributes) != list(names):
            raise ValueError(f'shipped classifier attributes {run.classifier.attributes} differ from {names}')
        with torch.no_grad():
            scores = run.classifier.scores(torch.from_numpy(z_eval)).numpy()
        results['shipped_classifier'] = auroc_table(names, eval_labels, scores)
    return results
