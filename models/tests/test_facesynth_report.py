import json
import os

import numpy as np
import pytest
import torch

from diffae_toolkit.config import AutoencConfig, LatentConfig
from diffae_toolkit.facesynth.report import cli
from diffae_toolkit.facesynth.report.attributes import AttributeSchema, agreement, flip_rate, non_target_units
from diffae_toolkit.facesynth.report.frechet import frechet_distance, frechet_from_moments
from diffae_toolkit.facesynth.report.manipulation import edit_jobs, summarise
from diffae_toolkit.facesynth.report.pixel_classifier import load_or_train, load_saved
from diffae_toolkit.facesynth.report.settings import QUICK
from diffae_toolkit.facesynth.report.targets import manipulation_at
from diffae_toolkit.nets import DiffAENet
from diffae_toolkit.nets.latent import MLPSkipNet

# The column order of docs/models/facesynth64-dataset.md.
NAMES = ['Male', 'Eyeglasses', 'Facial_Hair', 'Wearing_Hat', 'Smiling', 'Bald', 'Chubby', 'Black_Hair',
         'Brown_Hair', 'Blond_Hair', 'Red_Hair', 'Gray_Hair', 'Light_Skin', 'Medium_Skin', 'Dark_Skin']
HAIR = slice(7, 12)
SKIN = slice(12, 15)


def _labels(rng, n):
    y = np.zeros((n, len(NAMES)), np.uint8)
    y[:, :7] = rng.random((n, 7)) < 0.4
    y[np.arange(n), 7 + rng.integers(0, 5, n)] = 1
    y[np.arange(n), 12 + rng.integers(0, 3, n)] = 1
    return y


def _write_split(root, split, n, seed):
    folder = os.path.join(root, split)
    os.makedirs(folder)
    rng = np.random.default_rng(seed)
    np.save(os.path.join(folder, 'images.npy'), rng.integers(0, 256, (n, 64, 64, 3), dtype=np.uint8))
    np.save(os.path.join(folder, 'labels.npy'), _labels(rng, n))
    with open(os.path.join(folder, 'attributes.json'), 'w') as f:
        json.dump({'split': split, 'attributes': NAMES}, f)


def _write_run(run_dir):
    torch.manual_seed(0)
    conf = AutoencConfig(name='tiny64', img_size=64, net_ch=8, ch_mult=(1, 1, 1, 1), enc_channel_mult=(1, 1, 1, 1),
                         attn_resolutions=(), num_res_blocks=1, enc_num_res_blocks=1, embed_channels=16, z_dim=16,
                         dropout=0.0, latent=LatentConfig(num_layers=2, hidden=16, time_emb_dim=8, z_dim=16))
    net = DiffAENet(conf.base())
    os.makedirs(os.path.join(run_dir, 'autoenc'))
    torch.save({'ema': net.state_dict(), 'conf': conf.to_dict(), 'step': 300, 'samples': 4800,
                'compute_seconds': 7200.0}, os.path.join(run_dir, 'autoenc', 'last.pt'))
    with open(os.path.join(run_dir, 'autoenc', 'log.jsonl'), 'w') as f:
        for step in (100, 200, 300):
            f.write(json.dumps({'event': 'train', 'step': step, 'loss': 1.0 / step}) + '\n')
        f.write(json.dumps({'event': 'probe', 'step': 200, 'probe_z_gap': 0.01}) + '\n')
    os.makedirs(os.path.join(run_dir, 'latent'))
    stats = {'conds_mean': torch.randn(16), 'conds_std': torch.rand(16) + 0.5}
    torch.save({'latent_ema': MLPSkipNet(conf.latent).state_dict(), 'latent_conf': conf.latent.to_dict(),
                'autoenc_step': 300, **stats},
               os.path.join(run_dir, 'latent', 'last.pt'))
    os.makedirs(os.path.join(run_dir, 'classifier'))
    torch.save({'weight': torch.randn(len(NAMES), 16), 'bias': torch.zeros(len(NAMES)), 'attributes': NAMES,
                'autoenc_step': 300, **stats}, os.path.join(run_dir, 'classifier', 'last.pt'))


