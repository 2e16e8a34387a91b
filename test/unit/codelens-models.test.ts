// What the code lens offers for each model of a file (src/pyshape/trainability.ts):
// the reader's NiN variant trains, with PyTorch's parameter count; every other model says why
// not, as a kind the PyTorch path can route on and toSpec's reason.
import * as assert from 'node:assert/strict';
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { analysePython } from '../../src/pyshape/analyse';
import { loadPythonParser, type PythonParser } from '../../src/pyshape/parser';
import { lensModels, trainabilities } from '../../src/pyshape/trainability';
import { ROOT } from './helpers';

const DIR = join(ROOT, 'test', 'fixtures', 'codelens');
/** Measured with Debian's PyTorch: test/reference/codelens_models.py. */
const torch = JSON.parse(readFileSync(join(DIR, 'nin_one1x1_28.torch.json'), 'utf8')) as {
  input: number[];
  output: number[];
  params: number;
  blocks: number[][][];
};

const HEAD = 'import torch\nfrom torch import nn\nimport torch.nn.functional as F\n';

describe('code lens: which models train without running the code, and why not', () => {
  let parser: PythonParser;
  before(async () => (parser = await loadPythonParser()));
  const models = (source: string, file = '/w/m.py') => lensModels(analysePython(parser, source), file, source);

  it("the article's NiN with one 1x1 conv per block at 28x28: trainable, PyTorch's parameter count, one 1x1 conv per block", () => {
    const file = join(DIR, 'nin_one1x1_28.py');
    const source = readFileSync(file, 'utf8');
    const found = models(source, file);
    assert.deepEqual(
      found.map((m) => m.report.name),
      ['nin()'],
    );
    const t = found[0].train;
    assert.ok(t.ok, t.ok ? '' : t.why);
    assert.equal(t.model.params, torch.params);
    assert.deepEqual(t.model.input, torch.input);
    assert.equal(t.model.file, file);
    assert.equal(t.model.source, source);
    const blocks = (t.model.layers ?? []).filter((l) => l.kind === 'nin_block');
    assert.deepEqual(
      blocks.map((b) => (b.kind === 'nin_block' ? [b.kernel, b.mlpConvs] : [])),
      torch.blocks.map((convs) => [convs[0][0], convs.length - 1]),
    );
  });

  it('a class with its own forward() is refused as custom-forward, with the reason toSpec gives', () => {
    const [m] = models(
      `${HEAD}class Net(nn.Module):\n    # input shape: 1x28x28\n    def __init__(self):\n        super().__init__()\n        self.fc = nn.Linear(784, 10)\n\n    def forward(self, x):\n        return F.relu(self.fc(torch.flatten(x, 1)))\n\n\nmodel = Net()\n`,
    );
    assert.equal(m.train.ok, false);
    assert.ok(!m.train.ok);
    assert.equal(m.train.kind, 'custom-forward');
    assert.match(m.train.why, /own forward\(\)/);
    // The PyTorch path's model: built by its code, with the analysis's input and parameters (784*10 + 10).
    assert.equal(m.code?.build, 'code');
    assert.deepEqual(m.code?.input, [1, 28, 28]);
    assert.equal(m.code?.params, 7850);
  });

  it('a network ending in 7 outputs is refused as not-10-classes, naming its output', () => {
    const [m] = models(`${HEAD}# input shape: 1x28x28\nnet = nn.Sequential(nn.Flatten(), nn.Linear(784, 7))\n`);
    assert.ok(!m.train.ok);
    assert.equal(m.train.kind, 'not-10-classes');
    assert.match(m.train.why, /ends in 7, not the 10 class scores/);
    assert.equal(m.code, undefined, 'no path trains it, PyTorch included');
  });

  it('a Linear whose in_features do not fit is refused as unresolved', () => {
    const [m] = models(`${HEAD}# input shape: 1x28x28\nnet = nn.Sequential(nn.Flatten(), nn.Linear(100, 10))\n`);
    assert.ok(!m.train.ok);
    assert.equal(m.train.kind, 'unresolved');
    assert.match(m.train.why, /^net: line 5: Linear expects 100 input features/);
  });

  it('a grouped convolution (no TensorFlow.js counterpart here) is refused as layer, naming the argument', () => {
    const [m] = models(
      `${HEAD}# input shape: 1x28x28\nnet = nn.Sequential(nn.Conv2d(1, 4, 3), nn.Conv2d(4, 4, 3, groups=2), nn.Flatten(), nn.Linear(4 * 24 * 24, 10))\n`,
    );
    assert.ok(!m.train.ok);
    assert.equal(m.train.kind, 'layer');
    assert.match(m.train.why, /groups is not 1/);
  });

  it('three input channels are refused as input (Fashion-MNIST has one)', () => {
    const [m] = models(`${HEAD}# input shape: 3x28x28\nnet = nn.Sequential(nn.Flatten(), nn.Linear(3 * 784, 10))\n`);
    assert.ok(!m.train.ok);
    assert.equal(m.train.kind, 'input');
    assert.match(m.train.why, /3 channels/);
  });

  it('two models of one file are each judged on their own', () => {
    const found = models(
      `${HEAD}# input shape: 1x28x28\na = nn.Sequential(nn.Flatten(), nn.Linear(784, 10))\nb = nn.Sequential(nn.Flatten(), nn.Linear(784, 5))\n`,
    );
    assert.deepEqual(
      found.map((m) => [m.report.name, m.train.ok ? m.train.model.params : m.train.kind]),
      [
        ['a', 784 * 10 + 10],
        ['b', 'not-10-classes'],
      ],
    );
  });

  it("from the shape worker's analysis (copied across threads, the models' resolved modules left behind): the same offers", () => {
    const file = join(DIR, 'nin_one1x1_28.py');
    const source = readFileSync(file, 'utf8');
    const a = analysePython(parser, source);
    const sent = structuredClone({ ...a, trainability: trainabilities(a, source) });
    assert.equal(sent.models[0].mod, undefined, 'the module does not cross');
    const here = lensModels(a, file, source);
    const there = lensModels(sent, file, source);
    assert.deepEqual(
      there.map((m) => [m.train, m.code]),
      here.map((m) => [m.train, m.code]),
    );
    assert.ok(there[0].train.ok && there[0].train.model.file === file);
  });
});
