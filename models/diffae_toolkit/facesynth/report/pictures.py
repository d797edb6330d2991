"""PNG outputs of the report, written into <out>/facesynth64/ and referred to by relative path."""
import os

import torch

from ..common import save_grid


class Pictures:
    def __init__(self, folder, prefix):
        self.folder, self.prefix = folder, prefix   # prefix: the folder as seen from the markdown file

    def path(self, name):
        return os.path.join(self.folder, name)

    def grid(self, name, rows, ncol):
        """rows: tensors [n_i,3,H,W] in [0,1], each padded to a multiple of ncol; returns the markdown path."""
        blocks = []
        for r in rows:
            pad = (-len(r)) % ncol
            blocks.append(torch.cat([r, torch.ones(pad, *r.shape[1:])]) if pad else r)
        save_grid(torch.cat(blocks), self.path(name), nrow=ncol)
        return f'{self.prefix}/{name}'
