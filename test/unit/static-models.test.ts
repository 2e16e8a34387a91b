// Models read from code and built in TensorFlow.js without running the code (src/pyshape/toSpec.ts):
// LeNet, AlexNet (224), VGG-11 and the article's NiN, checked layer by layer against PyTorch.
import * as assert from 'node:assert/strict';
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import * as tf from '@tensorflow/tfjs-core';
import '@tensorflow/tfjs-backend-cpu';
import type * as tfl from '@tensorflow/tfjs-layers';
import { buildNetwork } from '../../src/model/network';
import type { LayerSpec, NinSpec } from '../../src/model/spec';
import { analysePython } from '../../src/pyshape/analyse';
import { loadPythonParser, type PythonParser } from '../../src/pyshape/parser';
import { modToSpec } from '../../src/pyshape/toSpec';
import { fixture, ROOT } from './helpers';

interface Leaf {
  module: string;
  output: number[];
  params: number;
}
const torch = fixture<{ models: Record<string, { input: number[]; leaves: Leaf[]; params: number }> }>(
  'static-models.json',
);
const MODELS = join(ROOT, 'test', 'fixtures', 'models');

/** How many PyTorch leaf modules a spec row stands for. */
const leavesOf = (l: LayerSpec): number => (l.kind === 'nin_block' ? 2 + 2 * (l.mlpConvs ?? 2) : 1);

/** NHWC layer output shape (batch dropped) as C x H x W, or [n] for vectors. */
function chw(shape: tfl.Shape | tfl.Shape[]): number[] {
  const s = (Array.isArray(shape[0]) ? shape[0] : shape) as (number | null)[];
  const dims = s.slice(1) as number[];
  return dims.length === 3 ? [dims[2], dims[0], dims[1]] : dims;
}

let parser: PythonParser;
before(async () => {
  parser = await loadPythonParser(join(ROOT, 'out', 'wasm'));
  await tf.setBackend('cpu');
});

function specOf(file: string): NinSpec {
  const a = analysePython(parser, readFileSync(join(MODELS, file), 'utf8'));
  const m = a.models.find((x) => x.name === 'net');
  assert.ok(m, `${file}: the analyser finds net (${a.models.map((x) => x.name).join(', ')})`);
  const r = modToSpec('net', m.mod, m.input);
  assert.ok(r.ok, r.ok ? '' : `${file}: ${r.why}`);
  return r.spec;
}

describe('models built from code, without running it (tfjs against PyTorch)', () => {
  for (const name of ['lenet', 'alexnet', 'vgg11', 'nin', 'nin_one1x1']) {
    it(`${name}: every row's output shape and parameters equal PyTorch's, in the spec and in the tfjs model`, function () {
      this.timeout(120_000);
      const ref = torch.models[name];
      const spec = specOf(`${name}.py`);
      assert.deepEqual([...spec.input], ref.input);
      // Group PyTorch's leaves by the rows they make up.
      let at = 0;
      const want = spec.layers.map((l) => {
        const group = ref.leaves.slice(at, (at += leavesOf(l)));
        return [group.at(-1)?.output, group.reduce((s, g) => s + g.params, 0)];
      });
      assert.equal(at, ref.leaves.length, 'the rows cover every PyTorch layer');
      const { model, report, rowEnds } = buildNetwork(spec);
      try {
        assert.deepEqual(
          report.layers.map((l) => [[...l.output], l.params]),
          want,
          'shape inference',
        );
        const rowParams = (i: number): number => {
          const start = i === 0 ? 1 : model.layers.findIndex((l) => l.name === rowEnds[i - 1]) + 1;
          const stop = model.layers.findIndex((l) => l.name === rowEnds[i]);
          return model.layers.slice(start, stop + 1).reduce((s, l) => s + l.countParams(), 0);
        };
        assert.deepEqual(
          rowEnds.map((n, i) => [chw(model.getLayer(n).outputShape), rowParams(i)]),
          want,
          'the tfjs model',
        );
        assert.equal(model.countParams(), ref.params);
      } finally {
        model.dispose();
      }
    });
  }

  it("the article's blocks stay NiN blocks (two 1x1 convs), the variant's have one, VGG's blocks stay plain layers", () => {
    const kinds = (file: string) =>
      specOf(file).layers.map((l) => (l.kind === 'nin_block' ? `nin${l.mlpConvs}` : l.kind));
    assert.deepEqual(kinds('nin.py').slice(0, 3), ['nin2', 'maxpool', 'nin2']);
    assert.deepEqual(kinds('nin_one1x1.py').slice(0, 3), ['nin1', 'maxpool', 'nin1']);
    assert.deepEqual(kinds('vgg11.py').slice(0, 4), ['conv', 'activation', 'maxpool', 'conv']);
  });

  it('refuses what it cannot build with its reason: a custom forward, a layer tfjs lacks, a wrong class count', () => {
    const why = (source: string): string => {
      const a = analysePython(parser, `# input shape: 1 * 28 * 28\nimport torch\nfrom torch import nn\n${source}`);
      const m = a.models[0];
      assert.ok(m, source);
      const r = modToSpec(m.name, m.mod, m.input);
      assert.equal(r.ok, false, source);
      return r.ok ? '' : r.why;
    };
    assert.match(
      why(
        'class Net(nn.Module):\n    def __init__(self):\n        super().__init__()\n        self.fc = nn.Linear(784, 10)\n    def forward(self, x):\n        return self.fc(x.flatten(1))\n',
      ),
      /own forward\(\): train it through PyTorch/,
    );
    assert.match(
      why('net = nn.Sequential(nn.Conv2d(1, 10, 3, dilation=2), nn.AdaptiveAvgPool2d(1), nn.Flatten())'),
      /dilation is not 1/,
    );
    assert.match(
      why('net = nn.Sequential(nn.Conv2d(1, 10, 3), nn.LeakyReLU(), nn.AdaptiveAvgPool2d(1), nn.Flatten())'),
      /LeakyReLU has no TensorFlow\.js counterpart/,
    );
    assert.match(why('net = nn.Sequential(nn.Flatten(), nn.Linear(784, 3))'), /not 10 class scores/);
  });
});
