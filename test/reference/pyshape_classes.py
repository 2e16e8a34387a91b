"""Measure, with real PyTorch, the per-layer shapes of the class-based model fixtures.

Like pyshape_models.py, but a child that is an nn.Sequential is measured layer by layer (the
analyser annotates the layers written inside `self.features = nn.Sequential(...)` one each),
and each layer's line is the innermost line of the fixture where it was constructed. The
fixture runs as a module (its `if __name__ == '__main__'` block does not), the model is built
by the expression given, and one forward pass runs on zeros of the input the model admits.

    /usr/bin/python3 test/reference/pyshape_classes.py > test/fixtures/pyshape-torch-classes.json
"""
import json
import os
import sys
import types

import torch
from torch import nn

torch.set_num_threads(2)
HERE = os.path.dirname(os.path.abspath(__file__))
FIXTURES = os.path.join(HERE, '..', 'fixtures', 'pyshape')

# fixture file, expression that builds the model, the input it admits (C, H, W)
CASES = [
    ('torchvision_alexnet.py', 'make()', (3, 224, 224)),
    ('mnist_main.py', 'Net()', (1, 28, 28)),
]

_lines = {}
_current = None
_orig_init = nn.Module.__init__


def _recording_init(self, *args, **kwargs):
    _orig_init(self, *args, **kwargs)
    f = sys._getframe(1)
    while f is not None and f.f_code.co_filename != _current:
        f = f.f_back
    _lines[id(self)] = f.f_lineno if f is not None else None


nn.Module.__init__ = _recording_init

# The MNIST script imports torchvision for its data; the network does not need it.
for name in ('torchvision', 'torchvision.datasets', 'torchvision.transforms'):
    sys.modules.setdefault(name, types.ModuleType(name))
sys.modules['torchvision'].datasets = sys.modules['torchvision.datasets']
sys.modules['torchvision'].transforms = sys.modules['torchvision.transforms']


def measure(name, expr, shape):
    global _current
    path = os.path.abspath(os.path.join(FIXTURES, name))
    _current = path
    ns = {'__name__': 'fixture'}
    with open(path, encoding='utf-8') as fh:
        exec(compile(fh.read(), path, 'exec'), ns)
    model = eval(expr, ns)
    leaves = []
    for child in model.children():
        leaves.extend(child.children() if isinstance(child, nn.Sequential) else [child])
    layers = []

    def post(mod, inp, out):
        layers.append({'line': _lines[id(mod)], 'type': type(mod).__name__,
                       'input': list(inp[0].shape[1:]), 'output': list(out.shape[1:]),
                       'params': sum(p.numel() for p in mod.parameters())})

    for leaf in leaves:
        leaf.register_forward_hook(post)
    with torch.no_grad():
        out = model.eval()(torch.zeros(1, *shape))
    return {'input': list(shape), 'layers': layers, 'output': list(out.shape[1:]),
            'params': sum(p.numel() for p in model.parameters())}


if __name__ == '__main__':
    result = {'torch': torch.__version__, 'models': {}}
    for name, expr, shape in CASES:
        result['models'][name] = measure(name, expr, shape)
    json.dump(result, sys.stdout, indent=1)
    sys.stdout.write('\n')
