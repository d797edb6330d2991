import json
import os

import numpy as np
import pytest
import torch

from diffae_toolkit.facesynth import objective, train_autoenc
from diffae_toolkit.facesynth.metrics import auroc, psnr, ssim


def _write_split(root, split, n, seed):
    folder = os.path.join(root, split)
    os.makedirs(folder)
    rng = np.random.default_rng(seed)
    np.save(os.path.join(folder, 'images.npy'), rng.integers(0, 256, (n, 64, 64, 3), dtype=np.uint8))
    np.save(os.path.join(folder, 'labels.npy'), rng.integers(0, 2, (n, 2), dtype=np.uint8))
    with open(os.path.join(folder, 'attributes.json'), 'w') as f:
        json.dump({'attributes': [{'name': 'A'}, {'name': 'B'}]}, f)


def test_auroc_matches_pair_counting():
    rng = np.random.default_rng(0)
    labels = rng.integers(0, 2, 200)
    scores = rng.normal(size=200) + labels
    scores[::7] = 0.5  # ties
    pos, neg = scores[labels == 1], scores[labels == 0]
    pairs = (pos[:, None] > neg[None, :]).mean() + 0.5 * (pos[:, None] == neg[None, :]).mean()
    assert auroc(labels, scores) == pytest.approx(pairs, abs=1e-12)
    assert auroc(np.ones(3), np.arange(3)) != auroc(np.ones(3), np.arange(3))  # NaN for one class


def test_ssim_identity_and_noise():
    x = torch.rand(2, 3, 32, 32)
    assert torch.allclose(ssim(x, x), torch.ones(2))
    noisy = (x + 0.2 * torch.randn_like(x)).clamp(0, 1)
    assert (ssim(x, noisy) < 0.9).all()
    assert psnr(0.01) == pytest.approx(20.0)


def test_autoencoder_training_resumes(tmp_path):
    data, run = str(tmp_path / 'data'), str(tmp_path / 'run')
    _write_split(data, 'train', 32, 0)
    _write_split(data, 'val', 8, 1)
    args = ['--data', data, '--run-dir', run, '--batch', '4', '--threads', '1', '--probe-every', '2',
            '--grid-every', '1000', '--score-every', '4']
    train_autoenc.main(args + ['--max-samples', '8', '--coarse-x0-weight', '1e-3', '--mean-phase-steps', '1'])
    first = torch.load(os.path.join(run, 'autoenc', 'last.pt'))
    assert first['step'] == 2 and first['samples'] == 8
    teacher = str(tmp_path / 'teacher.pt')
    torch.save(first, teacher)
    train_autoenc.main(args + ['--max-samples', '16', '--distill-from', teacher, '--distill-below', '1000',
                                '--distill-noise-mean'])
    second = torch.load(os.path.join(run, 'autoenc', 'last.pt'))
    assert second['step'] == 4 and second['samples'] == 16
    changed = any(not torch.equal(first['net'][k], second['net'][k]) for k in first['net'])
    assert changed
    log = [json.loads(line) for line in open(os.path.join(run, 'autoenc', 'log.jsonl'))]
    assert any(r['event'] == 'probe' for r in log)
    scores = [r for r in log if r['event'] == 'score']
    assert [r['step'] for r in scores] == [4] and scores[0]['weights'] == 'ema'
    assert 0 <= scores[0]['probe_auroc_mean'] <= 1 and scores[0]['val_loss'] > 0
    assert np.isfinite(scores[0]['mean_colour_gain_t900'])
    assert scores[0]['decode_agreement'] is None  # no pixel judge in this run dir
    with pytest.raises(SystemExit):  # the checkpoint holds 'small'
        train_autoenc.main(args + ['--max-samples', '20', '--preset', 'small_top64'])
    assert torch.load(os.path.join(run, 'autoenc', 'last.pt'))['step'] == 4


