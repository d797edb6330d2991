"""FaceSynth64 arrays written by models/facesynth/generate.ts (uint8 NHWC images, uint8 labels)."""
import json
import os

import numpy as np
import torch


def dataset_dir(root, split):
    return os.path.join(root, split)


def load_split(root, split, mmap=True):
    folder = dataset_dir(root, split)
    images_path = os.path.join(folder, 'images.npy')
    if not os.path.exists(images_path):
        raise FileNotFoundError(
            f'{images_path} not found: generate the dataset first (npm run dataset -- --split {split})')
    images = np.load(images_path, mmap_mode='r' if mmap else None)
    labels = np.load(os.path.join(folder, 'labels.npy'))
    with open(os.path.join(folder, 'attributes.json')) as f:
        meta = json.load(f)
    names = [a['name'] if isinstance(a, dict) else a for a in meta['attributes']]
    return images, labels, names


def to_model_input(batch_uint8_nhwc):
    """uint8 NHWC -> float32 NCHW in [-1, 1], the official preprocessing (v/255 then (v-0.5)/0.5)."""
    x = torch.from_numpy(np.array(batch_uint8_nhwc, copy=True)).permute(0, 3, 1, 2).float() / 255.0
    return (x - 0.5) / 0.5


class BatchSampler:
    """Endless shuffled batches with horizontal flips, seeded so a resumed run continues the same stream."""

    def __init__(self, images, batch_size, seed, flip=True):
        self.images = images
        self.batch_size = batch_size
        self.flip = flip
        self.rng = np.random.default_rng(seed)

    def state(self):
        return self.rng.bit_generator.state

    def load_state(self, state):
        self.rng.bit_generator.state = state

    def next(self):
        idx = np.sort(self.rng.integers(0, len(self.images), size=self.batch_size))
        x = to_model_input(self.images[idx])
        if self.flip:
            flips = torch.from_numpy(self.rng.random(self.batch_size) < 0.5)
            x[flips] = x[flips].flip(-1)
        return x
