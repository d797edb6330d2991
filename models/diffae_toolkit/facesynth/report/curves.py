"""Training curve of the autoencoder from autoenc/log.jsonl: loss (`train` events), the own-vs-shuffled
z gap (`probe` events) and, when the run scored itself (`score` events, facesynth.scoring), the validation
linear-probe AUROC and random-x_T decode agreement. Drawn with PIL (matplotlib is not installed on the
build machine)."""
import json
import math
import os

from PIL import Image, ImageDraw

PANEL_W, PANEL_H, MARGIN = 360, 220, 44


def read_log(path):
    """{'loss', 'z_gap', 'probe_auroc', 'decode_agreement'}: lists of (step, value)."""
    series = {'loss': [], 'z_gap': [], 'probe_auroc': [], 'decode_agreement': []}
    if not os.path.exists(path):
        return series
    with open(path) as f:
        for line in f:
            line = line.strip()
            if not line:
                continue
            try:
                record = json.loads(line)
            except json.JSONDecodeError:
                continue  # a line being written while we read
            event, step = record.get('event'), record.get('step')
            if event == 'train' and 'loss' in record:
                series['loss'].append((step, record['loss']))
            elif event == 'probe' and 'probe_z_gap' in record:
                series['z_gap'].append((step, record['probe_z_gap']))
            elif event == 'score':
                series['probe_auroc'].append((step, record['probe_auroc_mean']))
                if record.get('decode_agreement_key_min') is not None:
                    series['decode_agreement'].append((step, record['decode_agreement_key_min']))
    return series


def _panel(draw, x0, y0, title, points, log_y):
    box = (x0 + MARGIN, y0 + 24, x0 + PANEL_W - 10, y0 + PANEL_H - 28)
    draw.rectangle(box, outline=(0, 0, 0))
    draw.text((x0 + MARGIN, y0 + 6), title, fill=(0, 0, 0))
    if len(points) < 1:
        draw.text((box[0] + 8, box[1] + 8), 'no data yet', fill=(120, 0, 0))
        return
    ys_raw = [p[1] for p in points]
    log_y = log_y and min(ys_raw) > 0
    ys = [math.log10(v) for v in ys_raw] if log_y else ys_raw
    xs = [p[0] for p in points]
    x_lo, x_hi = min(xs), max(xs) if max(xs) > min(xs) else min(xs) + 1
    y_lo, y_hi = min(ys), max(ys) if max(ys) > min(ys) else min(ys) + 1e-9
    sx = lambda v: box[0] + (v - x_lo) / (x_hi - x_lo) * (box[2] - box[0])
    sy = lambda v: box[3] - (v - y_lo) / (y_hi - y_lo) * (box[3] - box[1])
    line = [(sx(x), sy(y)) for x, y in zip(xs, ys)]
    if len(line) > 1:
        draw.line(line, fill=(20, 70, 200), width=2)
    else:
        draw.ellipse((line[0][0] - 2, line[0][1] - 2, line[0][0] + 2, line[0][1] + 2), fill=(20, 70, 200))
    label = (lambda v: f'{10 ** v:.3g}') if log_y else (lambda v: f'{v:.3g}')
    draw.text((x0 + 2, box[1]), label(y_hi), fill=(0, 0, 0))
    draw.text((x0 + 2, box[3] - 10), label(y_lo), fill=(0, 0, 0))
    draw.text((box[0], box[3] + 4), f'step {x_lo}', fill=(0, 0, 0))
    end = f'{x_hi}'
    draw.text((box[2] - 6 * len(end), box[3] + 4), end, fill=(0, 0, 0))


PANELS = (('loss', 'training loss (eps MSE, log scale)', True),
          ('z_gap', 'z gap: loss(shuffled z) / loss(own z) - 1', False),
          ('probe_auroc', 'validation linear-probe AUROC (mean)', False),
          ('decode_agreement', 'random-x_T decode agreement (min key unit)', False))


def plot(series, path):
    image = Image.new('RGB', (2 * PANEL_W, 2 * PANEL_H), (255, 255, 255))
    draw = ImageDraw.Draw(image)
    for i, (key, title, log_y) in enumerate(PANELS):
        _panel(draw, (i % 2) * PANEL_W, (i // 2) * PANEL_H, title, series[key], log_y)
    os.makedirs(os.path.dirname(path), exist_ok=True)
    image.save(path)


def run(run_dir, pictures):
    series = read_log(os.path.join(run_dir, 'autoenc', 'log.jsonl'))
    plot(series, pictures.path('training_curve.png'))
    last = lambda pts: {'step': pts[-1][0], 'value': pts[-1][1]} if pts else None
    return {'train_points': len(series['loss']), 'probe_points': len(series['z_gap']),
            'score_points': len(series['probe_auroc']), 'last_loss': last(series['loss']),
            'last_z_gap': last(series['z_gap']), 'last_probe_auroc': last(series['probe_auroc']),
            'last_decode_agreement': last(series['decode_agreement']),
            'grid': f'{pictures.prefix}/training_curve.png'}
