"""Sizes and step counts of one report run: the full defaults and the CI-size `--quick` variant."""
import dataclasses
from dataclasses import dataclass
from typing import Optional, Tuple

from ... import reference


@dataclass(frozen=True)
class ReportSettings:
    count: int = 256                       # report-split images for reconstruction / decodes / FD
    recon_steps: Tuple[int, ...] = (10, 20, 50, 100)
    random_xt_steps: int = 20
    probe_train: int = 10_000              # encoded TRAIN images for the linear probe
    probe_iters: int = 300
    probe_eval: int = 2000               # report-split images the probes are scored on
    manip_targets: Optional[Tuple[str, ...]] = None   # None = every attribute
    manip_amplitudes: Tuple[float, ...] = (0.3, 1.0)
    manip_per_direction: int = 16          # images without (+a) and with (-a) the attribute
    manip_pool: int = 512                  # first images of the split searched for those
    manip_inv_steps: int = 100
    manip_render_steps: int = 20
    interp_pairs: int = 4
    interp_frames: int = 8
    interp_steps: int = 20
    samples: int = 256
    sample_steps: int = 20
    latent_steps: int = 50
    pixel_train: int = 20_000
    pixel_epochs: int = 3
    pixel_val: int = 2_000
    batch: int = 64
    seed: int = 0
    quick: bool = False

    def __post_init__(self):
        for k in self.recon_steps + (self.random_xt_steps, self.manip_inv_steps, self.manip_render_steps,
                                     self.interp_steps, self.sample_steps, self.latent_steps):
            reference.respace_stride(k)  # raises InvalidStepCount with the valid list
        positive = ('count', 'probe_train', 'probe_iters', 'probe_eval', 'manip_per_direction', 'manip_pool', 'interp_frames',
                    'samples', 'pixel_train', 'pixel_epochs', 'pixel_val', 'batch')
        for name in positive:
            if getattr(self, name) <= 0:
                raise ValueError(f'{name} must be positive, got {getattr(self, name)}')
        if self.interp_frames < 2:
            raise ValueError('interp_frames must be at least 2')
        if not self.manip_amplitudes or min(self.manip_amplitudes) <= 0:
            raise ValueError(f'manip_amplitudes must be positive (edits go both ways), got {self.manip_amplitudes}')

    def replace(self, **changes):
        return dataclasses.replace(self, **{k: v for k, v in changes.items() if v is not None})

    def to_dict(self):
        return dataclasses.asdict(self)


QUICK = ReportSettings(
    count=8, recon_steps=(5, 10), random_xt_steps=10, probe_train=64, probe_iters=50, probe_eval=16,
    manip_amplitudes=(0.3, 1.0), manip_per_direction=1, manip_pool=16, manip_inv_steps=5,
    manip_render_steps=5, interp_pairs=2, interp_frames=8, interp_steps=5, samples=8, sample_steps=5,
    latent_steps=5, pixel_train=128, pixel_epochs=1, pixel_val=32, batch=32, quick=True)
