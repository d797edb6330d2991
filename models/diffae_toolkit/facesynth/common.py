"""Shared training plumbing: EMA, atomic resumable checkpoints, JSONL logs, image grids."""
import contextlib
import copy
import json
import math
import os
import signal
import time

import numpy as np
import torch


class Ema:
    """Exponential moving average of the weights. The decay warms up as min(decay, (1+n)/(10+n)) over the
    n updates so far, so a short run's average is not dominated by the initial weights (at a fixed 0.999,
    60% of the average is still the initialisation after 500 steps)."""

    def __init__(self, model, decay):
        self.decay = decay
        self.updates = 0
        self.model = copy.deepcopy(model).eval()
        for p in self.model.parameters():
            p.requires_grad_(False)

    def current_decay(self):
        return min(self.decay, (1 + self.updates) / (10 + self.updates))

    @contextlib.contextmanager
    def on_cpu(self):
        """The averaged model on the CPU for the duration (probes and scores run there), then back."""
        device = next(self.model.parameters()).device
        try:
            yield self.model.cpu()
        finally:
            self.model.to(device)

    @torch.no_grad()
    def update(self, model):
        decay = self.current_decay()
        self.updates += 1
        for ema_p, p in zip(self.model.parameters(), model.parameters()):
            ema_p.mul_(decay).add_(p.detach(), alpha=1 - decay)
        for ema_b, b in zip(self.model.buffers(), model.buffers()):
            ema_b.copy_(b)


def atomic_save(obj, path):
    os.makedirs(os.path.dirname(path), exist_ok=True)
    tmp = path + '.tmp'
    torch.save(obj, tmp)
    os.replace(tmp, path)


def warmup_lr(step, base_lr, warmup):
    return base_lr * min(1.0, (step + 1) / max(1, warmup))


class JsonlLog:
    def __init__(self, path):
        os.makedirs(os.path.dirname(path), exist_ok=True)
        self.path = path

    def write(self, **record):
        record.setdefault('time', time.time())
        with open(self.path, 'a') as f:
            f.write(json.dumps(record) + '\n')


def save_grid(images01, path, nrow=8):
    """images01: float tensor [N,3,H,W] in [0,1] -> PNG grid (official saver rounding)."""
    from PIL import Image

    n, _, h, w = images01.shape
    ncol = nrow
    nrows = math.ceil(n / ncol)
    grid = np.full((nrows * h, ncol * w, 3), 255, np.uint8)
    arr = (images01.clamp(0, 1) * 255 + 0.5).clamp(0, 255).to(torch.uint8).permute(0, 2, 3, 1).numpy()
    for i in range(n):
        r, c = divmod(i, ncol)
        grid[r * h:(r + 1) * h, c * w:(c + 1) * w] = arr[i]
    os.makedirs(os.path.dirname(path), exist_ok=True)
    Image.fromarray(grid).save(path)


class Timer:
    """Wall-clock budget for a training stage (stops cleanly, checkpoint first)."""

    def __init__(self, minutes):
        self.deadline = None if minutes is None else time.time() + 60 * minutes

    def expired(self):
        return self.deadline is not None and time.time() >= self.deadline


class StepClock:
    """Compute time of training steps, excluding time the process spent stopped (SIGSTOP … SIGCONT).

    Training here is paused with SIGSTOP while benchmarks run; a wall-clock step timer would count the
    pause as compute. A step during which SIGCONT arrived is credited with the median of recent steps.
    """

    def __init__(self, window=50):
        self._resumed = False
        self._recent = []
        self._window = window
        if hasattr(signal, 'SIGCONT'):
            signal.signal(signal.SIGCONT, self._on_continue)

    def _on_continue(self, signum, frame):
        self._resumed = True

    def start(self):
        self._resumed = False
        return time.time()

    def seconds_since(self, t0):
        """Duration of the step started at t0 (start()), pause-corrected."""
        elapsed = time.time() - t0
        if self._resumed and self._recent:
            return float(np.median(self._recent))
        self._recent = (self._recent + [elapsed])[-self._window:]
        return elapsed
