"""What z_sem has learnt, scored on the VALIDATION split (the test split stays for the report):
  - z gap: denoising loss with a shuffled z over the loss with each image's own z, minus one;
  - the validation denoising loss itself (uniform t, fixed noise);
  - linear-probe AUROC of the attributes from z (fitted on encoded TRAIN images);
  - random-x_T decode agreement: decode z with fresh noise and ask the report's pixel judge whether the
    decode shows the input's glasses / facial hair / hat / hair colour (skipped without a judge);
  - colour error of those decodes (metrics.colour_mse: MSE of 16x16-cell mean colours on [0, 1]);
    continuous, so it ranks models that the judge's counts cannot;
  - colour error of the x0 the decoder implies at high noise (t = 700, 800, 900) with each image's own z:
    whether z_sem sets the coarse image where the sampler's first steps decide it;
  - the decoder's mean-colour gain at t = 900 (objective.mean_colour_gain): whether it can follow the
    mean colour of x_t at all (near 1 when it does).
Used by the recipe ablation and, every --score-every steps, by the training run itself."""
import os

import numpy as np
import torch

from .. import reference
from .data import load_split, to_model_input
from .encoded import encode_images
from .metrics import colour_mse
from .objective import Probe, alpha_bar_table, diffusion_loss, implied_x0, mean_colour_gain
from .report.attributes import AttributeSchema, agreement
from .report.decode_agreement import KEY_UNITS
from .report.pixel_classifier import load_saved, read_images
from .report.probe import auroc_table, fit_logistic, logistic_scores

HIGH_NOISE_T = (700, 800, 900)


class ValidationScorer:
    """Fixed validation inputs, noise and judge, shared by every model it scores."""

    def __init__(self, data_root, judge_path=None, *, probe_train=5000, probe_eval=1000, decodes=128,
                 decode_steps=20, gap_images=256, probe_iters=300):
        self.probe_train, self.probe_eval, self.decode_steps = probe_train, probe_eval, decode_steps
        self.probe_iters = probe_iters
        self.train_images, self.train_labels, names = load_split(data_root, 'train')
        self.val_images, self.val_labels, val_names = load_split(data_root, 'val')
        if list(names) != list(val_names):
            raise ValueError(f'train attributes {names} differ from validation attributes {val_names}')
        self.names = names
        self.alpha_bar = alpha_bar_table()
        self.gap_probe = Probe(self.val_images, self.alpha_bar, n=gap_images, seed=4321)
        g = torch.Generator().manual_seed(99)
        self.loss_t = torch.randint(0, 1000, (len(self.gap_probe.x0),), generator=g)
        self.loss_noise = torch.randn(self.gap_probe.x0.shape, generator=g)
        self.decode_x0 = to_model_input(self.val_images[:decodes])
        self.decode_noise = torch.randn(self.decode_x0.shape, generator=g)
        self.judge = None
        if judge_path and os.path.exists(judge_path):
            self.judge, saved = load_saved(judge_path, 'cpu')
            if list(saved['recipe']['attributes']) != list(names):
                raise ValueError(f'{judge_path} judges {saved["recipe"]["attributes"]}, not {names}')
            self.schema = AttributeSchema(names)
            self.judge_on_inputs = read_images(self.judge, self.schema, (self.decode_x0 + 1) / 2, 'cpu')

    @torch.no_grad()
    def score(self, net):
        z_gap_images = net.encoder(self.gap_probe.x0)
        gap = self.gap_probe.measure(net, z_gap_images)
        val_loss = diffusion_loss(net, self.gap_probe.x0, self.loss_t, self.loss_noise, self.alpha_bar,
                                  z_gap_images).mean().item()
        z_train = encode_images(net.encoder, self.train_images[:self.probe_train])
        z_eval = encode_images(net.encoder, self.val_images[:self.probe_eval])
        fit = fit_logistic(z_train, self.train_labels[:self.probe_train], self.probe_iters)
        probe = auroc_table(self.names, self.val_labels[:self.probe_eval], logistic_scores(fit, z_eval).numpy())
        decodes = self._random_xt_decodes(net)
        scores = {'z_gap': gap['probe_z_gap'], 'val_loss': val_loss, 'probe_auroc_mean': probe['mean'],
                  'probe_auroc': probe['per_attribute'],
                  'decode_colour_mse': colour_mse(decodes, (self.decode_x0 + 1) / 2),
                  'x0_colour_mse': self._high_noise_colour(net, z_gap_images),
                  'mean_colour_gain_t900': self._mean_colour_gain(net, z_gap_images),
                  'decode_agreement': None,
                  'decode_agreement_key_min': None, 'decode_agreement_key_mean': None}
        if self.judge is not None:
            scores.update(self._decode_agreement(decodes))
        return scores

    def _random_xt_decodes(self, net):
        """Decodes of the validation inputs' z from fixed fresh noise, on [0, 1]."""
        decodes = []
        for s in range(0, len(self.decode_x0), 64):
            x0 = self.decode_x0[s:s + 64]
            decodes.append(reference.render(net, self.decode_noise[s:s + 64], net.encoder(x0), self.decode_steps))
        return torch.cat(decodes)

    def _high_noise_colour(self, net, z):
        x0 = self.gap_probe.x0
        unit = lambda x: (x + 1) / 2
        return {str(t): colour_mse(unit(implied_x0(net, x0, torch.full((len(x0),), t), self.gap_probe.noise,
                                                   self.alpha_bar, z)), unit(x0)) for t in HIGH_NOISE_T}

    def _mean_colour_gain(self, net, z, n=64):
        x0 = self.gap_probe.x0[:n]
        return mean_colour_gain(net, x0, torch.full((len(x0),), 900), self.gap_probe.noise[:n], self.alpha_bar, z[:n])

    def _decode_agreement(self, decodes):
        read = read_images(self.judge, self.schema, decodes, 'cpu')
        agree = agreement(read, self.judge_on_inputs)
        key = [agree[u] for u in KEY_UNITS if u in agree]
        return {'decode_agreement': agree, 'decode_agreement_key_min': min(key),
                'decode_agreement_key_mean': float(np.mean(key))}


def main(argv=None):
    """Scores one model on the validation split and prints the scores as JSON."""
    import argparse
    import json

    from .paths import DATA_DIR, RUN_DIR
    from .weights import load_autoencoder

    p = argparse.ArgumentParser(prog='python -m diffae_toolkit.facesynth.scoring', description=__doc__,
                                formatter_class=argparse.RawDescriptionHelpFormatter)
    p.add_argument('weights', help='training checkpoint, EMA snapshot or bundle folder (facesynth.weights)')
    p.add_argument('--which', default='ema', choices=('ema', 'net'), help='weights of a training checkpoint')
    p.add_argument('--data', default=DATA_DIR)
    p.add_argument('--judge', default=os.path.join(RUN_DIR, 'pixel_classifier.pt'),
                   help="the report's pixel judge (decode agreement is skipped while it does not exist)")
    p.add_argument('--threads', type=int, default=2)
    p.add_argument('--out', help='also write the scores to this JSON file')
    args = p.parse_args(argv)
    torch.set_num_threads(args.threads)
    net, _ = load_autoencoder(args.weights, args.which)
    scores = {'weights': args.weights, **ValidationScorer(args.data, args.judge).score(net)}
    text = json.dumps(scores, indent=1)
    print(text)
    if args.out:
        with open(args.out, 'w') as f:
            f.write(text + '\n')


if __name__ == '__main__':
    main()
