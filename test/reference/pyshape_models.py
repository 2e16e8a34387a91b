"""Measure, with real PyTorch, the shapes and parameters the Python shape analyser must find.

For every model fixture in test/fixtures/pyshape/ this builds the model by running the
fixture's own code, runs one forward pass on zeros of the stated input shape, and records,
for each direct child of the model in the order forward() applies it: the source line where
the child was built (found from the Python call stack at construction, not from our
analyser), its output shape (without the batch) and its parameter count. Broken models
record which child raised and PyTorch's message.

    /usr/bin/python3 test/reference/pyshape_models.py > test/fixtures/pyshape-torch.json
"""
import json
import os
import sys

import torch
from torch import nn
import torch.nn.functional as F

torch.set_num_threads(2)
HERE = os.path.dirname(os.path.abspath(__file__))
FIXTURES = os.path.join(HERE, '..', 'fixtures', 'pyshape')

# fixture file, expression that builds the model, input shape (C, H, W) stated in the file
CASES = [
    ('article_nin.py', 'nin()', (1, 224, 224)),
    ('lenet.py', 'net', (1, 28, 28)),
    ('alexnet.py', 'alexnet()', (1, 224, 224)),
    ('vgg.py', 'net', (1, 224, 224)),
    ('kwargs_tuples.py', 'make()', (3, 97, 61)),
    ('module_class.py', 'Net()', (3, 32, 32)),
    ('resnet.py', 'net', (1, 96, 96)),
    ('conv1d.py', 'net', (4, 100)),
    ('broken_channels.py', 'nin()', (1, 224, 224)),
    ('broken_linear.py', 'net', (1, 28, 28)),
    ('broken_collapse.py', 'net', (1, 28, 28)),
    ('broken_class.py', 'Net()', (3, 32, 32)),
]

_stacks = {}
_current = None
_orig_init = nn.Module.__init__


def _recording_init(self, *args, **kwargs):
    _orig_init(self, *args, **kwargs)
    # Lines of the fixture's frames at construction, outermost first.
    frames = []
    f = sys._getframe(1)
    while f is not None:
        if f.f_code.co_filename == _current:
            frames.append(f.f_lineno)
        f = f.f_back
    _stacks[id(self)] = list(reversed(frames))


nn.Module.__init__ = _recording_init


def measure(name, expr, shape):
    global _current
    path = os.path.abspath(os.path.join(FIXTURES, name))
    _current = path
    ns = {'torch': torch, 'nn': nn, 'F': F, '__name__': 'fixture'}
    with open(path, encoding='utf-8') as fh:
        exec(compile(fh.read(), path, 'exec'), ns)
    model = eval(expr, ns)
    root_depth = len(_stacks[id(model)])
    line_of = {}
    for _, child in model.named_children():
        line_of[id(child)] = _stacks[id(child)][root_depth - 1]
    layers = []
    entered = []

    def pre(mod, _inp):
        entered.append(mod)

    def post(mod, inp, out):
        layers.append({'line': line_of[id(mod)], 'type': type(mod).__name__,
                       'input': list(inp[0].shape[1:]), 'output': list(out.shape[1:]),
                       'params': sum(p.numel() for p in mod.parameters())})

    for child in model.children():
        child.register_forward_pre_hook(pre)
        child.register_forward_hook(post)
    result = {'input': list(shape), 'layers': layers,
              'params': sum(p.numel() for p in model.parameters())}
    try:
        with torch.no_grad():
            out = model.eval()(torch.zeros(1, *shape))
        result['output'] = list(out.shape[1:])
    except RuntimeError as e:
        failed = entered[len(layers)] if len(entered) > len(layers) else None
        result['error'] = {'line': line_of[id(failed)] if failed is not None else None,
                           'message': str(e).split('\n')[0]}
    return result


if __name__ == '__main__':
    out = {'torch': torch.__version__, 'models': {}}
    for name, expr, shape in CASES:
        out['models'][name] = measure(name, expr, shape)
    json.dump(out, sys.stdout, indent=1)
    sys.stdout.write('\n')
