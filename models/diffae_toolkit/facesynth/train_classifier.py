"""Stage 3: linear attribute classifier on normalised z (official recipe: BCE, Adam 1e-3, batch 32,
horizontal flips, frozen EMA encoder). Also reports the held-out linear-probe AUROC per attribute.

  /usr/bin/python3 -m diffae_toolkit.facesynth.train_classifier --data data/facesynth64 --run-dir checkpoints/facesynth64
"""
import argparse
import json
import os

import numpy as np
import torch
import torch.nn.functional as F

from .paths import DATA_DIR, RUN_DIR
from .common import atomic_save
from .encoded import encoded_split, load_autoenc_ema
from .metrics import auroc


def main(argv=None):
    p = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    p.add_argument('--data', default=DATA_DIR)
    p.add_argument('--run-dir', default=RUN_DIR)
    p.add_argument('--samples', type=int, default=300_000)
    p.add_argument('--batch', type=int, default=32)
    p.add_argument('--lr', type=float, default=1e-3)
    p.add_argument('--train-limit', type=int, default=None)
    p.add_argument('--threads', type=int, default=2)
    args = p.parse_args(argv)
    torch.set_num_threads(args.threads)
    torch.manual_seed(0)

    net, _, ae_state = load_autoenc_ema(args.run_dir)
    stats = torch.load(os.path.join(args.run_dir, 'latent', 'last.pt'))
    mean, std = stats['conds_mean'].numpy(), stats['conds_std'].numpy()
    z, labels, names = encoded_split(args.run_dir, args.data, 'train', net, ae_state['step'], limit=args.train_limit)
    z_flip, _, _ = encoded_split(args.run_dir, args.data, 'train', net, ae_state['step'], flip=True,
                                 limit=args.train_limit)
    zs = torch.from_numpy(np.concatenate([(z - mean) / std, (z_flip - mean) / std])).float()
    ys = torch.from_numpy(np.concatenate([labels, labels])).float()

    linear = torch.nn.Linear(zs.shape[1], ys.shape[1])
    opt = torch.optim.Adam(linear.parameters(), lr=args.lr)
    gen = torch.Generator().manual_seed(0)
    for step in range(args.samples // args.batch):
        idx = torch.randint(0, len(zs), (args.batch,), generator=gen)
        loss = F.binary_cross_entropy_with_logits(linear(zs[idx]), ys[idx])
        opt.zero_grad(set_to_none=True)
        loss.backward()
        opt.step()

    z_val, y_val, _ = encoded_split(args.run_dir, args.data, 'val', net, ae_state['step'])
    with torch.no_grad():
        scores = linear(torch.from_numpy((z_val - mean) / std).float()).numpy()
    probe = {name: auroc(y_val[:, k], scores[:, k]) for k, name in enumerate(names)}
    print(json.dumps({'val_auroc': probe}, indent=1), flush=True)
    atomic_save({'weight': linear.weight.detach().clone(), 'bias': linear.bias.detach().clone(),
                 'conds_mean': torch.from_numpy(mean), 'conds_std': torch.from_numpy(std), 'attributes': names,
                 'val_auroc': probe, 'autoenc_step': ae_state['step']},
                os.path.join(args.run_dir, 'classifier', 'last.pt'))


if __name__ == '__main__':
    main()
