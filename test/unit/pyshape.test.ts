import * as assert from 'node:assert/strict';
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { analysePython, type Analysis } from '../../src/pyshape/analyse';
import { findInputShapeComments, parseShapeText } from '../../src/pyshape/inputShape';
import { loadPythonParser, type PythonParser } from '../../src/pyshape/parser';
import { annotations, diagnosticEnglish, eventsAt, lineHints } from '../../src/pyshape/report';
import { formatShape } from '../../src/pyshape/values';
import { fixture, ROOT, runCli } from './helpers';

interface TorchLayer {
  line: number;
  type: string;
  input: number[];
  output: number[];
  params: number;
}
interface TorchModel {
  input: number[];
  layers: TorchLayer[];
  params: number;
  output?: number[];
  error?: { line: number; message: string };
}
const torch = fixture<{ torch: string; models: Record<string, TorchModel> }>('pyshape-torch.json');
const source = (name: string): string => readFileSync(join(ROOT, 'test', 'fixtures', 'pyshape', name), 'utf8');

let parser: PythonParser;
before(async () => {
  parser = await loadPythonParser(join(ROOT, 'out', 'wasm'));
});
const analyse = (text: string, opts = {}): Analysis => analysePython(parser, text, opts);

describe('pyshape: models measured with PyTorch', () => {
  for (const [name, ref] of Object.entries(torch.models).filter(([, m]) => !m.error)) {
    it(`${name}: every layer's line, output and parameters match PyTorch ${torch.torch}`, () => {
      const a = analyse(source(name));
      assert.equal(a.models.length, 1, `models found: ${a.models.map((m) => m.name).join(', ')}`);
      const m = a.models[0];
      assert.deepEqual(m.input, ref.input);
      // PyTorch hooks see modules; functional ops in forward() are our extra annotations.
      const ours = a.events
        .filter((e) => e.depth === 0 && e.kind !== 'op')
        .map((e) => ({ line: e.site.span.line + 1, output: e.output, params: e.params }));
      assert.deepEqual(
        ours,
        ref.layers.map((l) => ({ line: l.line, output: l.output, params: l.params })),
      );
      assert.deepEqual(m.output, ref.output);
      assert.equal(m.params, ref.params);
      assert.deepEqual(
        a.diagnostics.filter((d) => d.severity !== 'info'),
        [],
      );
    });
  }

  it("the article's nin(): the ten layers give the shapes of the article", () => {
    const a = analyse(source('article_nin.py'));
    const rows = annotations(a).map((r) => formatShape(r.output));
    assert.deepEqual(rows, [
      '96x54x54',
      '96x26x26',
      '256x26x26',
      '256x12x12',
      '384x12x12',
      '384x5x5',
      '384x5x5',
      '10x5x5',
      '10x1x1',
      '10',
    ]);
    assert.deepEqual(
      annotations(a)
        .filter((r) => r.call === 'nin_block')
        .map((r) => r.params),
      [30336, 746240, 1180800, 34790],
    );
  });
});

describe('pyshape: broken models', () => {
  const cases: [string, RegExp][] = [
    ['broken_channels.py', /Conv2d expects 95 input channels but gets 96.*in nn\.Conv2d at line 3/],
    [
      'broken_linear.py',
      /Linear expects 256 input features but the flattened input has 400: use nn\.Linear\(400, 120\)/,
    ],
    ['broken_collapse.py', /MaxPool2d: height window 3 is larger than its padded input 2/],
    [
      'broken_class.py',
      /Linear expects 576 input features but the flattened input has 400: use nn\.Linear\(400, 120\)/,
    ],
  ];
  for (const [name, message] of cases) {
    it(`${name}: an error on the line where PyTorch fails`, () => {
      const ref = torch.models[name];
      assert.ok(ref.error, 'PyTorch raised');
      const errors = analyse(source(name)).diagnostics.filter((d) => d.severity === 'error');
      assert.equal(errors.length, 1, errors.map(diagnosticEnglish).join('\n'));
      assert.equal(errors[0].span.line + 1, ref.error.line);
      assert.match(diagnosticEnglish(errors[0]), message);
    });
  }

  it('layers before the failure keep the shapes PyTorch measured', () => {
    for (const name of ['broken_channels.py', 'broken_linear.py', 'broken_collapse.py']) {
      const ours = annotations(analyse(source(name)));
      for (const [i, l] of torch.models[name].layers.entries())
        assert.deepEqual(ours[i].output, l.output, `${name} layer ${i}`);
    }
  });
});

