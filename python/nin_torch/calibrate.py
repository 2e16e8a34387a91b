"""Steady-state training speed for a few seconds on random data (src/train/calibrate.ts's
method: the timed batch grows 2 -> 8 -> 32 -> 128 while a step stays under 4 s)."""
import os
import time
from typing import Any, Dict

import torch
import torch.nn.functional as F

from . import model, optim
from .devices import pick_device

MAX_STEP_SECONDS = 4.0


def calibrate(job: Dict[str, Any], seconds: float = 3.0) -> Dict[str, Any]:
    threads = int(job.get("threads", 0)) or (os.cpu_count() or 1)
    torch.set_num_threads(threads)
    device, _ = pick_device(job.get("device", "auto"), threads)
    torch.manual_seed(1)
    net, named = model.build(job["spec"], job["rowNames"])
    net.to(device).train()
    opt = optim.make("sgd", [p for _, p in named], 0.01)
    c, size = int(job["spec"]["input"][0]), int(job["input"])

    def batch(n: int):
        return torch.rand(n, c, size, size, device=device), torch.arange(n, device=device) % 10

    def step(x: torch.Tensor, y: torch.Tensor) -> float:
        t = time.perf_counter()
        opt.zero_grad(set_to_none=True)
        loss = F.cross_entropy(net(x), y)
        loss.backward()
        opt.step()
        float(loss)  # waits for the device
        return time.perf_counter() - t

    n = min(int(job["batchSize"]), 2)
    x, y = batch(n)
    step(x, y)
    while True:
        per_image = max(1e-6, step(x, y) / n)
        nxt = min(int(job["batchSize"]), n * 4)
        if nxt == n or per_image * nxt > MAX_STEP_SECONDS:
            break
        n = nxt
        x, y = batch(n)
    step(x, y)
    steps, t0 = 0, time.perf_counter()
    while steps < 2 or time.perf_counter() - t0 < seconds:
        step(x, y)
        steps += 1
    return {"type": "calibration", "preset": job["preset"], "input": size, "backend": "pytorch",
            "imagesPerSecond": steps * n / (time.perf_counter() - t0), "flops": job["flops"]}
