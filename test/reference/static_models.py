"""Measure the models of test/fixtures/models/*.py with real PyTorch, leaf module by leaf module.

Each file defines `net` and states its input in a `# input shape:` comment. Writes
test/fixtures/static-models.json, the reference for the networks TensorFlow.js builds from the
analyser's reading of the same files (test/unit/static-models.test.ts). Run with Debian's
python3-torch:
    /usr/bin/python3 test/reference/static_models.py > test/fixtures/static-models.json
"""
import json
import pathlib
import re
import sys

import torch

HERE = pathlib.Path(__file__).resolve().parent.parent / "fixtures" / "models"


def measure(path: pathlib.Path) -> dict:
    source = path.read_text()
    shape = [int(v) for v in re.search(r"# input shape: ([\d *]+)", source).group(1).split("*")]
    scope: dict = {}
    exec(compile(source, str(path), "exec"), scope)
    net = scope["net"].eval()
    leaves = []

    def hook(module, _inputs, output):
        leaves.append({"module": type(module).__name__, "output": list(output.shape[1:]),
                       "params": sum(p.numel() for p in module.parameters())})

    for m in net.modules():
        if not list(m.children()):
            m.register_forward_hook(hook)
    with torch.no_grad():
        net(torch.zeros(1, *shape))
    return {"input": shape, "leaves": leaves, "params": sum(p.numel() for p in net.parameters())}


if __name__ == "__main__":
    out = {"torch": torch.__version__, "models": {p.stem: measure(p) for p in sorted(HERE.glob("*.py"))}}
    json.dump(out, sys.stdout, indent=1)
    sys.stdout.write("\n")