def test_quick_report_end_to_end(tmp_path):
    data, run_dir, out = str(tmp_path / 'data'), str(tmp_path / 'run'), str(tmp_path / 'docs')
    for split, n, seed in (('train', 96, 0), ('val', 32, 1), ('test', 24, 2)):
        _write_split(data, split, n, seed)
    _write_run(run_dir)
    args = ['--split', 'test', '--data', data, '--run-dir', run_dir, '--out', out, '--quick', '--threads', '1']
    r = cli.main(args)

    md = open(os.path.join(out, 'facesynth64.md')).read()
    saved = json.load(open(os.path.join(out, 'facesynth64', 'report.json')))
    assert saved['training'] == {'step': 300, 'samples': 4800, 'compute_hours': 2.0}
    for heading in ('## Targets', '## 1. Reconstruction', '## 2. Linear', '## 3. Pixel classifier',
                    '### 3a.', '### 3b. Manipulation', '## 4. Interpolation', '## Training curve'):
        assert heading in md
    for png in ('reconstruction.png', 'manipulation.png', 'interpolation.png', 'samples.png', 'training_curve.png'):
        assert os.path.getsize(os.path.join(out, 'facesynth64', png)) > 0
        assert f'](facesynth64/{png})' in md
    assert os.path.exists(os.path.join(run_dir, 'pixel_classifier.quick.pt'))
    assert not os.path.exists(os.path.join(run_dir, 'pixel_classifier.pt'))  # quick runs keep the real one

    for k, m in saved['reconstruction']['inferred_xt'].items():
        assert 0 <= m['mse'] <= 1 and -1 <= m['ssim'] <= 1 and m['images'] == 8
    assert set(saved['reconstruction']['inferred_xt']) == {'5', '10'}
    # an untrained decoder from fresh noise misses the colours that inversion keeps
    assert saved['reconstruction']['random_xt']['colour_mse'] > saved['reconstruction']['inferred_xt']['10']['colour_mse']
    assert '| colour error |' in md
    for table in (saved['probe']['linear_probe'], saved['probe']['shipped_classifier']):
        assert set(table['per_attribute']) == set(NAMES) and 0 <= table['mean'] <= 1
    assert set(saved['decode_agreement']['vs_input_judged']) == {
        'Male', 'Eyeglasses', 'Facial_Hair', 'Wearing_Hat', 'Smiling', 'Bald', 'Chubby', 'Hair_Colour', 'Skin_Tone'}
    manip = saved['manipulation']['targets']
    assert set(manip) == set(NAMES) and set(manip['Eyeglasses']) == {'0.3', '1.0'}
    for row in manip['Eyeglasses'].values():
        assert 0 <= row['flip'] <= 1 and 0 <= row['non_target_agreement'] <= 1
        assert row['images_add'] + row['images_remove'] == 2
    assert saved['frechet']['images'] == 8 and saved['frechet']['samples_vs_split'] >= 0
    assert [t['pass'] for t in saved['targets']][0] is None  # K=100 is not run in quick mode
    assert set(saved['timings']) >= {'reconstruction', 'probe', 'manipulation', 'frechet'}
    assert saved['meta']['unet_calls'] > 0 and r['meta']['quick'] is True
    assert r['pixel_classifier']['training']['cached'] is False


def test_pixel_classifier_cache_is_reused_only_for_the_same_recipe(tmp_path):
    rng = np.random.default_rng(0)
    images = rng.integers(0, 256, (40, 64, 64, 3), dtype=np.uint8)
    labels = _labels(rng, 40)
    schema = AttributeSchema(NAMES)
    path = str(tmp_path / 'judge.pt')
    settings = QUICK.replace(pixel_train=32, pixel_val=8)
    kw = dict(settings=settings, device='cpu', log=lambda *_: None)
    _, val, first = load_or_train(path, schema, (images, labels), (images, labels), **kw)
    assert first['cached'] is False and set(val['attributes']) == set(NAMES)
    assert 0 <= val['mean_auroc'] <= 1 and val['images'] == 4  # the other half fitted the thresholds
    assert set(val['thresholds']) == set(NAMES)
    cached_model, _, again = load_or_train(path, schema, (images, labels), (images, labels), **kw)
    assert again['cached'] is True
    assert cached_model.thresholds.tolist() == pytest.approx(list(val['thresholds'].values()))
    # a judge saved before thresholds existed is refused with the way out
    state = torch.load(path)
    del state['state_dict']['thresholds']
    torch.save(state, path)
    with pytest.raises(ValueError, match='rerun the report'):
        load_saved(path, 'cpu')
    os.remove(path)
    load_or_train(path, schema, (images, labels), (images, labels), **kw)
    kw['settings'] = settings.replace(pixel_epochs=2)
    assert load_or_train(path, schema, (images, labels), (images, labels), **kw)[2]['cached'] is False


