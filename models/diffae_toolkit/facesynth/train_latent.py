"""Stage 2: the latent DPM over normalised z_sem (official recipe: const0.008 betas, L1 eps loss, AdamW).

  /usr/bin/python3 -m diffae_toolkit.facesynth.train_latent --data data/facesynth64 --run-dir checkpoints/facesynth64
"""
import argparse
import os
import time

import numpy as np
import torch
import torch.nn.functional as F

from .paths import DATA_DIR, RUN_DIR
from .. import reference
from ..config import LatentConfig
from ..nets.latent import MLPSkipNet
from .common import Ema, JsonlLog, atomic_save
from .encoded import encoded_split, load_autoenc_ema


def main(argv=None):
    p = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    p.add_argument('--data', default=DATA_DIR)
    p.add_argument('--run-dir', default=RUN_DIR)
    p.add_argument('--steps', type=int, default=20000)
    p.add_argument('--batch', type=int, default=256)
    p.add_argument('--lr', type=float, default=1e-4)
    p.add_argument('--ema', type=float, default=0.999)
    p.add_argument('--threads', type=int, default=2)
    p.add_argument('--seed', type=int, default=0)
    p.add_argument('--layers', type=int, default=6)
    p.add_argument('--hidden', type=int, default=512, help='MLP width (official: 2048 for z width 512)')
    args = p.parse_args(argv)
    torch.set_num_threads(args.threads)
    torch.manual_seed(args.seed)

    net, conf, ae_state = load_autoenc_ema(args.run_dir)
    z, _, _ = encoded_split(args.run_dir, args.data, 'train', net, ae_state['step'])
    mean = z.mean(0)
    std = z.std(0, ddof=1)  # unbiased, as the official conds_std
    zn = torch.from_numpy((z - mean) / std).float()

    latent_conf = LatentConfig(num_layers=args.layers, hidden=args.hidden, z_dim=conf.z_dim)
    latent = MLPSkipNet(latent_conf)
    opt = torch.optim.AdamW(latent.parameters(), lr=args.lr, weight_decay=0.01)
    ema = Ema(latent, args.ema)
    alpha_bar = torch.from_numpy(np.cumprod(1.0 - reference.betas('const0.008'))).float()
    log = JsonlLog(os.path.join(args.run_dir, 'latent', 'log.jsonl'))
    gen = torch.Generator().manual_seed(args.seed)
    t0 = time.time()
    running = 0.0
    for step in range(1, args.steps + 1):
        idx = torch.randint(0, len(zn), (args.batch,), generator=gen)
        x0 = zn[idx]
        t = torch.randint(0, 1000, (args.batch,), generator=gen)
        noise = torch.randn(x0.shape, generator=gen)
        ab = alpha_bar[t].view(-1, 1)
        x_t = ab.sqrt() * x0 + (1 - ab).sqrt() * noise
        loss = F.l1_loss(latent(x_t, t.float()), noise)
        opt.zero_grad(set_to_none=True)
        loss.backward()
        opt.step()
        ema.update(latent)
        running += loss.item()
        if step % 500 == 0:
            log.write(event='train', step=step, loss=running / 500, seconds=time.time() - t0)
            print(f'latent step {step} loss {running / 500:.4f}', flush=True)
            running = 0.0
    atomic_save({'latent_ema': ema.model.state_dict(), 'latent_conf': latent_conf.to_dict(), 'conds_mean': torch.from_numpy(mean),
                 'conds_std': torch.from_numpy(std), 'autoenc_step': ae_state['step'], 'steps': args.steps,
                 'seconds': time.time() - t0}, os.path.join(args.run_dir, 'latent', 'last.pt'))


if __name__ == '__main__':
    main()
