"""An independent judge of images: a small CNN trained on TRAIN pixels for every attribute (never on z).
Its penultimate features also serve the Fréchet distance. Cached next to the run.

A binary attribute is read as present when its probability exceeds a threshold fitted on one half of the
VAL images (best balanced accuracy), not 0.5: briefly trained, the CNN ranks rare attributes perfectly
(AUROC 1.0 for glasses) while its probabilities stay below 0.5, so a 0.5 cut never sees them."""
import os
import time

import numpy as np
import torch
import torch.nn as nn
import torch.nn.functional as F

from ..common import atomic_save
from ..data import to_model_input
from ..metrics import auroc

FEATURE_DIM = 128


def _block(cin, cout, stride):
    return nn.Sequential(nn.Conv2d(cin, cout, 3, stride, 1, bias=False), nn.BatchNorm2d(cout), nn.ReLU(inplace=True))


class PixelClassifier(nn.Module):
    """64 px RGB in [-1, 1] -> attribute logits; features() is the pooled penultimate layer [N, 128]."""

    def __init__(self, num_attributes):
        super().__init__()
        self.body = nn.Sequential(
            _block(3, 32, 1), _block(32, 32, 2),          # 32 px
            _block(32, 64, 1), _block(64, 64, 2),         # 16 px
            _block(64, 128, 2),                           # 8 px
            _block(128, FEATURE_DIM, 2))                  # 4 px
        self.head = nn.Linear(FEATURE_DIM, num_attributes)
        self.register_buffer('thresholds', torch.full((num_attributes,), 0.5))

    def features(self, x):
        return self.body(x).mean(dim=(2, 3))

    def forward(self, x):
        return self.head(self.features(x))


@torch.no_grad()
def judge(model, images01, device, batch=256):
    """images01 float [N,3,H,W] in [0,1] (or uint8 NHWC arrays) -> (probabilities [N,A], features [N,F])."""
    model.eval()
    probs, feats = [], []
    for s in range(0, len(images01), batch):
        chunk = images01[s:s + batch]
        x = to_model_input(chunk) if isinstance(chunk, np.ndarray) else chunk * 2 - 1
        f = model.features(x.to(device))
        probs.append(torch.sigmoid(model.head(f)).cpu())
        feats.append(f.cpu())
    return torch.cat(probs).numpy(), torch.cat(feats).numpy()


def read_probabilities(model, schema, probs):
    """The judge's probabilities read as unit values with its fitted thresholds."""
    return schema.read(probs, model.thresholds.cpu().numpy())


def read_images(model, schema, images01, device):
    """The judge's reading of images: unit name -> values."""
    return read_probabilities(model, schema, judge(model, images01, device)[0])


def fit_thresholds(probs, labels):
    """Per attribute, the cut between sorted probabilities with the best balanced accuracy (0.5 where an
    attribute has one class only)."""
    cuts = np.full(probs.shape[1], 0.5)
    for k in range(probs.shape[1]):
        y = np.asarray(labels[:, k]) == 1
        if y.all() or not y.any():
            continue
        candidates = np.unique(probs[:, k])
        mids = np.concatenate([[candidates[0] - 1e-6], (candidates[1:] + candidates[:-1]) / 2])
        pred = probs[:, k][None, :] > mids[:, None]
        balanced = (pred[:, y].mean(1) + (~pred[:, ~y]).mean(1)) / 2
        cuts[k] = mids[int(np.argmax(balanced))]
    return cuts