def test_frechet_identical_sets_and_known_gaussians():
    rng = np.random.default_rng(0)
    a = rng.normal(size=(500, 6))
    assert abs(frechet_distance(a, a)) < 1e-8
    d = 4
    shift = np.full(d, 0.5)
    assert frechet_from_moments(np.zeros(d), np.eye(d), shift, np.eye(d)) == pytest.approx(d * 0.25)
    # N(0, I) vs N(0, s^2 I): d (1 - s)^2
    assert frechet_from_moments(np.zeros(d), np.eye(d), np.zeros(d), 9 * np.eye(d)) == pytest.approx(d * 4)
    # from samples: a shifted copy of the same samples differs by exactly |shift|^2
    assert frechet_distance(a, a + 1.5) == pytest.approx(6 * 2.25, rel=1e-6)
    with pytest.raises(ValueError):
        frechet_from_moments(np.zeros(2), np.eye(2), np.zeros(3), np.eye(3))


def test_schema_reads_binary_and_argmax_units():
    schema = AttributeSchema(NAMES)
    probs = np.zeros((2, len(NAMES)))
    probs[0, 1] = 0.9                      # Eyeglasses
    probs[0, HAIR] = [0.1, 0.2, 0.6, 0.3, 0.0]
    probs[1, HAIR] = [0.4, 0.1, 0.1, 0.1, 0.2]
    probs[:, SKIN] = [0.2, 0.7, 0.1]
    units = schema.read(probs)
    assert units['Eyeglasses'].tolist() == [1, 0] and units['Hair_Colour'].tolist() == [2, 0]
    assert schema.present(units, NAMES.index('Blond_Hair')).tolist() == [True, False]
    assert 'Hair_Colour' not in non_target_units(schema, NAMES.index('Red_Hair'))
    assert 'Eyeglasses' in non_target_units(schema, NAMES.index('Red_Hair'))
    assert agreement(units, schema.read(probs[::-1]))['Skin_Tone'] == 1.0
    with pytest.raises(ValueError, match='shape'):
        schema.read(np.zeros((2, 3)))


def test_flip_rate_directions():
    present = np.array([True, True, False, True])
    assert flip_rate(present, 0.3) == 0.75
    assert flip_rate(present, -0.3) == 0.25
    with pytest.raises(ValueError):
        flip_rate(present, 0)


def test_manipulation_summary_counts_both_directions():
    schema = AttributeSchema(NAMES)
    glasses = NAMES.index('Eyeglasses')
    labels = np.zeros((6, len(NAMES)), np.uint8)
    labels[[1, 4], glasses] = 1
    jobs = edit_jobs(schema, labels, [glasses], [0.5], per_direction=3)
    assert [(a, i) for _, a, i in jobs] == [(0.5, 0), (0.5, 2), (0.5, 3), (-0.5, 1), (-0.5, 4)]
    # After the edit the judge sees glasses on images 0 and 2 (added), not on 3; removed on 1, kept on 4.
    edited = {u.name: np.zeros(5, np.int64) for u in schema.units}
    edited['Eyeglasses'] = np.array([1, 1, 0, 0, 1])
    edited['Male'] = np.array([1, 0, 0, 0, 0])
    unedited = {u.name: np.zeros(5, np.int64) for u in schema.units}
    unedited['Eyeglasses'] = np.array([0, 0, 1, 1, 0])
    s = summarise(schema, glasses, 0.5, jobs, edited, unedited)
    assert s['flip_add'] == pytest.approx(2 / 3) and s['flip_remove'] == 0.5 and s['flip'] == pytest.approx(3 / 5)
    assert s['already_before_edit'] == pytest.approx(2 / 5)  # image 2 already had glasses, 4 had lost them
    assert s['non_target_per_unit']['Male'] == pytest.approx(4 / 5)
    assert s['non_target_agreement'] == pytest.approx((4 / 5 + 7) / 8)