describe('pyshape: input shape', () => {
  it('parses the comment forms and drops a batch size', () => {
    assert.deepEqual(parseShapeText('1 * 224 * 224'), [1, 224, 224]);
    assert.deepEqual(parseShapeText('1x224x224'), [1, 224, 224]);
    assert.deepEqual(parseShapeText('(1, 224, 224)'), [1, 224, 224]);
    assert.deepEqual(parseShapeText('[8, 3, 32, 32]'), [3, 32, 32]);
    assert.deepEqual(parseShapeText('4 x 100 (sequence)'), [4, 100]);
    assert.throws(() => parseShapeText('1,0,3'), /positive integers/);
    assert.throws(() => parseShapeText('abc'), /"abc"/);
    const c = findInputShapeComments('x = 1\n# Input shape: 3x32x32\ny = 2  # input_shape = (1, 28, 28)\n');
    assert.deepEqual(
      c.map((x) => [x.line, x.shape]),
      [
        [1, [3, 32, 32]],
        [2, [1, 28, 28]],
      ],
    );
  });

  it('a comment wins over the override; the override over the setting', () => {
    const withComment = analyse(source('lenet.py'), { input: [1, 32, 32], inputSource: 'override' });
    assert.deepEqual(withComment.models[0].input, [1, 28, 28]);
    const noComment = source('lenet.py').replace('# input shape: 1x28x28', '');
    const over = analyse(noComment, { input: [1, 32, 32], inputSource: 'override' });
    assert.equal(over.models[0].inputFrom, 'override');
    assert.equal(formatShape(annotations(over)[0].output), '6x32x32');
    // An override that contradicts the first layer is reported, not adapted.
    const wrong = analyse(noComment, { input: [3, 28, 28], inputSource: 'override' });
    assert.match(diagnosticEnglish(wrong.diagnostics[0]), /expects 1 input channels but gets 3/);
  });

  it('the setting takes its channel count from the first layer', () => {
    const rgb = 'from torch import nn\nnet = nn.Sequential(nn.Conv2d(3, 8, 3), nn.ReLU())\n';
    const a = analyse(rgb, { input: [1, 64, 64], inputSource: 'setting' });
    assert.deepEqual(a.models[0].input, [3, 64, 64]);
    assert.equal(a.models[0].inputFrom, 'first-layer');
    assert.deepEqual(a.diagnostics, []);
    const mlp = analyse('import torch.nn as nn\nnet = nn.Sequential(nn.Linear(784, 10))\n');
    assert.deepEqual(mlp.models[0].input, [784]);
  });
});

describe('pyshape: evaluation', () => {
  it('binds positional, keyword and default arguments as Python does', () => {
    const src = [
      'import torch.nn as nn',
      'def block(c_in, c_out, *extra, k=3, pool=True, **kw):',
      '    layers = [nn.Conv2d(c_in, c_out, k, **kw)]',
      '    if pool:',
      '        layers += [nn.MaxPool2d(2)]',
      '    return nn.Sequential(*layers)',
      '# input shape: 2x20x20',
      'net = nn.Sequential(block(2, 4, padding=1), block(4, 8, None, k=5, pool=False), block(c_out=3, c_in=8))',
    ].join('\n');
    const rows = annotations(analyse(src));
    assert.deepEqual(
      rows.map((r) => formatShape(r.output)),
      ['4x10x10', '8x6x6', '3x2x2'],
    );
    assert.deepEqual(
      rows.map((r) => r.params),
      [2 * 4 * 9 + 4, 4 * 8 * 25 + 8, 8 * 3 * 9 + 3],
    );
  });

  it('reports a call with missing arguments on its line and carries on', () => {
    const src =
      'from torch import nn\ndef b(i, o, k):\n    return nn.Conv2d(i, o, k)\n# input shape: 1x8x8\nnet = nn.Sequential(b(1, 2), nn.Flatten(), nn.Linear(10, 2))\n';
    const a = analyse(src);
    const d = a.diagnostics.find((x) => x.id === 'callError');
    assert.ok(d);
    assert.equal(d.span.line, 4);
    assert.match(diagnosticEnglish(d), /b\(\): missing 1 required positional argument: 'k'/);
    assert.deepEqual(annotations(a).at(-1)?.output, [2]);
  });

  it('says what it cannot resolve, and later layers recover what they can', () => {
    const src =
      'from torch import nn\nfrom mylib import Fancy\n# input shape: 3x32x32\nnet = nn.Sequential(Fancy(3), nn.Conv2d(16, 8, 3), nn.AdaptiveAvgPool2d(1), nn.Flatten(), nn.Linear(8, 2))\n';
    const a = analyse(src);
    const info = a.diagnostics.find((d) => d.id === 'unresolved');
    assert.ok(info);
    assert.match(diagnosticEnglish(info), /cannot infer shapes through Fancy/);
    assert.deepEqual(
      annotations(a).map((r) => formatShape(r.output)),
      ['?', '8x?x?', '8x1x1', '8', '2'],
    );
  });

  it('hover events: a helper call, and a helper body run four times', () => {
    const text = source('article_nin.py');
    const a = analyse(text);
    const at = text.indexOf('nin_block(96, 256');
    const evs = eventsAt(a, at + 3);
    assert.equal(evs.length, 1);
    assert.equal(formatShape(evs[0].output), '256x26x26');
    assert.equal(evs[0].params, 746240);
    const conv = eventsAt(a, text.indexOf('nn.Conv2d(in_channels') + 4);
    assert.deepEqual(
      conv.map((e) => formatShape(e.output)),
      ['96x54x54', '256x26x26', '384x12x12', '10x5x5'],
    );
    assert.deepEqual(conv[0].formula, ['floor((224 + 2*0 - 11) / 4) + 1 = 54']);
  });

  it('inlay hints: one per line, the last outermost call', () => {
    const a = analyse(source('article_nin.py'));
    const byLine = new Map(lineHints(a).map((h) => [h.line + 1, h.label]));
    assert.equal(byLine.get(17), '-> 96x54x54');
    assert.equal(byLine.get(34), '-> 10');
    assert.equal(byLine.get(3), '-> 96x54x54 | 256x26x26 | 384x12x12 | …');
  });
});

