"""Model-bundle folder writing: file records, side files, manifest.json (schema version 1), atomic output.

The manifest layout is the contract of docs/architecture.md and packages/shared/src/bundle/manifest.ts
(the zod schema every bundle passes on load); `build_manifest` checks the same rules up front so the
exporter fails with a clear message instead of writing a bundle the runtime would refuse.
"""

from __future__ import annotations

import contextlib
import hashlib
import json
import os
import re
import shutil
import tempfile
from typing import Any, Dict, Iterator, Mapping, Optional, Sequence

from .reference import InvalidStepCount, respace_stride

MANIFEST_NAME = "manifest.json"
SCHEMA_VERSION = 1
BUNDLE_ID_PATTERN = re.compile(r"^[a-z0-9][a-z0-9._-]*$")
BUNDLE_VERSION_PATTERN = re.compile(r"^\d+\.\d+\.\d+(?:[-+][0-9A-Za-z.+-]+)?$")
SOURCE_KINDS = ("official", "trained", "random")

IMAGE_DIFFUSION = {"schedule": "linear", "T": 1000, "clip": True}
LATENT_DIFFUSION = {"schedule": "const0.008", "T": 1000, "clip": False}
# Notebook settings of the official release (facts §4, §7, §8).
OFFICIAL_DEFAULTS = {"inversionSteps": 250, "renderSteps": 20, "manipulateRenderSteps": 100, "latentSteps": 200}

# Manifest `files` key -> file name inside the bundle.
FILE_NAMES = {
    "encoder": "encoder.onnx",
    "unet": "unet.onnx",
    "latent": "latent.onnx",
    "liteEncoder": "lite_encoder.onnx",
    "classifier": "classifier.json",
    "latentStats": "latent_stats.json",
}


class BundleError(ValueError):
    """The requested bundle would be invalid (bad id/version/step counts/file set) or cannot be written."""


def sha256_of(path: str, chunk: int = 1 << 20) -> str:
    digest = hashlib.sha256()
    with open(path, "rb") as f:
        for block in iter(lambda: f.read(chunk), b""):
            digest.update(block)
    return digest.hexdigest()


def file_record(bundle_dir: str, relpath: str) -> Dict[str, Any]:
    full = os.path.join(bundle_dir, relpath)
    return {"path": relpath, "sha256": sha256_of(full), "bytes": os.path.getsize(full)}


def write_json(path: str, value: Any) -> None:
    with open(path, "w", encoding="utf-8") as f:
        json.dump(value, f, indent=2, allow_nan=False)
        f.write("\n")


def _floats(values: Sequence[float]) -> list:
    return [float(v) for v in values]


def classifier_json(attributes: Sequence[str], weight, bias, z_mean, z_std) -> Dict[str, Any]:
    """classifier.json content: weight [A][Z], bias [A], zMean/zStd [Z] (plain float lists)."""
    rows = [_floats(row) for row in weight.tolist()]
    if len(rows) != len(attributes) or len(bias) != len(attributes):
        raise BundleError(f"classifier: {len(attributes)} attributes, {len(rows)} weight rows, {len(bias)} biases")
    return {"attributes": [str(a) for a in attributes], "weight": rows, "bias": _floats(bias.tolist()),
            "zMean": _floats(z_mean.tolist()), "zStd": _floats(z_std.tolist())}


def latent_stats_json(z_mean, z_std) -> Dict[str, Any]:
    return {"zMean": _floats(z_mean.tolist()), "zStd": _floats(z_std.tolist())}


def check_step_count(k: Any, what: str) -> int:
    if isinstance(k, bool) or not isinstance(k, int):
        raise BundleError(f"{what} must be an integer step count, got {k!r}")
    try:
        respace_stride(k)
    except InvalidStepCount as err:
        raise BundleError(f"{what}: {err}") from None
    return k


def resolve_defaults(given: Optional[Mapping[str, int]], has_latent: bool) -> Dict[str, int]:
    unknown = sorted(set(given or {}) - set(OFFICIAL_DEFAULTS))
    if unknown:
        raise BundleError(f"unknown defaults field(s) {unknown}; known: {sorted(OFFICIAL_DEFAULTS)}")
    merged = {**OFFICIAL_DEFAULTS, **(given or {})}
    if not has_latent:
        merged.pop("latentSteps")
    return {key: check_step_count(value, f"defaults.{key}") for key, value in merged.items()}


