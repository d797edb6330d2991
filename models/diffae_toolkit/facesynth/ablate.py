"""Training-recipe ablations measured as quality per CPU-hour.

Every variant branches from the same autoencoder checkpoint (weights, optimiser, data stream), trains for
the same wall-clock budget on one thread each (variants run side by side, so they share the machine
equally), and is then scored on the VALIDATION split by what z_sem has learnt, which is what the long run
is short of (the inferred-x_T reconstruction is already good):
  - z gap: denoising loss with a shuffled z over the loss with each image's own z, minus one;
  - linear-probe AUROC of the attributes from z (fitted on encoded TRAIN images);
  - random-x_T decode agreement: decode z with fresh noise, ask the report's pixel judge whether the
    decode shows the input's glasses / facial hair / hat / hair colour;
  - the colour error of those decodes and of the decoder's implied x0 at t = 800 (scoring.colour_mse);
  - the decoder's mean-colour gain at t = 900 (objective.mean_colour_gain);
  - the validation denoising loss itself (uniform t, fixed noise), so a variant cannot win by neglecting
    the low-noise steps.
The raw (non-EMA) weights are scored: after a short branch the EMA is still mostly the branch point.

  /usr/bin/python3 -m diffae_toolkit.facesynth.ablate --from RUN_DIR --out RUN_DIR/ablations/NAME \\
      --minutes 15 --pause-pid /work/diffae-runs/train.pid
Rerunning with the same --out skips the variants already trained.
"""
import argparse
import json
import os
import shutil
import signal
import subprocess
import sys
import time

import torch

from .paths import BUNDLE_DIR, DATA_DIR
from .scoring import ValidationScorer
from .weights import load_autoencoder

# The long run's recipe; each variant changes one thing.
BASE_ARGS = ['--batch', '16', '--lr', '4e-4', '--warmup', '200']
# a new preset learning from the shipped model: its prediction is the eps target below t = 700
DISTILL_SHIPPED = ['--distill-from', BUNDLE_DIR, '--distill-below', '700']
# the same, with the taught targets' per-channel mean taken from the true noise (the teacher's is blind)
DISTILL_NOISE_MEAN = DISTILL_SHIPPED + ['--distill-noise-mean']
HIGH_T_ONLY = ['--high-t-share', '1', '--high-t-from', '900']
VARIANTS = {
    'baseline': [],
    'x0_floor_1e-3': ['--x0-weight-floor', '1e-3'],
    'x0_floor_1e-2': ['--x0-weight-floor', '1e-2'],
    'coarse_x0_1e-3': ['--coarse-x0-weight', '1e-3'],
    'coarse_x0_1e-2': ['--coarse-x0-weight', '1e-2'],
    'high_t_half': ['--high-t-share', '0.5', '--high-t-from', '500'],
    'lr_8e-4': ['--lr', '8e-4'],
    'batch_32': ['--batch', '32', '--lr', '5.7e-4'],  # square-root learning-rate scaling
    'distill_shipped_700': DISTILL_SHIPPED,
    'distill_shipped_700_noise_mean': DISTILL_NOISE_MEAN,
    'distill_shipped_700_noise_mean_coarse_1e-2': DISTILL_NOISE_MEAN + ['--coarse-x0-weight', '1e-2'],
    # a phase trained only where the mean colour is decided (the mechanism test's recipe), short warm-up
    'high_t_only_900': HIGH_T_ONLY + ['--warmup', '20'],
    'high_t_only_900_coarse_1e-2': HIGH_T_ONLY + ['--warmup', '20', '--coarse-x0-weight', '1e-2'],
    # after a mean phase: keep pressure on the high-noise steps so that the decoder gates its use of the
    # mean of x_t by t instead of dropping it (the plain recipe drops it within ~150 steps)
    'noise_mean_high_t_quarter_coarse_1e-2': DISTILL_NOISE_MEAN + ['--high-t-share', '0.25', '--high-t-from', '900',
                                                                   '--coarse-x0-weight', '1e-2'],
    'noise_mean_x0_floor_1e-2': DISTILL_NOISE_MEAN + ['--x0-weight-floor', '1e-2'],
}


