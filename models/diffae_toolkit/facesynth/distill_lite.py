"""Stage 4: the lite encoder, distilled from the trained EMA semantic encoder (MSE on normalised z),
for instant in-browser encoding with onnxruntime-web.

  /usr/bin/python3 -m diffae_toolkit.facesynth.distill_lite --data data/facesynth64 --run-dir checkpoints/facesynth64
"""
import argparse
import json
import os
import time

import numpy as np
import torch
import torch.nn.functional as F

from .paths import DATA_DIR, RUN_DIR
from ..nets.lite import LiteEncoder, save_lite
from .data import BatchSampler, load_split, to_model_input
from .encoded import load_autoenc_ema


def main(argv=None):
    p = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    p.add_argument('--data', default=DATA_DIR)
    p.add_argument('--run-dir', default=RUN_DIR)
    p.add_argument('--widths', default='16,32,64,128')
    p.add_argument('--convs-per-stage', type=int, default=2)
    p.add_argument('--steps', type=int, default=6000)
    p.add_argument('--batch', type=int, default=64)
    p.add_argument('--lr', type=float, default=2e-3)
    p.add_argument('--threads', type=int, default=2)
    args = p.parse_args(argv)
    torch.set_num_threads(args.threads)
    torch.manual_seed(0)

    teacher, conf, _ = load_autoenc_ema(args.run_dir)
    stats = torch.load(os.path.join(args.run_dir, 'latent', 'last.pt'))
    mean, std = stats['conds_mean'].view(1, -1), stats['conds_std'].view(1, -1)
    widths = [int(w) for w in args.widths.split(',')]
    student = LiteEncoder(conf.img_size, conf.z_dim, widths, convs_per_stage=args.convs_per_stage)
    opt = torch.optim.AdamW(student.parameters(), lr=args.lr, weight_decay=1e-4)
    sched = torch.optim.lr_scheduler.OneCycleLR(opt, max_lr=args.lr, total_steps=args.steps, pct_start=0.05)
    train_images, _, _ = load_split(args.data, 'train')
    sampler = BatchSampler(train_images, args.batch, seed=1)
    t0 = time.time()
    for step in range(1, args.steps + 1):
        x = sampler.next()
        with torch.no_grad():
            target = (teacher.encoder(x) - mean) / std
        loss = F.mse_loss((student(x) - mean) / std, target)
        opt.zero_grad(set_to_none=True)
        loss.backward()
        opt.step()
        sched.step()
        if step % 500 == 0:
            print(f'lite step {step} normalised-z mse {loss.item():.4f}', flush=True)

    val_images, _, _ = load_split(args.data, 'val')
    x = to_model_input(val_images[:512])
    with torch.no_grad():
        zt, zs = teacher.encoder(x), student(x)
    cos = F.cosine_similarity((zt - mean) / std, (zs - mean) / std).mean().item()
    mse = F.mse_loss((zs - mean) / std, (zt - mean) / std).item()
    report = {'val_normalised_mse': mse, 'val_cosine': cos, 'steps': args.steps, 'seconds': time.time() - t0}
    print(json.dumps(report), flush=True)
    os.makedirs(os.path.join(args.run_dir, 'lite'), exist_ok=True)
    save_lite(os.path.join(args.run_dir, 'lite', 'lite_encoder.pt'), student.eval())
    with open(os.path.join(args.run_dir, 'lite', 'report.json'), 'w') as f:
        json.dump(report, f, indent=1)


if __name__ == '__main__':
    main()