def test_manipulation_target_needs_all_three_and_one_hair_colour():
    good = {'flip': 0.8, 'non_target_agreement': 0.95}
    per_target = {n: {'1.0': dict(good)} for n in ('Eyeglasses', 'Facial_Hair', 'Wearing_Hat', 'Red_Hair', 'Gray_Hair')}
    per_target['Red_Hair']['1.0'] = {'flip': 0.2, 'non_target_agreement': 0.99}
    assert manipulation_at(per_target, '1.0')[:2] == (True, 'Gray_Hair')
    per_target['Gray_Hair']['1.0'] = {'flip': 0.9, 'non_target_agreement': 0.5}
    assert manipulation_at(per_target, '1.0')[0] is False
    per_target['Gray_Hair']['1.0'] = dict(good)
    per_target['Wearing_Hat']['1.0'] = {'flip': 0.69, 'non_target_agreement': 0.99}
    assert manipulation_at(per_target, '1.0')[0] is False


def test_cli_options_and_split_folders(tmp_path):
    folder = tmp_path / 'custom-2100000-4'
    folder.mkdir()
    np.save(folder / 'images.npy', np.zeros((4, 64, 64, 3), np.uint8))
    assert cli.resolve_split(str(folder)) == str(folder)
    assert cli.resolve_split('test') == 'test'
    s = cli.settings_from(cli.parse(['--recon-steps', '10,20', '--manip-steps', '50,20', '--manip-targets',
                                     'Eyeglasses, Wearing_Hat']))
    assert s.recon_steps == (10, 20) and (s.manip_inv_steps, s.manip_render_steps) == (50, 20)
    assert s.manip_targets == ('Eyeglasses', 'Wearing_Hat') and not s.quick
    assert s.manip_amplitudes == (0.3, 1.0)
    assert cli.settings_from(cli.parse(['--manip-amplitudes', '0.5,2'])).manip_amplitudes == (0.5, 2.0)
    with pytest.raises(SystemExit, match='manip-amplitudes: expected comma-separated numbers'):
        cli.settings_from(cli.parse(['--manip-amplitudes', 'big']))
    with pytest.raises(ValueError, match='manip_amplitudes must be positive'):
        cli.settings_from(cli.parse(['--manip-amplitudes', '0.5,-1']))
    with pytest.raises(SystemExit, match='manip-steps'):
        cli.settings_from(cli.parse(['--manip-steps', '50']))
    with pytest.raises(ValueError, match='K=600'):
        cli.settings_from(cli.parse(['--recon-steps', '600']))


def test_ablation_branches_each_variant_from_one_checkpoint_and_scores_it(tmp_path):
    from diffae_toolkit.facesynth import ablate, train_autoenc

    data, source, out = str(tmp_path / 'data'), str(tmp_path / 'run'), str(tmp_path / 'ablations')
    _write_split(data, 'train', 48, 0)
    _write_split(data, 'val', 16, 1)
    train_autoenc.main(['--data', data, '--run-dir', source, '--batch', '4', '--threads', '1',
                        '--max-samples', '4', '--grid-every', '1000'])
    images, labels = np.load(os.path.join(data, 'train', 'images.npy')), np.load(os.path.join(data, 'train', 'labels.npy'))
    load_or_train(os.path.join(source, 'pixel_classifier.pt'), AttributeSchema(NAMES), (images, labels),
                  (images, labels), settings=QUICK.replace(pixel_train=32, pixel_val=8), device='cpu',
                  log=lambda *_: None)
    args = ['--from', source, '--out', out, '--data', data, '--variants', 'baseline,high_t_half,x0_floor_1e-3,coarse_x0_1e-3',
            '--minutes', '0.02',
            '--probe-train', '32', '--probe-eval', '16', '--decodes', '4', '--decode-steps', '5',
            '--gap-images', '8', '--threads', '1']
    r = ablate.main(args)

    assert set(r['models']) == {'branch point', 'baseline', 'high_t_half', 'x0_floor_1e-3', 'coarse_x0_1e-3'}
    assert r['branch_point']['step'] == 1
    for name in ('baseline', 'high_t_half', 'x0_floor_1e-3', 'coarse_x0_1e-3'):
        training = r['models'][name]['training']
        assert training['step'] > 1 and training['samples'] == 16 * (training['step'] - 1)
        scores = r['models'][name]['scores']
        assert 0 <= scores['probe_auroc_mean'] <= 1 and 0 <= scores['decode_agreement_key_min'] <= 1
        assert scores['val_loss'] > 0 and 0 < scores['decode_colour_mse'] < 1
        assert set(scores['x0_colour_mse']) == {'700', '800', '900'}
        assert np.isfinite(scores['mean_colour_gain_t900'])
    def resumed_with(variant, arg):
        log = [json.loads(line) for line in open(os.path.join(out, variant, 'autoenc', 'log.jsonl'))]
        return [e['args'][arg] for e in log if e['event'] == 'resume']
    assert resumed_with('high_t_half', 'high_t_share') == [0.5]
    assert resumed_with('x0_floor_1e-3', 'x0_weight_floor') == [1e-3]
    assert resumed_with('baseline', 'x0_weight_floor') == [0.0]
    assert resumed_with('coarse_x0_1e-3', 'coarse_x0_weight') == [1e-3]
    assert resumed_with('baseline', 'coarse_x0_weight') == [0.0]
    assert '| high_t_half |' in open(os.path.join(out, 'ablation.md')).read()
    # a rerun reuses the trained variants
    mtime = os.path.getmtime(os.path.join(out, 'baseline', 'autoenc', 'last.pt'))
    ablate.main(args)
    assert os.path.getmtime(os.path.join(out, 'baseline', 'autoenc', 'last.pt')) == mtime