describe('pyshape: bounded work on pathological input', () => {
  it('deep nesting, endless loops, recursion and huge ranges neither hang nor overflow', () => {
    const cases = [
      'x = ' + '('.repeat(20000) + '1' + ')'.repeat(20000),
      'net = ' + 'nn.Sequential('.repeat(3000) + 'nn.ReLU()' + ')'.repeat(3000),
      'while True:\n    pass\n',
      'def f(n=1):\n    return f(n + 1)\nnet = f()\n',
      'from torch import nn\nlayers = []\nfor i in range(10**9):\n    layers.append(nn.ReLU())\nnet = nn.Sequential(*layers)\n',
      'def g(a=[]):\n    for i in range(5000):\n        for j in range(5000):\n            a.append(i)\n    return a\n',
    ];
    for (const c of cases) {
      const t0 = performance.now();
      const a = analyse(c);
      assert.ok(a.steps <= 200_000 + 1);
      assert.ok(performance.now() - t0 < 20_000);
    }
  });
});

describe('nin annotate (CLI)', () => {
  it('--json prints one object with the article annotations', () => {
    const r = runCli(['annotate', join(ROOT, 'test', 'fixtures', 'pyshape', 'article_nin.py'), '--json']);
    assert.equal(r.code, 0, r.stderr);
    const lines = r.stdout.trim().split('\n');
    assert.equal(lines.length, 1);
    const j = JSON.parse(lines[0]) as {
      input: number[];
      annotations: { line: number; call: string; input: number[]; output: number[]; params: number }[];
      diagnostics: unknown[];
    };
    assert.deepEqual(j.input, [1, 224, 224]);
    assert.deepEqual(j.diagnostics, []);
    assert.deepEqual(j.annotations[0], {
      line: 17,
      call: 'nin_block',
      input: [1, 224, 224],
      output: [96, 54, 54],
      params: 30336,
    });
    assert.deepEqual(
      j.annotations.map((x) => x.line),
      [17, 19, 21, 23, 25, 27, 28, 30, 32, 34],
    );
  });

  it('a broken model exits 1 with the diagnostic and its line; --input overrides', () => {
    const r = runCli(['annotate', join(ROOT, 'test', 'fixtures', 'pyshape', 'broken_linear.py'), '--json']);
    assert.equal(r.code, 1);
    const j = JSON.parse(r.stdout) as { diagnostics: { line: number; severity: string; message: string }[] };
    assert.deepEqual(
      j.diagnostics.map((d) => [d.line, d.severity]),
      [[12, 'error']],
    );
    const t = runCli(['annotate', join(ROOT, 'test', 'fixtures', 'pyshape', 'alexnet.py'), '--input', '1x223x223']);
    assert.equal(t.code, 0, t.stderr);
    assert.match(t.stdout, /nn\.Conv2d\s+1x223x223 -> 96x54x54/);
  });

  it('bad arguments: usage errors with exit 2, unreadable files exit 1', () => {
    assert.equal(runCli(['annotate']).code, 2);
    assert.equal(runCli(['annotate', 'x.py', '--input', '0,1']).code, 2);
    const r = runCli(['annotate', '/nonexistent/x.py']);
    assert.equal(r.code, 1);
    assert.match(r.stderr, /cannot read \/nonexistent\/x\.py: ENOENT/);
  });
});
