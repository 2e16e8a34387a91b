"""Measure, with real PyTorch, what a fully connected head would cost instead of NiN's
classifier (the last nin_block + global average pooling).

The assumed alternative (src/model/fcHead.ts): NiN's trunk up to and including the dropout,
then Flatten -> Linear(features, 4096) -> ReLU -> Dropout -> Linear(4096, 4096) -> ReLU ->
Dropout -> Linear(4096, 10), AlexNet's head. Writes test/fixtures/pytorch-fc-head.json:
    /usr/bin/python3 test/reference/fc_head.py > test/fixtures/pytorch-fc-head.json
"""
import json
import sys

import torch
from torch import nn

from nin_shapes import compact, seed


def fc_variant(builder, shape):
    nin = builder(shape[0])
    layers = list(nin.children())
    # The last nin_block is followed by GAP and Flatten: replace those three.
    trunk = nn.Sequential(*layers[:-3])
    with torch.no_grad():
        features = trunk(torch.zeros(1, *shape)).shape[1:]
    n = int(torch.tensor(features).prod())
    head = nn.Sequential(
        nn.Flatten(),
        nn.Linear(n, 4096), nn.ReLU(), nn.Dropout(0.5),
        nn.Linear(4096, 4096), nn.ReLU(), nn.Dropout(0.5),
        nn.Linear(4096, 10))
    net = nn.Sequential(trunk, head).eval()
    with torch.no_grad():
        out = net(torch.zeros(1, *shape)).shape[1:]
    count = lambda m: sum(p.numel() for p in m.parameters())
    return {
        "input": list(shape),
        "featureShape": list(features),
        "features": n,
        "headParams": count(head),
        "ninHeadParams": count(nn.Sequential(*layers[-3:])),
        "ninTotalParams": count(nin),
        "fcTotalParams": count(net),
        "output": list(out),
    }


if __name__ == "__main__":
    out = {"torch": torch.__version__, "presets": {
        "seed": [fc_variant(seed, (1, 224, 224)), fc_variant(seed, (1, 96, 96))],
        "compact": [fc_variant(compact, (1, 28, 28))],
    }}
    json.dump(out, sys.stdout, indent=1)
    sys.stdout.write("\n")