def test_ablation_pauses_the_named_run_and_its_children_meanwhile(tmp_path):
    import signal
    import subprocess
    import time

    from diffae_toolkit.facesynth.ablate import Paused, process_state

    proc = subprocess.Popen(['sh', '-c', 'sleep 30 & wait'])
    paused = None
    try:
        pid_file = tmp_path / 'train.pid'
        pid_file.write_text(f'{proc.pid}\n')
        for _ in range(50):
            paused = Paused(str(pid_file))
            if len(paused.pids) == 2:
                break
            time.sleep(0.1)
        assert len(paused.pids) == 2  # the shell and its sleep
        with paused:
            assert [process_state(p) for p in paused.pids] == ['T', 'T']
        time.sleep(0.2)
        assert all(process_state(p) in ('S', 'R') for p in paused.pids)
    finally:
        for pid in reversed(paused.pids if paused else [proc.pid]):
            try:
                os.kill(pid, signal.SIGKILL)
            except ProcessLookupError:
                pass
        proc.wait()


def test_colour_mse_compares_cell_means():
    from diffae_toolkit.facesynth.metrics import colour_mse

    torch.manual_seed(0)
    a = torch.rand(3, 3, 64, 64) * 0.6 + 0.2
    assert colour_mse(a, a) == 0
    assert abs(colour_mse(a, a + 0.2) - 0.04) < 1e-6
    # detail that averages out within each 16x16 cell costs nothing
    checker = (torch.arange(64).view(1, 1, 64, 1) + torch.arange(64).view(1, 1, 1, 64)) % 2 * 0.2 - 0.1
    assert colour_mse(a, a + checker) < 1e-10


def test_judge_thresholds_fit_rare_attributes_that_a_half_cut_misses():
    from diffae_toolkit.facesynth.report.pixel_classifier import fit_thresholds

    rng = np.random.default_rng(0)
    y = (rng.random(400) < 0.1).astype(np.int64)
    # perfectly ranked but never above 0.5: the 0.5 cut reads every image as negative
    probs = np.where(y == 1, 0.3 + 0.1 * rng.random(400), 0.1 * rng.random(400))
    labels = np.stack([y, np.ones(400, np.int64)], 1)
    cuts = fit_thresholds(np.stack([probs, probs], 1), labels)
    assert 0.1 <= cuts[0] <= 0.3 and cuts[1] == 0.5  # one class only: left at 0.5
    schema = AttributeSchema(NAMES)
    scores = np.full((2, len(NAMES)), 0.2)
    k = NAMES.index('Eyeglasses')
    assert list(schema.read(scores)['Eyeglasses']) == [0, 0]
    cut = np.full(len(NAMES), 0.5)
    cut[k] = 0.15
    assert list(schema.read(scores, cut)['Eyeglasses']) == [1, 1]