def train_pixel_classifier(images, labels, *, epochs, device, batch=128, lr=2e-3, seed=0, log=print):
    torch.manual_seed(seed)
    rng = np.random.default_rng(seed)
    model = PixelClassifier(labels.shape[1]).to(device)
    opt = torch.optim.Adam(model.parameters(), lr=lr)
    steps = max(1, epochs * len(images) // batch)
    sched = torch.optim.lr_scheduler.OneCycleLR(opt, max_lr=lr, total_steps=steps)
    y_all = torch.from_numpy(np.asarray(labels, dtype=np.float32))
    model.train()
    t0, step = time.time(), 0
    while step < steps:
        for idx in np.array_split(rng.permutation(len(images)), max(1, len(images) // batch)):
            if step >= steps:
                break
            idx = np.sort(idx)
            x = to_model_input(images[idx])
            flips = torch.from_numpy(rng.random(len(idx)) < 0.5)
            x[flips] = x[flips].flip(-1)
            loss = F.binary_cross_entropy_with_logits(model(x.to(device)), y_all[idx].to(device))
            opt.zero_grad(set_to_none=True)
            loss.backward()
            opt.step()
            sched.step()
            step += 1
            if step % 100 == 0:
                log(f'pixel classifier step {step}/{steps} loss {loss.item():.4f} ({time.time() - t0:.0f} s)')
    return model.eval(), {'steps': steps, 'seconds': time.time() - t0, 'final_loss': float(loss.item())}


def validate(model, schema, images, labels, device):
    probs, _ = judge(model, images, device)
    pred = probs > model.thresholds.cpu().numpy()
    per_attr = {name: {'accuracy': float(np.mean(pred[:, k] == (labels[:, k] == 1))),
                       'auroc': auroc(labels[:, k], probs[:, k])} for k, name in enumerate(schema.names)}
    units_pred, units_true = read_probabilities(model, schema, probs), schema.read(labels)
    per_unit = {u: float(np.mean(units_pred[u] == units_true[u])) for u in units_pred}
    return {'attributes': per_attr, 'unit_accuracy': per_unit, 'images': int(len(labels)),
            'mean_auroc': float(np.nanmean([v['auroc'] for v in per_attr.values()]))}


def load_saved(path, device):
    """A judge saved by load_or_train: (model in eval mode on device, the saved dict with its recipe)."""
    state = torch.load(path, map_location='cpu')
    return _model_from(state, path).to(device), state


def _model_from(state, path):
    if 'thresholds' not in state['state_dict']:
        raise ValueError(f'{path}: a judge without fitted thresholds (an older recipe); rerun the report to retrain it')
    model = PixelClassifier(len(state['recipe']['attributes']))
    model.load_state_dict(state['state_dict'])
    return model.eval()


def load_or_train(path, schema, train, val, *, settings, device, retrain=False, log=print):
    """train/val: (images uint8, labels). Reuses `path` when it was trained with the same recipe."""
    recipe = {'attributes': schema.names, 'train_images': int(min(settings.pixel_train, len(train[0]))),
              'epochs': settings.pixel_epochs, 'seed': settings.seed, 'feature_dim': FEATURE_DIM,
              'thresholds': 'balanced accuracy on the first half of the VAL images'}
    if os.path.exists(path) and not retrain:
        state = torch.load(path, map_location='cpu')
        if state.get('recipe') == recipe:
            return (_model_from(state, path).to(device), state['validation'],
                    {**state['training'], 'cached': True, 'recipe': recipe})
        log(f'{path}: trained with another recipe, retraining')
    n = recipe['train_images']
    model, training = train_pixel_classifier(train[0][:n], train[1][:n], epochs=settings.pixel_epochs,
                                             device=device, seed=settings.seed, log=log)
    half = settings.pixel_val // 2
    fit_images, fit_labels = val[0][:half], val[1][:half]
    model.thresholds.copy_(torch.from_numpy(fit_thresholds(judge(model, fit_images, device)[0], fit_labels)))
    validation = validate(model, schema, val[0][half:settings.pixel_val], val[1][half:settings.pixel_val], device)
    validation['thresholds'] = dict(zip(schema.names, model.thresholds.cpu().tolist()))
    atomic_save({'state_dict': {k: v.cpu() for k, v in model.state_dict().items()}, 'recipe': recipe,
                 'validation': validation, 'training': training}, path)
    return model, validation, {**training, 'cached': False, 'recipe': recipe}