def parse(argv):
    p = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    p.add_argument('--from', dest='source', required=True, help='run dir whose autoenc/last.pt is the branch point')
    p.add_argument('--out', required=True)
    p.add_argument('--data', default=DATA_DIR)
    p.add_argument('--variants', default=','.join(VARIANTS), help=f'comma list of {sorted(VARIANTS)}')
    p.add_argument('--minutes', type=float, default=15.0, help='training wall-clock per variant')
    p.add_argument('--parallel', type=int, default=2, help='variants trained at once, one thread each')
    p.add_argument('--pause-pid', default=None, help='file holding the pid of a run to SIGSTOP meanwhile')
    p.add_argument('--judge', default=None, help='pixel judge (default: SOURCE/pixel_classifier.pt)')
    p.add_argument('--probe-train', type=int, default=5000)
    p.add_argument('--probe-eval', type=int, default=1000)
    p.add_argument('--decodes', type=int, default=128)
    p.add_argument('--decode-steps', type=int, default=20)
    p.add_argument('--gap-images', type=int, default=256)
    p.add_argument('--threads', type=int, default=2, help='torch threads for scoring')
    args = p.parse_args(argv)
    unknown = [v for v in args.variants.split(',') if v not in VARIANTS]
    if unknown:
        p.error(f'unknown variants {unknown}; known: {sorted(VARIANTS)}')
    return args


def train_command(data, run_dir, minutes, variant):
    return [sys.executable, '-m', 'diffae_toolkit.facesynth.train_autoenc', '--data', data, '--run-dir', run_dir,
            '--threads', '1', '--minutes', str(minutes), '--probe-every', str(10 ** 9),
            '--grid-every', str(10 ** 9), '--save-every', str(minutes + 60)] + BASE_ARGS + VARIANTS[variant]


def _child_env():
    package_root = os.path.dirname(os.path.dirname(os.path.dirname(os.path.abspath(__file__))))
    path = os.environ.get('PYTHONPATH')
    return {**os.environ, 'PYTHONPATH': package_root + (os.pathsep + path if path else '')}


def train_variants(args, names, log=print):
    """Trains the variants without a finished checkpoint, `parallel` at a time."""
    source_ckpt = os.path.join(args.source, 'autoenc', 'last.pt')
    todo = []
    for name in names:
        run_dir = os.path.join(args.out, name)
        if os.path.exists(os.path.join(run_dir, 'trained.json')):
            continue
        shutil.rmtree(run_dir, ignore_errors=True)
        os.makedirs(os.path.join(run_dir, 'autoenc'))
        shutil.copyfile(source_ckpt, os.path.join(run_dir, 'autoenc', 'last.pt'))
        todo.append(name)
    for start in range(0, len(todo), args.parallel):
        batch = todo[start:start + args.parallel]
        procs = {}
        for name in batch:
            run_dir = os.path.join(args.out, name)
            out = open(os.path.join(run_dir, 'train.out'), 'w')
            procs[name] = (subprocess.Popen(train_command(args.data, run_dir, args.minutes, name), stdout=out,
                                            stderr=subprocess.STDOUT, env=_child_env()), out, time.time())
            log(f'[ablate] training {name} for {args.minutes} min')
        for name, (proc, out, t0) in procs.items():
            rc = proc.wait()
            out.close()
            if rc != 0:
                raise SystemExit(f'{name}: train_autoenc exited with {rc}; see {args.out}/{name}/train.out')
            with open(os.path.join(args.out, name, 'trained.json'), 'w') as f:
                json.dump({'wall_seconds': time.time() - t0, 'args': BASE_ARGS + VARIANTS[name],
                           'changes': VARIANTS[name]}, f)


def training_summary(state, branch_state, trained):
    return {'step': state['step'], 'samples': state['samples'] - branch_state['samples'],
            'compute_hours': (state['compute_seconds'] - branch_state['compute_seconds']) / 3600,
            'samples_per_s': (state['samples'] - branch_state['samples']) / max(1e-9, trained['wall_seconds']),
            'args': trained['args'], 'changes': trained.get('changes', [])}


def markdown(results):
    rows = [f"Every variant: `{' '.join(BASE_ARGS)}` plus its change.", '',
            '| variant | change | samples | samples/s | z gap | val loss | probe AUROC | decode agreement (min key) '
            '| decode agreement (mean key) | decode colour MSE | x0 colour MSE at t=800 | mean-colour gain at t=900 |',
            '|' + ' --- |' * 12]
    for name, r in results['models'].items():
        t = r.get('training') or {}
        s = r['scores']
        change = '(branch point)' if not t else ' '.join(t['changes']) or '(none)'
        rows.append(f"| {name} | {change} | {t.get('samples', 0):,} | "
                    f"{t.get('samples_per_s', float('nan')):.1f} | {s['z_gap']:.3f} | {s['val_loss']:.4f} | "
                    f"{s['probe_auroc_mean']:.3f} | {s['decode_agreement_key_min']:.3f} | "
                    f"{s['decode_agreement_key_mean']:.3f} | {s['decode_colour_mse']:.4f} | "
                    f"{s['x0_colour_mse']['800']:.4f} | {s['mean_colour_gain_t900']:.3f} |")
    return '\n'.join(rows) + '\n'


