"""Stage 1: the conditional DDIM autoencoder (semantic encoder + UNet), eps-prediction MSE.

Timesteps are uniform over [0, T) as in the official recipe; --high-t-share s draws that share of each batch
uniformly from [--high-t-from, T) instead (the steps where the decoder must take coarse content from z_sem).
The loss is the official plain eps MSE; --x0-weight-floor f weighs each sample by max(1, f / SNR(t))
(objective.loss_weights), a floor f on the weight of the implied x0 error at high noise, where the plain
loss leaves the decoder almost no reason to take the coarse image from z_sem (measured, with the ablation
of f, in docs/models/facesynth64-training.md). --coarse-x0-weight w adds w times the error of the implied
x0's coarse colours (objective.training_losses), the part of x0 that random-x_T decodes get wrong.
--distill-from TEACHER replaces the eps target below --distill-below by the teacher's prediction (a new
preset learning from the previous model); --distill-noise-mean takes the per-channel mean of those
targets from the true noise instead, because the 'small' teacher's is blind to the mean of x_t. The
logged `loss` is always the unweighted eps MSE against the true noise. --mean-phase-steps N trains the
first N steps of a run only at t >= 900 with the coarse-colour term (objective.timestep_recipe), so that a
decoder with fresh top levels learns to follow the mean of x_t before uniform-t steps teach it to discard it.

Resumable: run it again with the same --run-dir and it continues from the last checkpoint.
  /usr/bin/python3 -m diffae_toolkit.facesynth.train_autoenc --data data/facesynth64 --run-dir checkpoints/facesynth64
"""
import argparse
import os
import time

import torch

from .paths import DATA_DIR, RUN_DIR
from ..config import AutoencConfig
from ..nets import DiffAENet
from .common import Ema, JsonlLog, StepClock, Timer, atomic_save, save_grid, warmup_lr
from .data import BatchSampler, load_split
from .objective import (Probe, alpha_bar_table, distillation_target, loss_weights, sample_timesteps,
                        timestep_recipe, training_losses)
from .presets import PRESETS, facesynth_config
from .scoring import ValidationScorer
from .weights import load_autoencoder


def transfer_matching(net, source_state):
    """Copies every tensor of source_state whose name and shape net also has; (parameters copied, total)."""
    own = net.state_dict()
    matching = {k: v for k, v in source_state.items() if k in own and own[k].shape == v.shape}
    net.load_state_dict(matching, strict=False)
    params = dict(net.named_parameters())
    return sum(params[k].numel() for k in matching if k in params), sum(p.numel() for p in params.values())


