"""Packs a subset of the FaceSynth64 arrays into one compressed file small enough to travel to a GPU
machine with the working tree (the device tool carries at most 64 MiB).

  /usr/bin/python3 scripts/gpu/pack-facesynth-data.py --data ~/diffae-runs/data/facesynth64 --train 20000 --out .gpu-data
"""
import argparse
import os

import numpy as np

p = argparse.ArgumentParser()
p.add_argument('--data', required=True)
p.add_argument('--train', type=int, default=20000)
p.add_argument('--val', type=int, default=1000)
p.add_argument('--out', default='.gpu-data')
args = p.parse_args()
os.makedirs(args.out, exist_ok=True)
for split, n in (('train', args.train), ('val', args.val)):
    folder = os.path.join(args.data, split)
    images = np.load(os.path.join(folder, 'images.npy'), mmap_mode='r')[:n]
    labels = np.load(os.path.join(folder, 'labels.npy'))[:n]
    with open(os.path.join(folder, 'attributes.json')) as f:
        attributes = f.read()
    np.savez_compressed(os.path.join(args.out, f'{split}.npz'), images=np.asarray(images), labels=labels,
                        attributes=np.array(attributes))
    print(split, images.shape, os.path.getsize(os.path.join(args.out, f'{split}.npz')) / 1e6, 'MB')
