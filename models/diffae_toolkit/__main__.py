"""Command line: `python -m diffae_toolkit {export,make-fixtures} ...` (PYTHONPATH=models).

Exit codes: 0 success, 2 bad usage or input (missing file, untrusted pickle, invalid combination),
1 unexpected failure.
"""

from __future__ import annotations

import argparse
import os
import sys
from typing import List, Optional, Sequence

USAGE_ERROR = 2


class UsageError(Exception):
    """Bad arguments or inputs; printed without a traceback, exit code 2."""


def _step_pair(text: str):
    parts = text.split(",")
    if len(parts) != 2 or not all(p.strip().isdigit() for p in parts):
        raise argparse.ArgumentTypeError(f"expected INVERSION,RENDER step counts like 10,10, got {text!r}")
    return int(parts[0]), int(parts[1])


def _defaults_arg(text: str):
    out = {}
    for item in text.split(","):
        key, sep, value = item.partition("=")
        if not sep or not value.strip().isdigit():
            raise argparse.ArgumentTypeError(f"expected KEY=STEPS[,KEY=STEPS...], got {text!r}")
        out[key.strip()] = int(value)
    return out


def _add_export(sub) -> None:
    p = sub.add_parser(
        "export", help="export official-layout checkpoints into a model bundle",
        description="Export DiffAE checkpoints (official PL layout, or ours) into a bundle folder: encoder.onnx, "
                    "unet.onnx [, latent.onnx, lite_encoder.onnx, classifier.json, latent_stats.json] and "
                    "manifest.json. The latent checkpoint alone is enough for encoder+UNet+latent; the classifier "
                    "needs an autoencoder or latent checkpoint next to it.")
    p.add_argument("--autoenc", metavar="A.ckpt", help="autoencoder checkpoint (e.g. ffhq256_autoenc/last.ckpt)")
    p.add_argument("--latent", metavar="L.ckpt", help="latent-DPM checkpoint (repeats the autoencoder)")
    p.add_argument("--classifier", metavar="C.ckpt", help="attribute classifier checkpoint (<name>_cls/last.ckpt)")
    p.add_argument("--lite-encoder", metavar="E.pt", help="lite encoder file written by nets.lite.save_lite")
    p.add_argument("--out", required=True, metavar="DIR", help="bundle folder to create")
    p.add_argument("--id", required=True, dest="bundle_id", help="bundle id, [a-z0-9][a-z0-9._-]*")
    p.add_argument("--version", required=True, help="bundle version, e.g. 1.0.0")
    p.add_argument("--description", default="")
    p.add_argument("--fp16", action="store_true", help="store large weights as float16 (compute stays float32)")
    p.add_argument("--trust-checkpoint", action="store_true",
                   help="allow full unpickling (needed for official PL checkpoints; runs code from the file, so "
                        "only for files you trust)")
    p.add_argument("--config", metavar="NAME", help="released config name when a checkpoint lacks hyper_parameters")
    p.add_argument("--source-kind", choices=("official", "trained", "random"),
                   help="manifest source.kind (default: official for released config names, else trained)")
    p.add_argument("--preview-steps", type=_step_pair, metavar="INV,RENDER",
                   help="allow decoded previews with these inversion/render step counts")
    p.add_argument("--defaults", type=_defaults_arg, metavar="KEY=K,...",
                   help="override default step counts (inversionSteps, renderSteps, manipulateRenderSteps, "
                        "latentSteps)")
    p.add_argument("--opset", type=int, default=17)
    p.add_argument("--overwrite", action="store_true", help="replace a non-empty output folder")


def _add_fixtures(sub) -> None:
    sub.add_parser("make-fixtures", add_help=False,
                   help="write seeded random-weight checkpoints in the official layout (see make-fixtures --help)")


def _check_files(args) -> None:
    for flag, path in (("--autoenc", args.autoenc), ("--latent", args.latent), ("--classifier", args.classifier),
                       ("--lite-encoder", args.lite_encoder)):
        if path is not None and not os.path.isfile(path):
            raise UsageError(f"{flag}: file not found: {path}")
    if args.autoenc is None and args.latent is None:
        if args.classifier is not None or args.lite_encoder is not None:
            raise UsageError("--classifier/--lite-encoder need --autoenc or --latent next to them")
        raise UsageError("give --autoenc and/or --latent")


def run_export(args) -> int:
    _check_files(args)
    from .bundle import BundleError
    from .checkpoint import CheckpointError, UntrustedCheckpointError
    from .config import ConfigError
    from .export import export_bundle
    from .nets.lite import LiteEncoderError

    try:
        manifest = export_bundle(
            args.out, autoenc=args.autoenc, latent=args.latent, classifier=args.classifier,
            lite_encoder=args.lite_encoder, bundle_id=args.bundle_id, version=args.version,
            description=args.description, fp16=args.fp16, trust_pickle=args.trust_checkpoint,
            config_name=args.config, defaults=args.defaults, preview=args.preview_steps, opset=args.opset,
            source_kind=args.source_kind, overwrite=args.overwrite)
    except UntrustedCheckpointError as err:
        raise UsageError(f"{err}\nIf you trust the checkpoint files, rerun with --trust-checkpoint.") from None
    except (BundleError, CheckpointError, ConfigError, LiteEncoderError, FileNotFoundError) as err:
        raise UsageError(str(err)) from None
    files = ", ".join(f"{k}={v['path']} ({v['bytes']:,} B)" for k, v in manifest["files"].items())
    print(f"wrote bundle {manifest['id']}@{manifest['version']} to {os.path.abspath(args.out)}: {files}")
    return 0


def main(argv: Optional[Sequence[str]] = None) -> int:
    argv: List[str] = list(sys.argv[1:] if argv is None else argv)
    if argv and argv[0] == "make-fixtures":
        from .fixtures import main as fixtures_main
        return fixtures_main(argv[1:])
    parser = argparse.ArgumentParser(prog="python -m diffae_toolkit",
                                     description="DiffAE toolkit: checkpoint export and test fixtures.")
    sub = parser.add_subparsers(dest="command", required=True)
    _add_export(sub)
    _add_fixtures(sub)
    args = parser.parse_args(argv)   # argparse itself exits with 2 on bad usage
    try:
        return run_export(args)
    except UsageError as err:
        print(f"error: {err}", file=sys.stderr)
        return USAGE_ERROR


if __name__ == "__main__":
    raise SystemExit(main())