def test_only_the_top64_preset_keeps_two_channels_per_group_in_the_output_norm():
    from diffae_toolkit.facesynth.presets import facesynth_config
    from diffae_toolkit.nets import DiffAENet

    def output_norm(preset):
        return DiffAENet(facesynth_config(preset).base()).out[0]  # the UNet's output GroupNorm

    small, top64 = output_norm('small'), output_norm('small_top64')
    assert small.num_groups == small.num_channels == 16  # one channel per group: blind to channel means
    assert top64.num_channels == 64 and top64.num_channels // top64.num_groups == 2


def test_a_new_run_of_another_preset_takes_the_matching_weights_of_an_old_one():
    from diffae_toolkit.facesynth.presets import facesynth_config
    from diffae_toolkit.nets import DiffAENet

    torch.manual_seed(0)
    small = DiffAENet(facesynth_config('small').base())
    top64 = DiffAENet(facesynth_config('small_top64').base())
    copied, total = train_autoenc.transfer_matching(top64, small.state_dict())
    assert 0 < copied < total == sum(p.numel() for p in top64.parameters())
    mine = top64.state_dict()
    assert all(torch.equal(mine[k], v) for k, v in small.encoder.state_dict(prefix='encoder.').items())
    assert not torch.equal(mine['input_blocks.0.0.weight'][:16], small.state_dict()['input_blocks.0.0.weight'])


def test_ema_decay_warms_up_then_caps():
    from diffae_toolkit.facesynth.common import Ema

    model = torch.nn.Linear(2, 2)
    ema = Ema(model, 0.999)
    initial = ema.model.weight.clone()
    assert ema.current_decay() == pytest.approx(0.1)
    with torch.no_grad():
        model.weight.fill_(1.0)
    ema.update(model)
    assert torch.allclose(ema.model.weight, 0.1 * initial + 0.9)
    assert ema.current_decay() == pytest.approx(2 / 11)
    ema.updates = 100_000
    assert ema.current_decay() == 0.999


def test_step_clock_does_not_count_a_stop_as_compute(monkeypatch):
    import os
    import signal
    import time as real_time

    from diffae_toolkit.facesynth import common

    now = [1000.0]
    monkeypatch.setattr(common.time, 'time', lambda: now[0])
    clock = common.StepClock()
    for duration in (1.0, 1.2, 0.8):
        t0 = clock.start()
        now[0] += duration
        assert clock.seconds_since(t0) == pytest.approx(duration)
    t0 = clock.start()
    now[0] += 600.0  # stopped for ten minutes mid-step
    os.kill(os.getpid(), signal.SIGCONT)
    real_time.sleep(0.01)  # let the handler run
    assert clock.seconds_since(t0) == pytest.approx(1.0)
    t0 = clock.start()
    now[0] += 1.1
    assert clock.seconds_since(t0) == pytest.approx(1.1)


def test_x0_weight_floor_keeps_the_eps_loss_where_snr_is_high_and_floors_the_x0_weight_elsewhere():
    alpha_bar = objective.alpha_bar_table()
    t = torch.arange(1000)
    assert torch.equal(objective.loss_weights(t, alpha_bar), torch.ones(1000))
    snr = alpha_bar / (1 - alpha_bar)
    w = objective.loss_weights(t, alpha_bar, x0_floor=1e-3)
    assert torch.equal(w[snr >= 1e-3], torch.ones(int((snr >= 1e-3).sum())))
    # the weight on the implied x0 error, SNR * w, never falls below the floor
    assert (snr * w >= 1e-3 * (1 - 1e-5)).all()
    assert torch.allclose((snr * w)[snr < 1e-3], torch.full((int((snr < 1e-3).sum()),), 1e-3))
    assert 820 < int((snr < 1e-3).nonzero()[0]) < 830 and w[-1] > 20
    with pytest.raises(ValueError, match='x0_floor'):
        objective.loss_weights(t, alpha_bar, x0_floor=-1.0)


