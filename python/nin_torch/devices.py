"""Which device trains, and why (one line a user can read), plus the probe the extension runs
once per interpreter: torch's version and the devices it sees."""
import sys
from typing import Any, Dict, Tuple

import torch


class DeviceError(Exception):
    """The device asked for is not there; the message says what to do."""


def _mps_available() -> bool:
    mps = getattr(torch.backends, "mps", None)
    return bool(mps and mps.is_available())


def probe() -> Dict[str, Any]:
    """What this interpreter's torch offers."""
    cuda = torch.cuda.is_available()
    return {
        "python": sys.executable,
        "pythonVersion": ".".join(map(str, sys.version_info[:3])),
        "torch": torch.__version__,
        "cuda": [torch.cuda.get_device_name(i) for i in range(torch.cuda.device_count())] if cuda else [],
        "cudaBuild": torch.version.cuda,
        "mps": _mps_available(),
    }


def pick_device(preference: str, threads: int) -> Tuple[torch.device, str]:
    """`auto`: CUDA, then Apple MPS, then the CPU; `cuda`, `mps`, `cpu` as asked."""
    version = f"PyTorch {torch.__version__} ({sys.executable})"
    cpu = f"{version} on the CPU ({threads} thread{'s' if threads != 1 else ''})"
    if preference == "cpu":
        return torch.device("cpu"), f"{cpu}: device cpu requested"
    if preference in ("auto", "cuda") and torch.cuda.is_available():
        name = torch.cuda.get_device_name(0)
        why = "requested" if preference == "cuda" else "auto: the first CUDA GPU"
        return torch.device("cuda:0"), f"{version} on CUDA GPU {name}: {why}"
    if preference == "cuda":
        build = f"CUDA {torch.version.cuda} build" if torch.version.cuda else "a CPU-only build"
        raise DeviceError(f"device cuda was asked for, but {version} ({build}) sees no CUDA GPU; "
                          "set nin.device to auto or cpu, or install a CUDA build of torch")
    if preference in ("auto", "mps") and _mps_available():
        why = "requested" if preference == "mps" else "auto: no CUDA GPU, Apple MPS available"
        return torch.device("mps"), f"{version} on Apple MPS: {why}"
    if preference == "mps":
        raise DeviceError(f"device mps was asked for, but {version} has no Apple MPS here "
                          "(it needs an Apple-silicon Mac and torch 1.12 or later); set nin.device to auto or cpu")
    if preference != "auto":
        raise DeviceError(f"unknown device {preference!r}: use auto, cuda, mps or cpu")
    return torch.device("cpu"), f"{cpu}: auto, no CUDA GPU or Apple MPS found"
