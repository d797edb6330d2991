"""PyTorch CUDA eager side of the GPU benchmark (bench/gpu/run.sh): UNet step and encoder per batch,
fp32 and fp16 autocast (what the official sampler does on CUDA), and a matmul peak; one JSON file.

  PYTHONPATH=models python bench/gpu/torch_cuda.py --out results.json [--batches 1,2,4,...] [--budget-s 240]
"""
import argparse
import json
import time

import torch

from diffae_toolkit.config import released_config
from diffae_toolkit.facesynth.presets import facesynth_config
from diffae_toolkit.fixtures import random_net

CONFIGS = {"default": lambda: facesynth_config("small"), "ffhq256": lambda: released_config("ffhq256_autoenc").base()}
FACTS_MACS = {"ffhq256": {"unet": 277_217_542_144, "encoder": 35_396_255_744}}


def cuda_ms(fn, reps):
    """Median of `reps` timed calls (CUDA events) after two warm-up calls."""
    for _ in range(2):
        fn()
    torch.cuda.synchronize()
    times = []
    for _ in range(reps):
        start, end = torch.cuda.Event(enable_timing=True), torch.cuda.Event(enable_timing=True)
        start.record()
        fn()
        end.record()
        torch.cuda.synchronize()
        times.append(start.elapsed_time(end))
    times.sort()
    return times[len(times) // 2]


def matmul_peak(n, dtype, reps):
    a = torch.randn((n, n), device="cuda", dtype=dtype)
    b = torch.randn((n, n), device="cuda", dtype=dtype)
    ms = cuda_ms(lambda: torch.matmul(a, b), reps)
    return 2 * n ** 3 / (ms * 1e6)


def main():
    p = argparse.ArgumentParser()
    p.add_argument("--out", required=True)
    p.add_argument("--batches", default="1,2,4,8,16,32,64")
    p.add_argument("--reps", type=int, default=10)
    p.add_argument("--budget-s", type=float, default=240, help="stop the sweep when this much time is used")
    args = p.parse_args()
    if not torch.cuda.is_available():
        raise SystemExit(f"torch {torch.__version__} has no CUDA device")
    started = time.perf_counter()
    torch.backends.cudnn.benchmark = True
    result = {"torch": torch.__version__, "device": torch.cuda.get_device_name(0), "cudnn": torch.backends.cudnn.version(),
              "peakGflops": {"fp32": matmul_peak(8192, torch.float32, args.reps),
                             "fp16": matmul_peak(8192, torch.float16, args.reps)},
              "rows": [], "stoppedEarly": False}
    batches = [int(b) for b in args.batches.split(",")]
    for key, make in CONFIGS.items():
        conf = make()
        net = random_net(conf, 0).cuda().eval()
        for batch in batches:
            if time.perf_counter() - started > args.budget_s:
                result["stoppedEarly"] = True
                break
            x = torch.rand((batch, 3, conf.img_size, conf.img_size), device="cuda") * 2 - 1
            t = torch.randint(0, 1000, (batch,), device="cuda").float()
            z = torch.randn((batch, conf.z_dim), device="cuda")
            for precision in ("fp32", "fp16-autocast"):
                for component, fn in (("unet", lambda: net(x, t, z)), ("encoder", lambda: net.encoder(x))):
                    with torch.no_grad(), torch.autocast("cuda", dtype=torch.float16, enabled=precision != "fp32"):
                        try:
                            ms = cuda_ms(fn, args.reps)
                        except torch.cuda.OutOfMemoryError:
                            ms = None
                            torch.cuda.empty_cache()
                    macs = FACTS_MACS.get(key, {}).get(component)
                    result["rows"].append({"model": key, "component": component, "batch": batch, "precision": precision,
                                           "ms": ms, "samplesPerS": batch * 1000 / ms if ms else None,
                                           "gflops": 2 * macs * batch / (ms * 1e6) if ms and macs else None})
        del net
        torch.cuda.empty_cache()
    result["wallS"] = time.perf_counter() - started
    with open(args.out, "w") as f:
        json.dump(result, f, indent=2)


if __name__ == "__main__":
    main()