class _OffsetEps(torch.nn.Module):
    """A stand-in decoder that knows the true noise and adds a constant to it."""

    def __init__(self, noise, offset):
        super().__init__()
        self.noise, self.offset = noise, offset
        self.encoder = lambda x0: torch.zeros(x0.shape[0], 1)

    def forward(self, x_t, t, z):
        return self.noise + self.offset


def test_training_losses_price_an_eps_offset_as_an_x0_colour_error_scaled_by_the_snr():
    alpha_bar = objective.alpha_bar_table()
    x0 = torch.rand(3, 3, 64, 64) * 2 - 1
    noise = torch.randn_like(x0)
    t = torch.tensor([0, 500, 999])
    eps_mse, coarse, _ = objective.training_losses(_OffsetEps(noise, 0.0), x0, t, noise, alpha_bar)
    assert torch.allclose(eps_mse, torch.zeros(3)) and torch.allclose(coarse, torch.zeros(3), atol=1e-8)
    eps_mse, coarse, true_mse = objective.training_losses(_OffsetEps(noise, 0.01), x0, t, noise, alpha_bar)
    assert torch.equal(true_mse, eps_mse)
    assert torch.allclose(eps_mse, torch.full((3,), 1e-4))
    ab = alpha_bar[t]
    # an eps offset c moves the implied x0 by -c sqrt(1 - ab) / sqrt(ab): cheap in eps, dear at high noise
    assert torch.allclose(coarse, 1e-4 * (1 - ab) / ab, rtol=1e-3)
    assert coarse[2] > 1e3 * eps_mse[2]
    assert torch.allclose(objective.diffusion_loss(_OffsetEps(noise, 0.01), x0, t, noise, alpha_bar), eps_mse)


class _HalfInput(torch.nn.Module):
    """A stand-in teacher whose eps prediction is half its input."""

    def __init__(self):
        super().__init__()
        self.encoder = lambda x0: torch.zeros(x0.shape[0], 1)

    def forward(self, x_t, t, z):
        return 0.5 * x_t


def test_distillation_target_is_the_teacher_below_the_threshold_and_the_noise_above():
    alpha_bar = objective.alpha_bar_table()
    x0 = torch.rand(3, 3, 32, 32) * 2 - 1
    noise = torch.randn_like(x0)
    t = torch.tensor([0, 500, 999])
    target = objective.distillation_target(_HalfInput(), x0, t, noise, alpha_bar, below=600)
    ab = alpha_bar[t].view(-1, 1, 1, 1)
    x_t = ab.sqrt() * x0 + (1 - ab).sqrt() * noise
    assert torch.allclose(target[:2], 0.5 * x_t[:2]) and torch.equal(target[2], noise[2])
    assert torch.equal(objective.distillation_target(_HalfInput(), x0, t, noise, alpha_bar, below=0), noise)
    target_mse, _, true_mse = objective.training_losses(_OffsetEps(noise, 0.0), x0, t, noise, alpha_bar, target)
    assert torch.allclose(true_mse, torch.zeros(3))  # the stand-in predicts the true noise ...
    assert (target_mse[:2] > 0).all() and target_mse[2] == 0  # ... which is not the teacher's target


def test_distillation_with_noise_mean_keeps_the_teachers_pattern_and_the_noises_channel_means():
    alpha_bar = objective.alpha_bar_table()
    x0 = torch.rand(3, 3, 32, 32) * 2 - 1
    noise = torch.randn_like(x0) + torch.tensor([0.3, -0.2, 0.1]).view(1, 3, 1, 1)
    t = torch.tensor([0, 500, 999])
    plain = objective.distillation_target(_HalfInput(), x0, t, noise, alpha_bar, below=600)
    target = objective.distillation_target(_HalfInput(), x0, t, noise, alpha_bar, below=600, noise_mean=True)
    means = (2, 3)
    assert torch.allclose(target[:2].mean(dim=means), noise[:2].mean(dim=means), atol=1e-6)
    assert not torch.allclose(plain[:2].mean(dim=means), noise[:2].mean(dim=means), atol=1e-3)
    centred = lambda a: a - a.mean(dim=means, keepdim=True)  # noqa: E731
    assert torch.allclose(centred(target[:2]), centred(plain[:2]), atol=1e-6)
    assert torch.equal(target[2], noise[2])


