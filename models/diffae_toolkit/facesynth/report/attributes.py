"""Attribute "units" for judging images: each binary attribute on its own, and each one-hot group (hair
colour, skin tone) as one categorical unit read as the argmax over its classes. Pure numpy."""
from dataclasses import dataclass
from typing import Dict, List, Sequence, Tuple

import numpy as np

GROUPS = {
    'Hair_Colour': ('Black_Hair', 'Brown_Hair', 'Blond_Hair', 'Red_Hair', 'Gray_Hair'),
    'Skin_Tone': ('Light_Skin', 'Medium_Skin', 'Dark_Skin'),
}


@dataclass(frozen=True)
class Unit:
    name: str
    columns: Tuple[int, ...]   # one column: binary (threshold 0.5); several: argmax over a one-hot group

    @property
    def categorical(self):
        return len(self.columns) > 1


class AttributeSchema:
    def __init__(self, names: Sequence[str]):
        self.names = list(names)
        if len(set(self.names)) != len(self.names):
            raise ValueError(f'duplicate attribute names in {self.names}')
        index = {n: i for i, n in enumerate(self.names)}
        grouped = {}
        for group, members in GROUPS.items():
            if all(m in index for m in members):
                grouped.update({index[m]: group for m in members})
        self.units: List[Unit] = []
        seen = set()
        for i, name in enumerate(self.names):
            group = grouped.get(i)
            if group is None:
                self.units.append(Unit(name, (i,)))
            elif group not in seen:
                seen.add(group)
                self.units.append(Unit(group, tuple(index[m] for m in GROUPS[group])))
        self._unit_of = {c: u for u in self.units for c in u.columns}

    def index(self, name):
        if name not in self.names:
            raise ValueError(f'unknown attribute {name!r}; known: {self.names}')
        return self.names.index(name)

    def unit_of(self, column) -> Unit:
        return self._unit_of[column]

    def unit(self, name) -> Unit:
        for u in self.units:
            if u.name == name:
                return u
        raise ValueError(f'unknown unit {name!r}; known: {[u.name for u in self.units]}')

    def read(self, scores, thresholds=None) -> Dict[str, np.ndarray]:
        """scores [N, A] (probabilities in [0,1] or 0/1 labels) -> unit name -> int values [N]
        (0/1 for binary units, score > thresholds[column] (default 0.5); the class position inside the
        group for categorical ones)."""
        scores = np.asarray(scores, dtype=np.float64)
        cut = np.full(len(self.names), 0.5) if thresholds is None else np.asarray(thresholds, dtype=np.float64)
        if scores.ndim != 2 or scores.shape[1] != len(self.names):
            raise ValueError(f'expected scores of shape [N, {len(self.names)}], got {scores.shape}')
        out = {}
        for u in self.units:
            cols = scores[:, list(u.columns)]
            out[u.name] = cols.argmax(1) if u.categorical else (cols[:, 0] > cut[u.columns[0]]).astype(np.int64)
        return out

    def present(self, units: Dict[str, np.ndarray], column) -> np.ndarray:
        """Whether attribute `column` is present in each image according to read() values."""
        u = self.unit_of(column)
        values = units[u.name]
        return values == u.columns.index(column) if u.categorical else values == 1


def agreement(a: Dict[str, np.ndarray], b: Dict[str, np.ndarray], units=None) -> Dict[str, float]:
    """Fraction of images on which two readings agree, per unit."""
    names = list(a) if units is None else list(units)
    return {n: float(np.mean(a[n] == b[n])) if len(a[n]) else float('nan') for n in names}


def flip_rate(present_after: np.ndarray, amplitude: float) -> float:
    """Share of edits that reached the wanted state: present after +a, absent after -a."""
    if amplitude == 0:
        raise ValueError('amplitude 0 has no wanted direction')
    present_after = np.asarray(present_after, dtype=bool)
    if not len(present_after):
        return float('nan')
    return float(np.mean(present_after if amplitude > 0 else ~present_after))


def non_target_units(schema: AttributeSchema, column) -> List[str]:
    """Every unit except the one holding the target (a hair-colour edit may change the whole group)."""
    target = schema.unit_of(column).name
    return [u.name for u in schema.units if u.name != target]
