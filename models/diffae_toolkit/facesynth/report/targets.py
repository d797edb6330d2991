"""The issue's quality targets checked against the measured numbers (pure: takes the results dict)."""
import math

HAIR_COLOURS = ('Black_Hair', 'Brown_Hair', 'Blond_Hair', 'Red_Hair', 'Gray_Hair')
EDIT_TARGETS = ('Eyeglasses', 'Facial_Hair', 'Wearing_Hat')


def _target(name, threshold, measured, detail=''):
    ok = None if measured is None or (isinstance(measured, float) and math.isnan(measured)) else measured >= threshold
    return {'target': name, 'threshold': threshold, 'measured': measured, 'pass': ok, 'detail': detail}


def reconstruction(results):
    row = results.get('reconstruction', {}).get('inferred_xt', {}).get('100')
    return _target('inferred-x_T reconstruction SSIM at K=100', 0.98, row['ssim'] if row else None,
                   '' if row else 'K=100 not run')


def decode_agreement(results):
    agree = results.get('decode_agreement', {}).get('vs_input_judged')
    units = ('Eyeglasses', 'Facial_Hair', 'Wearing_Hat', 'Hair_Colour')
    if not agree or any(u not in agree for u in units):
        return _target('random-x_T decodes agree with input (min over key attributes)', 0.80, None, 'not measured')
    worst = min(units, key=lambda u: agree[u])
    detail = ', '.join(f'{u} {agree[u]:.3f}' for u in units)
    return _target('random-x_T decodes agree with input (min over Eyeglasses, Facial_Hair, Wearing_Hat, '
                   'hair colour)', 0.80, agree[worst], detail)


def probe(results):
    mean = results.get('probe', {}).get('linear_probe', {}).get('mean')
    return _target('mean linear-probe AUROC', 0.95, mean)


def manipulation_at(per_target, amplitude, flip=0.70, keep=0.90):
    """Whether one amplitude meets the edit target: the three fixed attributes and the best hair colour."""
    def ok(name):
        row = per_target.get(name, {}).get(amplitude)
        return row is not None and row['flip'] >= flip and row['non_target_agreement'] >= keep

    hair = [h for h in HAIR_COLOURS if h in per_target]
    best_hair = max(hair, key=lambda h: (ok(h), per_target[h][amplitude]['flip'])) if hair else None
    fixed = {n: ok(n) for n in EDIT_TARGETS}
    passed = all(fixed.values()) and best_hair is not None and ok(best_hair)
    worst_flip = min([per_target[n][amplitude]['flip'] for n in EDIT_TARGETS if n in per_target] +
                     ([per_target[best_hair][amplitude]['flip']] if best_hair else []), default=None)
    return passed, best_hair, worst_flip


def manipulation(results):
    per_target = results.get('manipulation', {}).get('targets')
    name = ('edit flip rate >= 0.70 with >= 0.90 non-target agreement (Eyeglasses, Facial_Hair, Wearing_Hat, '
            'one hair colour); measured = worst flip rate at the best amplitude')
    if not per_target or any(n not in per_target for n in EDIT_TARGETS):
        return _target(name, 0.70, None, 'not measured')
    amps = list(next(iter(per_target.values())).keys())
    verdicts = {a: manipulation_at(per_target, a) for a in amps}
    best = max(amps, key=lambda a: (verdicts[a][0], verdicts[a][2] if verdicts[a][2] is not None else -1))
    passed, hair, worst = verdicts[best]
    row = _target(name, 0.70, worst, f'best amplitude a={best}, hair colour {hair}')
    row['pass'] = passed
    return row


def evaluate(results):
    return [reconstruction(results), decode_agreement(results), probe(results), manipulation(results)]
