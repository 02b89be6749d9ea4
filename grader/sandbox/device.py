"""CUDA, safely: what the grader asks about GPUs, and how, so that nothing initialises CUDA in a
process that forks afterwards (the zygote; grade-class's parent), and so that both sides of the
trust boundary compute float32 alike.

    device_type("cuda:0") == device_type(torch.device("cuda")) == "cuda"
    cuda_build()          # torch was built with CUDA (or ROCm); asks no driver
    cuda_available()      # a GPU is usable here; asks NVML, not the CUDA runtime
    exact_float32()       # float32 matmuls in full precision (no TF32), on either side
    mentions_cuda(args)   # a call's arguments will put work on a GPU

Nothing here imports torch at import time (starting a zygote must not need it).
"""
from __future__ import annotations

import glob
import os
import shutil
import subprocess
import sys

# torch.cuda.is_available() normally calls cudaGetDeviceCount, which initialises the CUDA
# driver: a process forked after that cannot use CUDA. With this set, it asks NVML instead.
NVML_CHECK = "PYTORCH_NVML_BASED_CUDA_CHECK"
# NVIDIA's containers set this to turn TF32 on for every float32 matmul (about 1e-3 relative
# error): the reference and the student's code would then disagree far beyond the tolerances.
TF32_OVERRIDE = "TORCH_ALLOW_TF32_CUBLAS_OVERRIDE"


def device_type(x) -> str:
    """"cpu", "cuda", ...: the kind of device of a tensor (as the worker reported it, when it
    came through the protocol), a torch.device or a string. "cuda" and "cuda:0" are alike."""
    torch = sys.modules.get("torch")
    if torch is not None and isinstance(x, torch.Tensor):
        m = getattr(x, "_remote_meta", None)
        x = m.device if m is not None else x.device
    if torch is not None and isinstance(x, torch.device):
        return x.type
    return str(x).split(":", 1)[0]


def cuda_build() -> bool:
    """Whether the torch in this process was built for a GPU (CUDA or ROCm), whether or not one
    is present. Asks no driver; False when torch is not imported yet."""
    torch = sys.modules.get("torch")
    version = getattr(torch, "version", None)
    return bool(getattr(version, "cuda", None) or getattr(version, "hip", None))


def cuda_available() -> bool:
    """torch.cuda.is_available(), asked through NVML so that this process may still fork
    workers that use CUDA (see NVML_CHECK)."""
    os.environ.setdefault(NVML_CHECK, "1")
    import torch
    try:
        return bool(torch.cuda.is_available())
    except Exception:  # noqa: BLE001 - a broken driver: CPU only
        return False


def exact_float32():
    """Full-precision float32 matmuls in this process (no TF32), whatever the environment or
    earlier code asked for. Initialises nothing; call it before the first GPU matmul."""
    os.environ.pop(TF32_OVERRIDE, None)   # read once, at the first cuBLAS matmul
    import torch
    try:
        torch.set_float32_matmul_precision("highest")
    except Exception:  # noqa: BLE001 - an old or unusual build: its default is full precision
        pass


def seed_zero() -> None:
    """torch.manual_seed(0) for the devices the grader computes on: the CPU, and CUDA on a CUDA
    (or ROCm) build, seeded when it starts if it has not yet. torch.manual_seed itself also
    queues seeds for XPU and MTIA, formatting the call stack for each (0.1 ms, which a worker
    paid before every call)."""
    import torch
    torch.default_generator.manual_seed(0)
    if cuda_build():
        torch.cuda.manual_seed_all(0)


def mentions_cuda(value, depth=0) -> bool:
    """Whether a call's arguments hold a CUDA tensor, a torch.device("cuda") or a string
    naming one ("cuda", "cuda:1"): the call will then use the GPU."""
    if depth > 32 or value is None or type(value) in (float, int, bool):
        return False
    if isinstance(value, str):
        return value == "cuda" or value.startswith("cuda:")
    if isinstance(value, (list, tuple)):
        return any(mentions_cuda(v, depth + 1) for v in value)
    if isinstance(value, dict):
        return any(mentions_cuda(v, depth + 1) for v in value.values())
    torch = sys.modules.get("torch")
    if torch is not None and isinstance(value, (torch.Tensor, torch.device)):
        return device_type(value) == "cuda"
    return False


def gpu_device_nodes(pattern: str = "/dev/nvidia*") -> list[str]:
    """The NVIDIA device files a sandbox must show its workers for CUDA to work: /dev/nvidiactl,
    /dev/nvidia0..., /dev/nvidia-uvm(-tools), /dev/nvidia-modeset, /dev/nvidia-caps. The driver
    creates /dev/nvidia-uvm on the first CUDA use of the machine (with nvidia-modprobe); a
    sandbox started before that would never see it, so it is created here when missing."""
    found = sorted(glob.glob(pattern))
    if pattern == "/dev/nvidia*" and "/dev/nvidiactl" in found \
            and "/dev/nvidia-uvm" not in found and shutil.which("nvidia-modprobe"):
        try:
            subprocess.run(["nvidia-modprobe", "-u", "-c=0"], capture_output=True, timeout=10,
                           stdin=subprocess.DEVNULL)
        except (OSError, subprocess.TimeoutExpired):
            pass
        found = sorted(glob.glob(pattern))
    return found