def resolve_preview(preview: Any) -> Optional[Dict[str, int]]:
    """None, {'inversionSteps', 'renderSteps'} or an (inversion, render) pair."""
    if preview is None:
        return None
    if isinstance(preview, Mapping):
        if set(preview) != {"inversionSteps", "renderSteps"}:
            raise BundleError(f"preview needs exactly inversionSteps and renderSteps, got {sorted(preview)}")
        inv, ren = preview["inversionSteps"], preview["renderSteps"]
    else:
        try:
            inv, ren = preview
        except (TypeError, ValueError):
            raise BundleError(f"preview must be (inversionSteps, renderSteps), got {preview!r}") from None
    return {"inversionSteps": check_step_count(inv, "preview.inversionSteps"),
            "renderSteps": check_step_count(ren, "preview.renderSteps")}


def build_manifest(*, bundle_dir: str, bundle_id: str, version: str, description: str, image_size: int,
                   z_dim: int, source: Mapping[str, Any], defaults: Mapping[str, int],
                   preview: Optional[Mapping[str, int]], attributes: Sequence[str], weights_dtype: str,
                   files: Sequence[str]) -> Dict[str, Any]:
    """The manifest dict for the files (keys of FILE_NAMES) already written into bundle_dir."""
    check_identity(bundle_id, version)
    if source.get("kind") not in SOURCE_KINDS:
        raise BundleError(f"source.kind must be one of {SOURCE_KINDS}, got {source.get('kind')!r}")
    if weights_dtype not in ("float32", "float16"):
        raise BundleError(f"weightsDtype must be float32 or float16, got {weights_dtype!r}")
    for required in ("encoder", "unet"):
        if required not in files:
            raise BundleError(f"a bundle needs {FILE_NAMES[required]}")
    has_latent = "latent" in files
    if has_latent != ("latentStats" in files):
        raise BundleError("latent.onnx and latent_stats.json go together")
    if ("classifier" in files) != bool(attributes):
        raise BundleError("attributes must be listed exactly when classifier.json is present")
    if len(set(attributes)) != len(attributes):
        raise BundleError(f"duplicate attribute names in {list(attributes)}")
    diffusion: Dict[str, Any] = {"image": dict(IMAGE_DIFFUSION)}
    if has_latent:
        diffusion["latent"] = dict(LATENT_DIFFUSION)
    manifest: Dict[str, Any] = {
        "schemaVersion": SCHEMA_VERSION,
        "id": bundle_id,
        "version": version,
        "description": description,
        "imageSize": int(image_size),
        "zDim": int(z_dim),
        "source": {k: v for k, v in source.items() if v is not None},
        "diffusion": diffusion,
        "defaults": dict(defaults),
    }
    if preview is not None:
        manifest["preview"] = dict(preview)
    manifest["attributes"] = [str(a) for a in attributes]
    manifest["weightsDtype"] = weights_dtype
    manifest["files"] = {key: file_record(bundle_dir, FILE_NAMES[key]) for key in FILE_NAMES if key in files}
    return manifest


def check_identity(bundle_id: str, version: str) -> None:
    if not isinstance(bundle_id, str) or not BUNDLE_ID_PATTERN.match(bundle_id):
        raise BundleError(f"bundle id {bundle_id!r} must match [a-z0-9][a-z0-9._-]*")
    if not isinstance(version, str) or not BUNDLE_VERSION_PATTERN.match(version):
        raise BundleError(f"bundle version {version!r} must look like 1.2.3 (optionally -tag or +build)")


@contextlib.contextmanager
def atomic_directory(out_dir: str, overwrite: bool = False) -> Iterator[str]:
    """Yield a temporary sibling folder; on success it replaces out_dir in one rename.

    A non-empty out_dir is refused unless overwrite=True; on failure the temporary folder is removed
    and out_dir is left as it was."""
    out_dir = os.path.abspath(out_dir)
    if os.path.exists(out_dir):
        if not os.path.isdir(out_dir):
            raise BundleError(f"output path {out_dir} exists and is not a folder")
        if os.listdir(out_dir) and not overwrite:
            raise BundleError(f"output folder {out_dir} is not empty; pass overwrite=True (CLI: --overwrite) "
                              "to replace it")
    parent = os.path.dirname(out_dir)
    os.makedirs(parent, exist_ok=True)
    tmp = tempfile.mkdtemp(prefix=f".{os.path.basename(out_dir)}.tmp-", dir=parent)
    try:
        yield tmp
        os.chmod(tmp, 0o755)
        if os.path.exists(out_dir):
            old = tempfile.mkdtemp(prefix=f".{os.path.basename(out_dir)}.old-", dir=parent)
            os.rmdir(old)
            os.rename(out_dir, old)
            os.rename(tmp, out_dir)
            shutil.rmtree(old, ignore_errors=True)
        else:
            os.rename(tmp, out_dir)
    except BaseException:
        shutil.rmtree(tmp, ignore_errors=True)
        raise