def _stat_fields(pid):
    """/proc/PID/stat after the command name: [state, ppid, ...]; None when the process is gone."""
    try:
        with open(f'/proc/{pid}/stat') as f:
            return f.read().rsplit(')', 1)[1].split()
    except (OSError, IndexError):
        return None


def process_state(pid):
    """The one-letter state of the process ('T' = stopped), None when it is gone."""
    fields = _stat_fields(pid)
    return fields[0] if fields else None


def descendants(pid):
    """pid's child processes, their children and so on (from /proc)."""
    children = {}
    for entry in os.listdir('/proc'):
        fields = _stat_fields(entry) if entry.isdigit() else None
        if fields:
            children.setdefault(int(fields[1]), []).append(int(entry))
    found, todo = [], [pid]
    while todo:
        for child in children.get(todo.pop(), []):
            found.append(child)
            todo.append(child)
    return found


class Paused:
    """SIGSTOPs the process named in a pid file and its descendants (a launcher's trainer, a trainer's
    workers) for the duration, waiting until they are stopped; nothing when no file is given."""

    def __init__(self, pid_file):
        self.pids = []
        if pid_file:
            with open(pid_file) as f:
                pid = int(f.read().strip())
            self.pids = [pid] + descendants(pid)

    def __enter__(self):
        for pid in self.pids:
            os.kill(pid, signal.SIGSTOP)
        deadline = time.time() + 10
        while any(process_state(pid) not in ('T', None) for pid in self.pids) and time.time() < deadline:
            time.sleep(0.01)  # the signal is delivered asynchronously
        return self

    def __exit__(self, *exc):
        for pid in self.pids:
            os.kill(pid, signal.SIGCONT)


def main(argv=None):
    args = parse(argv)
    names = args.variants.split(',')
    os.makedirs(args.out, exist_ok=True)
    t0 = time.time()
    with Paused(args.pause_pid):
        train_variants(args, names)
        torch.set_num_threads(args.threads)
        judge_path = args.judge or os.path.join(args.source, 'pixel_classifier.pt')
        if not os.path.exists(judge_path):
            raise SystemExit(f'{judge_path} not found: run the report once (it trains the pixel judge) or pass --judge')
        scorer = ValidationScorer(args.data, judge_path,
                                  probe_train=args.probe_train, probe_eval=args.probe_eval, decodes=args.decodes,
                                  decode_steps=args.decode_steps, gap_images=args.gap_images)
        branch_net, branch_state = load_autoencoder(os.path.join(args.source, 'autoenc', 'last.pt'), 'net')
        models = {'branch point': {'training': None, 'scores': scorer.score(branch_net)}}
        print(f'[ablate] branch point step {branch_state["step"]}: {models["branch point"]["scores"]["z_gap"]:.3f}',
              flush=True)
        for name in names:
            net, state = load_autoencoder(os.path.join(args.out, name, 'autoenc', 'last.pt'), 'net')
            with open(os.path.join(args.out, name, 'trained.json')) as f:
                trained = json.load(f)
            models[name] = {'training': training_summary(state, branch_state, trained), 'scores': scorer.score(net)}
            print(f'[ablate] {name}: {json.dumps({k: v for k, v in models[name]["scores"].items() if not isinstance(v, dict)})}',
                  flush=True)
    results = {'branch_point': {'step': branch_state['step'], 'samples': branch_state['samples'],
                                'compute_hours': branch_state['compute_seconds'] / 3600},
               'minutes_per_variant': args.minutes, 'parallel': args.parallel,
               'command': 'python -m diffae_toolkit.facesynth.ablate ' + ' '.join(argv or sys.argv[1:]),
               'total_seconds': time.time() - t0, 'models': models}
    with open(os.path.join(args.out, 'results.json'), 'w') as f:
        json.dump(results, f, indent=1)
    with open(os.path.join(args.out, 'ablation.md'), 'w') as f:
        f.write(markdown(results))
    print(markdown(results), flush=True)
    return results


if __name__ == '__main__':
    main()