def main(argv=None):
    p = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    p.add_argument('--data', default=DATA_DIR)
    p.add_argument('--run-dir', default=RUN_DIR)
    p.add_argument('--preset', default=None, choices=sorted(PRESETS),
                   help="architecture of a new run (default 'small'); a resumed run keeps its checkpoint's")
    p.add_argument('--batch', type=int, default=16)
    p.add_argument('--lr', type=float, default=4e-4)
    p.add_argument('--warmup', type=int, default=200)
    p.add_argument('--ema', type=float, default=0.999)
    p.add_argument('--high-t-share', type=float, default=0.0,
                   help='share of each batch whose t is drawn from [--high-t-from, 1000) (0 = official uniform)')
    p.add_argument('--high-t-from', type=int, default=500)
    p.add_argument('--x0-weight-floor', type=float, default=0.0,
                   help='least weight of the implied x0 error at every t (0 = the official plain eps MSE)')
    p.add_argument('--coarse-x0-weight', type=float, default=0.0,
                   help='weight of the implied x0 coarse-colour error added to the loss (0 = official)')
    p.add_argument('--mean-phase-steps', type=int, default=0,
                   help='the first N steps of the run train only at t >= 900 with the coarse-colour term '
                        '(objective.timestep_recipe); 0 = none')
    p.add_argument('--distill-from', default=None,
                   help='teacher (checkpoint, snapshot or bundle): for t < --distill-below the eps target is its '
                        'prediction instead of the true noise (objective.distillation_target)')
    p.add_argument('--distill-below', type=int, default=700)
    p.add_argument('--distill-noise-mean', action='store_true',
                   help="taught targets take their per-channel image mean from the true noise, not the teacher "
                        "(objective.distillation_target)")
    p.add_argument('--init-from', default=None,
                   help='a new run starts from the EMA weights of this checkpoint, snapshot or bundle folder '
                        '(facesynth.weights) wherever the shapes agree (another preset: the semantic encoder and the '
                        'low-resolution levels carry over)')
    p.add_argument('--threads', type=int, default=2)
    p.add_argument('--minutes', type=float, default=None, help='wall-clock budget of this invocation')
    p.add_argument('--max-samples', type=int, default=None)
    p.add_argument('--save-every', type=float, default=5.0, help='minutes between checkpoints')
    p.add_argument('--probe-every', type=int, default=500, help='steps between probe measurements')
    p.add_argument('--grid-every', type=int, default=2000, help='steps between sample grids')
    p.add_argument('--score-every', type=int, default=4000,
                   help='steps between validation scores of the EMA model (facesynth.scoring, ~2 min); 0 = never')
    p.add_argument('--judge', default=None,
                   help='pixel judge for the random-x_T agreement score (default: RUN_DIR/pixel_classifier.pt, '
                        'written by the report; skipped while it does not exist)')
    p.add_argument('--device', default='cuda' if torch.cuda.is_available() else 'cpu')
    p.add_argument('--seed', type=int, default=0)
    args = p.parse_args(argv)
    if args.coarse_x0_weight < 0:
        p.error(f'--coarse-x0-weight must be >= 0, got {args.coarse_x0_weight}')
    if args.mean_phase_steps < 0:
        p.error(f'--mean-phase-steps must be >= 0, got {args.mean_phase_steps}')

    torch.set_num_threads(args.threads)
    device = torch.device(args.device)
    ckpt_path = os.path.join(args.run_dir, 'autoenc', 'last.pt')
    log = JsonlLog(os.path.join(args.run_dir, 'autoenc', 'log.jsonl'))
    train_images, _, _ = load_split(args.data, 'train')
    val_images, _, _ = load_split(args.data, 'val')
    sampler = BatchSampler(train_images, args.batch, args.seed)

    if os.path.exists(ckpt_path):
        state = torch.load(ckpt_path, map_location='cpu')
        conf = AutoencConfig.from_dict(state['conf'])
        if args.preset and conf.name != facesynth_config(args.preset).name:
            p.error(f'{ckpt_path} holds {conf.name}, not preset {args.preset}: use another --run-dir')
    else:
        state, conf = None, facesynth_config(args.preset or 'small')
    torch.manual_seed(args.seed)
    net = DiffAENet(conf.base())
    if state is None and args.init_from:
        copied, total = transfer_matching(net, load_autoencoder(args.init_from)[0].state_dict())
        print(f'initialised {copied:,} of {total:,} parameters from {args.init_from}', flush=True)
    net = net.to(device)
    opt = torch.optim.AdamW(net.parameters(), lr=args.lr, weight_decay=0.0)
    ema = Ema(net, args.ema)
    step, samples, compute_s = 0, 0, 0.0
    if state is not None:
        net.load_state_dict(state['net'])
        ema.model.load_state_dict(state['ema'])
        ema.updates = state.get('ema_updates', state['step'])
        opt.load_state_dict(state['opt'])
        sampler.load_state(state['sampler'])
        torch.set_rng_state(state['torch_rng'])
        step, samples, compute_s = state['step'], state['samples'], state['compute_seconds']
        print(f'resumed at step {step} ({samples} samples, {compute_s / 3600:.2f} compute-hours)', flush=True)
        log.write(event='resume', step=step, samples=samples, args=vars(args))
        if args.init_from:
            print(f'--init-from ignored: {ckpt_path} already exists', flush=True)
    else:
        n_params = sum(p.numel() for p in net.parameters())
        print(f'new run {conf.name}: {n_params:,} parameters', flush=True)
        log.write(event='start', conf=conf.to_dict(), params=n_params, args=vars(args))

    alpha_bar = alpha_bar_table().to(device)
    teacher = None
    if args.distill_from:
        teacher = load_autoencoder(args.distill_from)[0].to(device).requires_grad_(False)
    scorer = None
    probe = Probe(val_images, alpha_bar.cpu())
    timer = Timer(args.minutes)
    clock = StepClock()
    last_save = time.time()
    window_loss, window_n, window_t0 = 0.0, 0, time.time()

    def save():
        atomic_save({'net': net.state_dict(), 'ema': ema.model.state_dict(), 'opt': opt.state_dict(),
                     'sampler': sampler.state(), 'torch_rng': torch.get_rng_state(), 'step': step,
                     'ema_updates': ema.updates,
                     'samples': samples, 'compute_seconds': compute_s, 'conf': conf.to_dict()}, ckpt_path)

    while not timer.expired() and (args.max_samples is None or samples < args.max_samples):
        t0 = clock.start()
        for group in opt.param_groups:
            group['lr'] = warmup_lr(step, args.lr, args.warmup)
        x0 = sampler.next().to(device)
        high_share, high_from, coarse_weight = timestep_recipe(step, args.mean_phase_steps, args.high_t_share,
                                                               args.high_t_from, args.coarse_x0_weight)
        t = sample_timesteps(x0.shape[0], high_share, high_from, device=device)
        noise = torch.randn_like(x0)
        target = None if teacher is None else distillation_target(teacher, x0, t, noise, alpha_bar,
                                                                  args.distill_below, args.distill_noise_mean)
        per_sample, coarse, true_mse = training_losses(net, x0, t, noise, alpha_bar, target)
        loss = true_mse.mean()
        opt.zero_grad(set_to_none=True)
        weighted = loss_weights(t, alpha_bar, args.x0_weight_floor) * per_sample + coarse_weight * coarse
        weighted.mean().backward()
        torch.nn.utils.clip_grad_norm_(net.parameters(), 1.0)
        opt.step()
        ema.update(net)
        step += 1
        samples += x0.shape[0]
        compute_s += clock.seconds_since(t0)
        window_loss += loss.item()
        window_n += 1

        if step % 100 == 0:
            elapsed = time.time() - window_t0
            log.write(event='train', step=step, samples=samples, loss=window_loss / window_n,
                      samples_per_s=window_n * args.batch / elapsed, compute_hours=compute_s / 3600)
            print(f'step {step} samples {samples} loss {window_loss / window_n:.4f} '
                  f'{window_n * args.batch / elapsed:.1f} samples/s', flush=True)
            window_loss, window_n, window_t0 = 0.0, 0, time.time()
        if step % args.probe_every == 0:
            with ema.on_cpu() as model_cpu:
                m = probe.measure(model_cpu)
            log.write(event='probe', step=step, samples=samples, compute_hours=compute_s / 3600, **m)
            print(f'probe {m}', flush=True)
        if args.score_every and step % args.score_every == 0:
            if scorer is None:
                scorer = ValidationScorer(args.data, args.judge or os.path.join(args.run_dir, 'pixel_classifier.pt'))
            with ema.on_cpu() as model_cpu:
                scores = scorer.score(model_cpu)
            log.write(event='score', step=step, samples=samples, compute_hours=compute_s / 3600, weights='ema',
                      **scores)
            print(f"score z_gap {scores['z_gap']:.3f} probe AUROC {scores['probe_auroc_mean']:.3f} "
                  f"decode agreement (min key) {scores['decode_agreement_key_min']}", flush=True)
        if step % args.grid_every == 0:
            with ema.on_cpu() as model_cpu:
                imgs = probe.random_xt_decodes(model_cpu)
            top = (probe.x0[:16] + 1) / 2
            save_grid(torch.cat([top, imgs]), os.path.join(args.run_dir, 'autoenc', 'grids', f'{step:07d}.png'))
        if time.time() - last_save > 60 * args.save_every:
            save()
            last_save = time.time()
    save()
    print(f'stopped at step {step} ({samples} samples)', flush=True)


if __name__ == '__main__':
    main()
