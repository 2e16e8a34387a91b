"""Measure, with real PyTorch, the reader's NiN variant the code lens offers to train
(test/fixtures/codelens/nin_one1x1_28.py: the article's code with one 1x1 convolution per
nin_block, at 28x28): its parameter count, output and each nin_block's convolutions.

Writes test/fixtures/codelens/nin_one1x1_28.torch.json, what the integration suite checks the
lens and the panel's diagram against (test/integration/model.test.ts). Run with Debian's
python3-torch:
    /usr/bin/python3 test/reference/codelens_models.py > test/fixtures/codelens/nin_one1x1_28.torch.json
"""
import json
import pathlib
import re
import sys

import torch
from torch import nn

FILE = pathlib.Path(__file__).resolve().parent.parent / "fixtures" / "codelens" / "nin_one1x1_28.py"


def measure() -> dict:
    source = FILE.read_text()
    shape = [int(v) for v in re.search(r"# input shape: ([\d *]+)", source).group(1).split("*")]
    scope: dict = {}
    exec(compile(source, str(FILE), "exec"), scope)
    net = scope["nin"]()
    with torch.no_grad():
        out = net(torch.zeros(1, *shape))
    # Each nin_block is a Sequential child of the network: its Conv2d kernel sizes, in order.
    blocks = [[list(c.kernel_size) for c in b.modules() if isinstance(c, nn.Conv2d)]
              for b in net.children() if isinstance(b, nn.Sequential)]
    return {
        "torch": torch.__version__,
        "model": "nin()",
        "input": shape,
        "output": list(out.shape[1:]),
        "params": sum(p.numel() for p in net.parameters()),
        "blocks": blocks,
    }


if __name__ == "__main__":
    json.dump(measure(), sys.stdout, indent=1)
    sys.stdout.write("\n")
