"""Training throughput of the same NiN networks in PyTorch, for `nin bench`.

Prints one JSON object per line: {"engine", "preset", "input", "batch", "imagesPerSecond",
"imagesPerCpuSecond", "threads"}.
Same networks as src/model/spec.ts, same step (forward, cross-entropy, backward, SGD lr 0.1),
random inputs (throughput does not depend on pixel values), steady state after warm-up.
Usage: /usr/bin/python3 test/reference/bench_torch.py --threads 2 --batch 128 --seconds 8 compact@28 seed@96
"""
import argparse
import json
import time

import torch
from torch import nn


def nin_block(cin, cout, k, s, p):
    return nn.Sequential(nn.Conv2d(cin, cout, k, s, p), nn.ReLU(),
                         nn.Conv2d(cout, cout, 1), nn.ReLU(),
                         nn.Conv2d(cout, cout, 1), nn.ReLU())


BLOCKS = {
    "seed": [(96, 11, 4, 0), (256, 5, 1, 2), (384, 3, 1, 1), (10, 3, 1, 1)],
    "compact": [(32, 5, 1, 2), (64, 5, 1, 2), (128, 3, 1, 1), (10, 3, 1, 1)],
}


def network(preset):
    layers, cin = [], 1
    for i, (cout, k, s, p) in enumerate(BLOCKS[preset]):
        if i == 3:
            layers.append(nn.Dropout(0.5))
        layers.append(nin_block(cin, cout, k, s, p))
        if i < 3:
            layers.append(nn.MaxPool2d(3, 2))
        cin = cout
    layers += [nn.AdaptiveAvgPool2d((1, 1)), nn.Flatten()]
    net = nn.Sequential(*layers)
    for m in net.modules():
        if isinstance(m, nn.Conv2d):
            nn.init.xavier_uniform_(m.weight)
    return net


def measure(preset, size, batch, seconds):
    net = network(preset).train()
    opt = torch.optim.SGD(net.parameters(), lr=0.1)
    loss_fn = nn.CrossEntropyLoss()
    x = torch.rand(batch, 1, size, size)
    y = torch.randint(0, 10, (batch,))

    def step():
        opt.zero_grad()
        loss_fn(net(x), y).backward()
        opt.step()

    for _ in range(2):
        step()
    steps, t0, c0 = 0, time.perf_counter(), time.process_time()
    while steps < 3 or time.perf_counter() - t0 < seconds:
        step()
        steps += 1
    # CPU time of all threads: on a shared machine, images per CPU-second follows the load less.
    return steps * batch / (time.perf_counter() - t0), steps * batch / (time.process_time() - c0)


if __name__ == "__main__":
    ap = argparse.ArgumentParser()
    ap.add_argument("--threads", type=int, default=2)
    ap.add_argument("--batch", type=int, default=128)
    ap.add_argument("--seconds", type=float, default=8)
    ap.add_argument("cases", nargs="+")
    a = ap.parse_args()
    torch.set_num_threads(a.threads)
    for case in a.cases:
        preset, size = case.split("@")
        ips, ipcs = measure(preset, int(size), a.batch, a.seconds)
        print(json.dumps({"engine": "pytorch", "preset": preset, "input": int(size), "batch": a.batch,
                          "imagesPerSecond": round(ips, 2), "imagesPerCpuSecond": round(ipcs, 2),
                          "threads": a.threads,
                          "version": torch.__version__}), flush=True)
