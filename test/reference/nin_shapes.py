"""Measure NiN layer shapes and parameter counts with real PyTorch.

Writes test/fixtures/pytorch-nin-shapes.json, the reference the unit tests compare our
inference and tfjs model against. Run with Debian's python3-torch:
    /usr/bin/python3 test/reference/nin_shapes.py > test/fixtures/pytorch-nin-shapes.json
"""
import json
import sys

import torch
from torch import nn


def nin_block(in_channels, out_channels, kernel_size, strides, padding):
    # The article's block, verbatim.
    return nn.Sequential(
        nn.Conv2d(in_channels, out_channels, kernel_size, strides, padding),
        nn.ReLU(),
        nn.Conv2d(out_channels, out_channels, kernel_size=1), nn.ReLU(),
        nn.Conv2d(out_channels, out_channels, kernel_size=1), nn.ReLU())


def seed(c):
    return nn.Sequential(
        nin_block(c, 96, kernel_size=11, strides=4, padding=0),
        nn.MaxPool2d(kernel_size=3, stride=2),
        nin_block(96, 256, kernel_size=5, strides=1, padding=2),
        nn.MaxPool2d(3, stride=2),
        nin_block(256, 384, kernel_size=3, strides=1, padding=1),
        nn.MaxPool2d(3, stride=2),
        nn.Dropout(0.5),
        nin_block(384, 10, kernel_size=3, strides=1, padding=1),
        nn.AdaptiveAvgPool2d((1, 1)),
        nn.Flatten())


def compact(c):
    return nn.Sequential(
        nin_block(c, 32, 5, 1, 2), nn.MaxPool2d(3, 2),
        nin_block(32, 64, 5, 1, 2), nn.MaxPool2d(3, 2),
        nin_block(64, 128, 3, 1, 1), nn.MaxPool2d(3, 2),
        nn.Dropout(0.5),
        nin_block(128, 10, 3, 1, 1),
        nn.AdaptiveAvgPool2d((1, 1)), nn.Flatten())


def nin_block_no1x1(in_channels, out_channels, kernel_size, strides, padding):
    # The variant without the per-pixel MLP: the kxk convolution and its ReLU alone.
    return nn.Sequential(nn.Conv2d(in_channels, out_channels, kernel_size, strides, padding), nn.ReLU())


def compact_fc(c):
    # compact's trunk through the dropout, then AlexNet's head (as the panel's head comparison).
    return nn.Sequential(
        nin_block(c, 32, 5, 1, 2), nn.MaxPool2d(3, 2),
        nin_block(32, 64, 5, 1, 2), nn.MaxPool2d(3, 2),
        nin_block(64, 128, 3, 1, 1), nn.MaxPool2d(3, 2),
        nn.Dropout(0.5),
        nn.Flatten(),
        nn.Linear(128 * 2 * 2, 4096), nn.ReLU(), nn.Dropout(0.5),
        nn.Linear(4096, 4096), nn.ReLU(), nn.Dropout(0.5),
        nn.Linear(4096, 10))


def compact_no1x1(c):
    return nn.Sequential(
        nin_block_no1x1(c, 32, 5, 1, 2), nn.MaxPool2d(3, 2),
        nin_block_no1x1(32, 64, 5, 1, 2), nn.MaxPool2d(3, 2),
        nin_block_no1x1(64, 128, 3, 1, 1), nn.MaxPool2d(3, 2),
        nn.Dropout(0.5),
        nin_block_no1x1(128, 10, 3, 1, 1),
        nn.AdaptiveAvgPool2d((1, 1)), nn.Flatten())


def measure(builder, shape):
    net = builder(shape[0]).eval()
    x = torch.zeros(1, *shape)
    rows = []
    try:
        with torch.no_grad():
            for i, layer in enumerate(net):
                x = layer(x)
                rows.append({"output": list(x.shape[1:]),
                             "params": sum(p.numel() for p in layer.parameters())})
    except RuntimeError as e:
        return {"input": list(shape), "layers": rows, "errorAt": i, "error": str(e).split("\n")[0]}
    return {"input": list(shape), "layers": rows,
            "params": sum(p.numel() for p in net.parameters())}


CASES = {
    "seed": [(1, 224, 224), (1, 96, 96), (1, 66, 66), (1, 128, 128), (3, 227, 227), (1, 67, 67)],
    "compact": [(1, 28, 28), (1, 32, 32), (1, 56, 56), (1, 14, 14), (1, 7, 7), (3, 40, 30)],
    # The FC head fixes the input size (Linear(512, ...)); 14x14 collapses before it.
    "compact-fc": [(1, 28, 28), (1, 14, 14)],
    "compact-no1x1": [(1, 28, 28), (1, 32, 32), (1, 7, 7)],
}

if __name__ == "__main__":
    out = {"torch": torch.__version__, "presets": {}}
    for name, shapes in CASES.items():
        out["presets"][name] = [measure(globals()[name.replace("-", "_")], s) for s in shapes]
    json.dump(out, sys.stdout, indent=1)
    sys.stdout.write("\n")