def test_the_mean_phase_trains_at_high_noise_with_the_coarse_term_then_hands_over_to_the_recipe():
    recipe = (0.25, 500, 0.0)
    assert objective.timestep_recipe(0, 3, *recipe) == (1.0, 900, 1e-2)
    assert objective.timestep_recipe(2, 3, *recipe) == (1.0, 900, 1e-2)
    assert objective.timestep_recipe(3, 3, *recipe) == recipe
    assert objective.timestep_recipe(0, 0, *recipe) == recipe
    t = objective.sample_timesteps(64, *objective.timestep_recipe(0, 3, *recipe)[:2])
    assert (t >= 900).all()


def test_trainer_refuses_a_negative_coarse_weight(capsys):
    with pytest.raises(SystemExit):
        train_autoenc.main(['--coarse-x0-weight', '-1'])
    assert '--coarse-x0-weight must be >= 0' in capsys.readouterr().err


class _ScaledInput(torch.nn.Module):
    def __init__(self, gain, norm=None):
        super().__init__()
        self.gain, self.norm = gain, norm

    def forward(self, x_t, t, z):
        return self.gain * (x_t if self.norm is None else self.norm(x_t))


def test_mean_colour_gain_reads_how_the_prediction_follows_a_constant_shift_of_x_t():
    alpha_bar = objective.alpha_bar_table()
    x0 = torch.rand(4, 3, 64, 64) * 2 - 1
    noise, t, z = torch.randn_like(x0), torch.full((4,), 900), torch.zeros(4, 1)
    assert objective.mean_colour_gain(_ScaledInput(0.7), x0, t, noise, alpha_bar, z) == pytest.approx(0.7)
    # a norm with one channel per group (what GroupNorm(min(32, C)) is below 64 channels) removes the mean
    blind = _ScaledInput(1.0, torch.nn.GroupNorm(3, 3))
    assert abs(objective.mean_colour_gain(blind, x0, t, noise, alpha_bar, z)) < 1e-5


def test_coarse_error_sees_mean_colours_not_detail():
    from diffae_toolkit.facesynth.metrics import coarse_error

    a = torch.zeros(2, 3, 64, 64)
    checker = torch.ones(64, 64)
    checker[::2, ::2] = checker[1::2, 1::2] = -1  # zero mean in every 16 x 16 cell
    assert torch.allclose(coarse_error(a + checker, a), torch.zeros(2))
    assert torch.allclose(coarse_error(a + 0.5, a), torch.full((2,), 0.25))


def test_timestep_mixture_puts_its_share_above_the_threshold():
    torch.manual_seed(0)
    uniform = objective.sample_timesteps(4000)
    assert uniform.min() >= 0 and uniform.max() < 1000
    assert abs((uniform >= 600).float().mean().item() - 0.4) < 0.03
    mixed = objective.sample_timesteps(4000, high_share=0.5, high_from=600)
    assert (mixed[:2000] >= 600).all()
    # half drawn above 600, the other half uniform: 0.5 + 0.5 * 0.4 of the batch lies above 600
    assert abs((mixed >= 600).float().mean().item() - 0.7) < 0.03
    assert len(objective.sample_timesteps(5, high_share=0.5)) == 5
    with pytest.raises(ValueError, match='high_share'):
        objective.sample_timesteps(4, high_share=1.5)
    with pytest.raises(ValueError, match='high_from'):
        objective.sample_timesteps(4, high_from=1000)


