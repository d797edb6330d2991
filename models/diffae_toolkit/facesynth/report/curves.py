"""Training curve of the autoencoder from autoenc/log.jsonl: loss (`train` events) and the own-vs-shuffled
z gap (`probe` events), drawn with PIL (matplotlib is not installed on the build machine)."""
import json
import math
import os

from PIL import Image, ImageDraw

PANEL_W, PANEL_H, MARGIN = 360, 220, 44


def read_log(path):
    train, probe = [], []
    if not os.path.exists(path):
        return train, probe
    with open(path) as f:
        for line in f:
            line = line.strip()
            if not line:
                continue
            try:
                record = json.loads(line)
            except json.JSONDecodeError:
                continue  # a line being written while we read
            if record.get('event') == 'train' and 'loss' in record:
                train.append((record['step'], record['loss']))
            elif record.get('event') == 'probe' and 'probe_z_gap' in record:
                probe.append((record['step'], record['probe_z_gap']))
    return train, probe


def _panel(draw, x0, title, points, log_y):
    box = (x0 + MARGIN, 24, x0 + PANEL_W - 10, PANEL_H - 28)
    draw.rectangle(box, outline=(0, 0, 0))
    draw.text((x0 + MARGIN, 6), title, fill=(0, 0, 0))
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


def plot(train, probe, path):
    image = Image.new('RGB', (2 * PANEL_W, PANEL_H), (255, 255, 255))
    draw = ImageDraw.Draw(image)
    _panel(draw, 0, 'training loss (eps MSE, log scale)', train, log_y=True)
    _panel(draw, PANEL_W, 'z gap: loss(shuffled z) / loss(own z) - 1', probe, log_y=False)
    os.makedirs(os.path.dirname(path), exist_ok=True)
    image.save(path)


def run(run_dir, pictures):
    train, probe = read_log(os.path.join(run_dir, 'autoenc', 'log.jsonl'))
    plot(train, probe, pictures.path('training_curve.png'))
    last = lambda pts: {'step': pts[-1][0], 'value': pts[-1][1]} if pts else None
    return {'train_points': len(train), 'probe_points': len(probe), 'last_loss': last(train),
            'last_z_gap': last(probe), 'grid': f'{pictures.prefix}/training_curve.png'}
