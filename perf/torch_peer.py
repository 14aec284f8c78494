#!/usr/bin/env python3
"""Peer timing for perf/gpu-check.sh: torchvision's mobilenet_v2 (random weights, eval, no_grad, cuDNN, float32,
TF32 off) at the given batch sizes. Each timed call is one forward pass followed by torch.cuda.synchronize(), like
one `mobilenet bench` run. Two variants: input already on the device (device_resident) and, like the mobilenet
backends, copying the input from host memory and the output back (with_host_copies).
Writes one JSON object to --out (or stdout)."""
import argparse, json, platform, statistics, sys, time


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("--batches", default="1,8,64")
    ap.add_argument("--resolution", type=int, default=224)
    ap.add_argument("--warmup", type=int, default=10)
    ap.add_argument("--min-seconds", type=float, default=2.0, help="time each case for at least this long")
    ap.add_argument("--max-runs", type=int, default=500)
    ap.add_argument("--out")
    a = ap.parse_args()
    result = {"peer": "torchvision.models.mobilenet_v2", "weights": "random", "dtype": "float32", "python": platform.python_version()}
    try:
        import torch, torchvision
    except Exception as e:  # noqa: BLE001 - report whatever stops the import
        result.update(available=False, reason=f"import failed: {e}")
        return emit(result, a.out)
    result.update(torch=torch.__version__, torchvision=torchvision.__version__)
    if not torch.cuda.is_available():
        result.update(available=False, reason="torch.cuda.is_available() is False")
        return emit(result, a.out)
    torch.backends.cudnn.enabled = True
    torch.backends.cudnn.benchmark = True
    torch.backends.cuda.matmul.allow_tf32 = False
    torch.backends.cudnn.allow_tf32 = False
    dev = torch.device("cuda")
    result.update(available=True, gpu=torch.cuda.get_device_name(0), cuda=torch.version.cuda,
                  cudnn=torch.backends.cudnn.version(), cudnn_benchmark=True, tf32=False)
    model = torchvision.models.mobilenet_v2(weights=None).to(dev).eval()
    cases = []
    with torch.no_grad():
        for b in [int(x) for x in a.batches.split(",") if x]:
            host = torch.randn(b, 3, a.resolution, a.resolution).pin_memory()
            x = host.to(dev)
            for variant in ("device_resident", "with_host_copies"):
                def step():
                    if variant == "device_resident":
                        model(x)
                    else:
                        model(host.to(dev, non_blocking=True)).cpu()
                for _ in range(a.warmup):
                    step()
                torch.cuda.synchronize()
                times = []
                start = time.perf_counter()
                while len(times) < a.max_runs and (time.perf_counter() - start < a.min_seconds or len(times) < 5):
                    t0 = time.perf_counter()
                    step()
                    torch.cuda.synchronize()
                    times.append((time.perf_counter() - t0) * 1000)
                times.sort()
                med = statistics.median(times)
                cases.append({"batch": b, "variant": variant, "runs": len(times), "min_ms": times[0], "median_ms": med,
                              "avg_ms": sum(times) / len(times), "p95_ms": times[min(len(times) - 1, int(0.95 * len(times)))],
                              "images_per_s": b * 1000.0 / med})
    result["cases"] = cases
    return emit(result, a.out)


def emit(result, out):
    text = json.dumps(result, indent=2)
    if out:
        with open(out, "w") as f:
            f.write(text + "\n")
    else:
        print(text)
    return 0


if __name__ == "__main__":
    sys.exit(main())
