"""§3b: attribute edits with the shipped classifier's direction and the official formula
z' = ((z-μ)/σ + a·√512·w/|w|)·σ + μ. Images without the attribute get +a, images with it get -a; each is
inverted (K_inv), rendered edited and unedited (K_render) and both are judged by the pixel classifier."""
import numpy as np
import torch

from ... import reference
from .attributes import agreement, flip_rate, non_target_units
from .pixel_classifier import read_images

PICTURE_TARGETS = ('Eyeglasses', 'Facial_Hair', 'Wearing_Hat', 'Blond_Hair')
PICTURE_EXAMPLES = 3


def select(labels, column, per_direction):
    """(indices without the attribute, indices with it), the first `per_direction` of each."""
    absent = np.flatnonzero(labels[:, column] == 0)[:per_direction]
    present = np.flatnonzero(labels[:, column] == 1)[:per_direction]
    return absent, present


def edit_jobs(schema, labels, targets, amplitudes, per_direction):
    """Rows (column, signed amplitude, image index): +a for absent, -a for present images."""
    jobs = []
    for column in targets:
        absent, present = select(labels, column, per_direction)
        for a in amplitudes:
            jobs += [(column, a, int(i)) for i in absent] + [(column, -a, int(i)) for i in present]
    return jobs


def summarise(schema, column, amplitude, rows, edited, unedited):
    """rows: job positions of this (target, |a|); edited/unedited: readings per job (dicts of unit arrays)."""
    signs = np.array([r[1] > 0 for r in rows])
    after = schema.present(edited, column)
    before = schema.present(unedited, column)
    others = non_target_units(schema, column)
    keep = agreement(edited, unedited, others)
    out = {'images_add': int(signs.sum()), 'images_remove': int((~signs).sum()),
           'flip_add': flip_rate(after[signs], amplitude), 'flip_remove': flip_rate(after[~signs], -amplitude),
           'non_target_agreement': float(np.mean(list(keep.values()))) if keep else float('nan'),
           'non_target_per_unit': keep}
    wanted = np.where(signs, after, ~after)
    out['flip'] = float(wanted.mean()) if len(wanted) else float('nan')
    # How often the unedited reconstruction already shows the wanted state (the edit's head start).
    out['already_before_edit'] = float(np.where(signs, before, ~before).mean()) if len(wanted) else float('nan')
    return out


def run(run, codes, schema, pool_labels, judge_model, device, settings, pictures):
    if run.classifier is None:
        return {'skipped': run.missing.get('classifier', 'no shipped classifier')}
    names = settings.manip_targets or tuple(schema.names)
    targets = [schema.index(n) for n in names]
    jobs = edit_jobs(schema, pool_labels, targets, settings.manip_amplitudes, settings.manip_per_direction)
    if not jobs:
        return {'skipped': 'no images to edit in the pool'}
    pool = sorted({j[2] for j in jobs})
    pos = {i: p for p, i in enumerate(pool)}
    x_t = codes.x_t(pool, settings.manip_inv_steps)
    z = codes.z(pool)
    unedited_img = codes.render(x_t, z, settings.manip_render_steps)
    unedited = read_images(judge_model, schema, unedited_img, device)

    job_pos = np.array([pos[j[2]] for j in jobs])
    z_edit = torch.cat([reference.manipulate_z(z[pos[i]:pos[i] + 1], run.classifier.weight, {c: a},
                                               run.classifier.conds_mean, run.classifier.conds_std)
                        for c, a, i in jobs])
    edited_img = codes.render(x_t[job_pos], z_edit, settings.manip_render_steps)
    edited = read_images(judge_model, schema, edited_img, device)
    unedited_per_job = {u: v[job_pos] for u, v in unedited.items()}

    per_target = {}
    for column in targets:
        per_amp = {}
        for a in settings.manip_amplitudes:
            mask = np.array([c == column and abs(s) == a for c, s, _ in jobs])
            rows = [j for j, m in zip(jobs, mask) if m]
            per_amp[str(a)] = summarise(schema, column, a, rows, {u: v[mask] for u, v in edited.items()},
                                        {u: v[mask] for u, v in unedited_per_job.items()})
        per_target[schema.names[column]] = per_amp
    results = {'inversion_steps': settings.manip_inv_steps, 'render_steps': settings.manip_render_steps,
               'amplitudes': list(settings.manip_amplitudes), 'per_direction': settings.manip_per_direction,
               'pool_images': len(pool), 'edits': len(jobs), 'targets': per_target}
    results['grid'], results['grid_targets'] = _picture(schema, jobs, unedited_img, edited_img, pos, settings,
                                                        pictures, targets)
    return results


def _picture(schema, jobs, unedited_img, edited_img, pos, settings, pictures, targets):
    """One row per shown target: for a few images without it, the reconstruction then each +a edit."""
    shown = [schema.index(n) for n in PICTURE_TARGETS if n in schema.names and schema.index(n) in targets]
    rows, names = [], []
    for column in shown:
        tiles = []
        for i in sorted({j[2] for j in jobs if j[0] == column and j[1] > 0})[:PICTURE_EXAMPLES]:
            tiles.append(unedited_img[pos[i]:pos[i] + 1])
            for a in settings.manip_amplitudes:
                k = jobs.index((column, a, i))
                tiles.append(edited_img[k:k + 1])
        if tiles:
            rows.append(torch.cat(tiles))
            names.append(schema.names[column])
    if not rows:
        return None, []
    ncol = PICTURE_EXAMPLES * (1 + len(settings.manip_amplitudes))
    return pictures.grid('manipulation.png', rows, ncol=ncol), names
