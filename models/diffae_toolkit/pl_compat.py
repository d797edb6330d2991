"""Unpickling (and, for test fixtures, pickling) pytorch-lightning class references without
pytorch-lightning installed (facts §11, "Pickled class references").

PL 1.4 checkpoints key their `callbacks` dict by the callback class, so `torch.load` must import
`pytorch_lightning.callbacks.model_checkpoint`. torch 1.13 ignores `torch.load(pickle_module=...)`, so
instead of a custom Unpickler we install a meta-path finder that serves placeholder modules whose
attributes are placeholder classes, only while a load is running.
"""

from __future__ import annotations

import contextlib
import importlib.abc
import importlib.machinery
import sys
import types
from typing import Iterator, List, Sequence

LIGHTNING_PREFIXES = ("pytorch_lightning",)


class LightningPlaceholder(dict):
    """Stands in for any pickled pytorch-lightning class or instance.

    A dict subclass so that dict-like PL objects (e.g. AttributeDict) keep their items; any reduce
    arguments and BUILD state are kept on the instance for inspection."""

    def __init__(self, *args, **kwargs):
        super().__init__()
        self.placeholder_args = args
        self.placeholder_kwargs = kwargs
        self.placeholder_items: List[object] = []

    def __setstate__(self, state):
        self.placeholder_state = state

    def append(self, item):
        self.placeholder_items.append(item)

    def extend(self, items):
        self.placeholder_items.extend(items)


class _PlaceholderModule(types.ModuleType):
    def __getattr__(self, name: str):
        if name.startswith("__"):
            raise AttributeError(name)
        cls = type(name, (LightningPlaceholder,), {"__module__": self.__name__, "__qualname__": name})
        setattr(self, name, cls)
        return cls


def _matches(fullname: str, prefixes: Sequence[str]) -> bool:
    return any(fullname == p or fullname.startswith(p + ".") for p in prefixes)


class _PlaceholderFinder(importlib.abc.MetaPathFinder, importlib.abc.Loader):
    def __init__(self, prefixes: Sequence[str]):
        self.prefixes = tuple(prefixes)
        self.served: List[str] = []

    def find_spec(self, fullname, path=None, target=None):
        if not _matches(fullname, self.prefixes):
            return None
        return importlib.machinery.ModuleSpec(fullname, self, is_package=True)

    def create_module(self, spec):
        return _PlaceholderModule(spec.name)

    def exec_module(self, module):
        module.__path__ = []
        self.served.append(module.__name__)


@contextlib.contextmanager
def lightning_placeholders(prefixes: Sequence[str] = LIGHTNING_PREFIXES) -> Iterator[None]:
    """While active, imports of `pytorch_lightning[.*]` that are not already loaded get placeholders.

    Placeholder modules are removed from `sys.modules` on exit, so later imports are unaffected."""
    finder = _PlaceholderFinder(prefixes)
    sys.meta_path.insert(0, finder)
    try:
        yield
    finally:
        sys.meta_path.remove(finder)
        for name in finder.served:
            if isinstance(sys.modules.get(name), _PlaceholderModule):
                del sys.modules[name]


@contextlib.contextmanager
def fake_model_checkpoint_class() -> Iterator[type]:
    """A class that pickles as `pytorch_lightning.callbacks.model_checkpoint.ModelCheckpoint`.

    Uses the real class when pytorch-lightning is already imported; otherwise registers temporary fake
    modules (pickle verifies that the class is reachable at its module path) and removes them on exit."""
    module_name = "pytorch_lightning.callbacks.model_checkpoint"
    existing = sys.modules.get(module_name)
    if existing is not None and not isinstance(existing, _PlaceholderModule):
        yield getattr(existing, "ModelCheckpoint")
        return
    names = ["pytorch_lightning", "pytorch_lightning.callbacks", module_name]
    added = []
    try:
        for name in names:
            if name not in sys.modules:
                module = types.ModuleType(name)
                module.__path__ = []
                sys.modules[name] = module
                added.append(name)
        cls = type("ModelCheckpoint", (), {"__module__": module_name, "__qualname__": "ModelCheckpoint"})
        setattr(sys.modules[module_name], "ModelCheckpoint", cls)
        yield cls
    finally:
        for name in added:
            sys.modules.pop(name, None)
