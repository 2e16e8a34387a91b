// Models as the chapters around NiN and real training scripts write them: layers inside a
// Sequential attribute annotated one each, a factory lambda, a class instantiated only in
// main(), the input inferred from a Linear after flatten; measured against PyTorch.
import * as assert from 'node:assert/strict';
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { analysePython, type Analysis } from '../../src/pyshape/analyse';
import { loadPythonParser, type PythonParser } from '../../src/pyshape/parser';
import { annotatedEvents } from '../../src/pyshape/report';
import { fixture, ROOT, runCli } from './helpers';

interface TorchModel {
  input: number[];
  layers: { line: number; type: string; output: number[]; params: number }[];
  output: number[];
  params: number;
}
const torch = fixture<{ torch: string; models: Record<string, TorchModel> }>('pyshape-torch-classes.json');
const source = (name: string): string => readFileSync(join(ROOT, 'test', 'fixtures', 'pyshape', name), 'utf8');

let parser: PythonParser;
before(async () => {
  parser = await loadPythonParser(join(ROOT, 'out', 'wasm'));
});
const analyse = (text: string): Analysis => analysePython(parser, text);
const serious = (a: Analysis): string[] =>
  a.diagnostics
    .filter((d) => d.severity !== 'info')
    .map((d) => `${d.span.line + 1}: ${d.id} ${JSON.stringify(d.args)}`);

describe('pyshape: class-based models as chapters and training scripts write them (PyTorch-measured)', () => {
  const expected: Record<string, { name: string; from: string; inferredFrom?: string }> = {
    'torchvision_alexnet.py': { name: 'make()', from: 'first-layer' },
    'mnist_main.py': { name: 'Net()', from: 'inferred', inferredFrom: 'fc1' },
  };
  for (const [file, ref] of Object.entries(torch.models)) {
    it(`${file}: one annotation per layer (inside Sequential attributes too), shapes and parameters as PyTorch ${torch.torch}`, () => {
      const a = analyse(source(file));
      assert.deepEqual(
        a.models.map((m) => m.name),
        [expected[file].name],
      );
      const m = a.models[0];
      assert.deepEqual(m.input, ref.input);
      assert.equal(m.inputFrom, expected[file].from);
      assert.equal(m.inferredFrom, expected[file].inferredFrom);
      const ours = annotatedEvents(a)
        .filter((e) => e.kind !== 'op')
        .map((e) => ({ line: e.site.span.line + 1, type: e.layer, output: e.output, params: e.params }));
      assert.deepEqual(
        ours,
        ref.layers.map((l) => ({ line: l.line, type: l.type, output: l.output, params: l.params })),
      );
      assert.deepEqual(m.output, ref.output);
      assert.equal(m.params, ref.params);
      assert.deepEqual(serious(a), []);
    });
  }

  it('nin annotate --json says where an inferred input came from', () => {
    const r = runCli(['annotate', join(ROOT, 'test', 'fixtures', 'pyshape', 'mnist_main.py'), '--json']);
    assert.equal(r.code, 0, r.stderr);
    const j = JSON.parse(r.stdout) as { models: { input: number[]; inputFrom: string; inferredFrom: string }[] };
    assert.deepEqual(j.models[0], { ...j.models[0], input: [1, 28, 28], inputFrom: 'inferred', inferredFrom: 'fc1' });
  });
});

describe('pyshape: only provably wrong code gets an error or warning', () => {
  const NET = (first: string, comment = ''): string => `import torch.nn as nn

class Net(nn.Module):
    ${comment}
    def __init__(self):
        super().__init__()
        self.up = ${first}
        self.conv = nn.Conv2d(5, 8, 3)

    def forward(self, x):
        return self.conv(self.up(x))
`;

  it('a forward() taking more (or fewer) arguments than the input is run, not reported', () => {
    const a = analyse(`import torch.nn as nn

class Gated(nn.Module):
    def __init__(self):
        super().__init__()
        self.conv = nn.Conv2d(1, 4, 3)

    def forward(self, x, mask, *, scale):
        return self.conv(x) * mask * scale

class NoInput(nn.Module):
    def forward(self):
        return None

class Outer(nn.Module):
    def __init__(self):
        super().__init__()
        self.inner = Gated()
        self.head = nn.Conv2d(4, 2, 1)

    def forward(self, x, mask):
        return self.head(self.inner(x, mask, scale=2))
`);
    assert.deepEqual(serious(a), []);
    const outer = a.models.find((m) => m.name === 'Outer()');
    assert.deepEqual(outer?.output, [2, 222, 222]);
  });

  it('an input assumed from the setting never makes an error; a stated one does; a contradiction always does', () => {
    // ConvTranspose2d(3, ...) first: the assumed 1x224x224 would not fit, and nothing says 1 channel.
    assert.deepEqual(serious(analyse(NET('nn.ConvTranspose2d(3, 5, 3)'))), []);
    const stated = analyse(NET('nn.ConvTranspose2d(3, 5, 3)', '# input shape: 1x8x8'));
    assert.deepEqual(
      stated.diagnostics.filter((d) => d.severity === 'error').map((d) => d.id),
      ['channels'],
    );
    // 6 channels into a Conv2d(5, ...): wrong whatever the input.
    const wrong = analyse(NET('nn.Conv2d(3, 6, 3)'));
    assert.deepEqual(
      wrong.diagnostics.filter((d) => d.severity === 'error').map((d) => d.id),
      ['channels'],
    );
  });

  it('a view(-1, 320) of a 28x28 MNIST network infers 1x28x28 instead of failing on 1x224x224', () => {
    const a = analyse(`import torch.nn as nn
import torch.nn.functional as F

class Net(nn.Module):
    def __init__(self):
        super(Net, self).__init__()
        self.conv1 = nn.Conv2d(1, 10, kernel_size=5)
        self.conv2 = nn.Conv2d(10, 20, kernel_size=5)
        self.fc1 = nn.Linear(320, 50)

    def forward(self, x):
        x = F.relu(F.max_pool2d(self.conv1(x), 2))
        x = F.relu(F.max_pool2d(self.conv2(x), 2))
        x = x.view(-1, 320)
        return F.log_softmax(self.fc1(x), dim=1)

def main():
    model = Net()
`);
    assert.deepEqual(serious(a), []);
    assert.deepEqual(a.models[0].input, [1, 28, 28]);
    assert.equal(a.models[0].inferredFrom, 'x.view');
    assert.deepEqual(a.models[0].output, [50]);
  });
});