def test_a_snapshot_holds_float16_ema_weights_and_the_counters_and_loads_as_a_net(tmp_path):
    from diffae_toolkit.facesynth import snapshot
    from diffae_toolkit.facesynth.presets import facesynth_config
    from diffae_toolkit.facesynth.weights import load_autoencoder
    from diffae_toolkit.nets import DiffAENet

    conf = facesynth_config('small')
    ema = DiffAENet(conf.base())
    run = tmp_path / 'run'
    os.makedirs(run / 'autoenc')
    torch.save({'ema': ema.state_dict(), 'net': {}, 'conf': conf.to_dict(), 'step': 7, 'samples': 112,
                'compute_seconds': 3.5}, run / 'autoenc' / 'last.pt')
    out = str(tmp_path / 'snap.pt')
    snapshot.main(['--run-dir', str(run), '--out', out, '--note', 'test'])
    saved = torch.load(out)
    assert {saved[k] for k in ('step', 'samples', 'compute_seconds')} == {7, 112, 3.5} and saved['note'] == 'test'
    assert all(v.dtype == torch.float16 for v in saved['ema'].values())
    net, info = load_autoencoder(out)
    for name, value in net.state_dict().items():
        assert torch.equal(value, ema.state_dict()[name].half().float()), name
    with pytest.raises(ValueError, match="no 'net' weights"):
        load_autoencoder(out, 'net')


def test_the_shipped_bundle_reads_back_as_the_autoencoder_its_graphs_compute(tmp_path):
    from conftest import REPO, ort_run
    from diffae_toolkit.facesynth.weights import load_autoencoder

    bundle = os.path.join(REPO, 'models', 'bundles', 'facesynth64')
    net, manifest = load_autoencoder(bundle)
    assert net.conf.name == manifest['source']['config']
    gen = torch.Generator().manual_seed(0)
    x = torch.rand((2, 3, 64, 64), generator=gen) * 2 - 1
    t = torch.tensor([20.0, 900.0])
    with torch.no_grad():
        z = net.encoder(x)
        eps = net(x, t, z)
    ort = ort_run(str(tmp_path), [(os.path.join(bundle, 'encoder.onnx'), {'x': x.numpy()}, ['z']),
                                  (os.path.join(bundle, 'unet.onnx'), {'x': x.numpy(), 't': t.numpy(),
                                                                       'z': z.numpy()}, ['eps'])])
    assert np.abs(ort[0]['z'] - z.numpy()).max() < 1e-4
    assert np.abs(ort[1]['eps'] - eps.numpy()).max() < 1e-4


def test_a_folder_that_is_not_a_bundle_is_refused(tmp_path):
    from diffae_toolkit.facesynth.weights import load_autoencoder

    with pytest.raises(ValueError, match='not a model bundle'):
        load_autoencoder(str(tmp_path))


def test_train_all_hands_the_autoencoder_recipe_to_stage_one(monkeypatch):
    from diffae_toolkit.facesynth import train_all
    calls = {}
    for stage in ('train_autoenc', 'train_latent', 'train_classifier', 'distill_lite'):
        monkeypatch.setattr(getattr(train_all, stage), 'main', lambda argv, s=stage: calls.setdefault(s, argv))
    train_all.main(['--autoenc-minutes', '1', '--init-from', 'B', '--distill-from', 'B', '--distill-noise-mean',
                    '--mean-phase-steps', '200', '--high-t-share', '0.25', '--high-t-from', '900',
                    '--coarse-x0-weight', '1e-2'])
    ae = calls['train_autoenc']
    flag = lambda name: ae[ae.index(name) + 1]  # noqa: E731
    assert [float(flag(name)) for name in ('--mean-phase-steps', '--high-t-share', '--high-t-from',
                                           '--coarse-x0-weight')] == [200, 0.25, 900, 0.01]
    assert '--distill-noise-mean' in ae and flag('--distill-from') == 'B' and flag('--init-from') == 'B'
    assert set(calls) == {'train_autoenc', 'train_latent', 'train_classifier', 'distill_lite'}
