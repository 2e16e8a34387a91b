import * as assert from 'node:assert/strict';
import { mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { analysePython, type Analysis } from '../../src/pyshape/analyse';
import { blankIPython, cellLine, joinCells, parseIpynb, type CellText } from '../../src/pyshape/notebook';
import { loadPythonParser, type PythonParser } from '../../src/pyshape/parser';
import { eventsAt, lineHints } from '../../src/pyshape/report';
import { formatShape } from '../../src/pyshape/values';
import { fixture, ROOT, runCli } from './helpers';

interface NinPreset {
  input: number[];
  layers: { output: number[]; params: number }[];
  params: number;
}
const torchNin = fixture<{ torch: string; presets: Record<string, NinPreset[]> }>('pytorch-nin-shapes.json');
const NOTEBOOK = join(ROOT, 'test', 'fixtures', 'pyshape', 'nin_article.ipynb');

let parser: PythonParser;
before(async () => {
  parser = await loadPythonParser(join(ROOT, 'out', 'wasm'));
});

const code = (text: string): CellText => ({ code: true, text });
const markdown = (text: string): CellText => ({ code: false, text });
const analyseCells = (cells: readonly CellText[], opts = {}): { a: Analysis; j: ReturnType<typeof joinCells> } => {
  const j = joinCells(cells);
  return { a: analysePython(parser, j.source, { notebook: true, ...opts }), j };
};

const BLOCK = `import torch
from torch import nn

def blk(c_in, c_out):
    return nn.Sequential(nn.Conv2d(c_in, c_out, 3, padding=1), nn.ReLU())`;
const NET = `# input shape: 3 * 32 * 32
net = nn.Sequential(
    blk(3, 16),
    nn.MaxPool2d(2),
    blk(16, 32))`;

describe('pyshape notebooks: code cells as one program', () => {
  it('nin annotate on the article as two cells gives PyTorch shapes with cell indices and cell lines', () => {
    const r = runCli(['annotate', NOTEBOOK, '--json']);
    assert.equal(r.code, 0, r.stderr);
    const j = JSON.parse(r.stdout) as {
      annotations: { cell: number; line: number; call: string; output: number[]; params: number }[];
      diagnostics: unknown[];
      models: { name: string; cell: number; line: number }[];
    };
    const ref = torchNin.presets.seed[0];
    assert.deepEqual(j.diagnostics, []);
    assert.deepEqual(
      j.models.map((m) => [m.name, m.cell, m.line]),
      [['nin()', 1, 1]],
    );
    assert.deepEqual(
      j.annotations.map((x) => [x.cell, x.line, x.call]),
      [
        [1, 9, 'nin_block'],
        [1, 11, 'nn.MaxPool2d'],
        [1, 13, 'nin_block'],
        [1, 15, 'nn.MaxPool2d'],
        [1, 17, 'nin_block'],
        [1, 19, 'nn.MaxPool2d'],
        [1, 20, 'nn.Dropout'],
        [1, 22, 'nin_block'],
        [1, 24, 'nn.AdaptiveAvgPool2d'],
        [1, 26, 'nn.Flatten'],
      ],
    );
    assert.deepEqual(
      j.annotations.map((x) => [x.output, x.params]),
      ref.layers.map((l) => [l.output, l.params]),
    );
    const text = runCli(['annotate', NOTEBOOK]);
    assert.match(text.stdout, /nin\(\) \(cell 1 line 1\): input 1x224x224/);
    assert.match(text.stdout, /1:13\s+nin_block\s+96x26x26 -> 256x26x26\s+746,240/);
  });

  it('every cell counts in the index (markdown too); lines are the cell’s own', () => {
    const { a, j } = analyseCells([markdown('# Title\n\ntext'), code(BLOCK), markdown('more'), code(NET)]);
    assert.deepEqual(
      j.cells.map((c) => c.index),
      [1, 3],
    );
    assert.deepEqual(a.diagnostics, []);
    const blocks = a.events.filter((e) => e.depth === 0).map((e) => [cellLine(j, e.site.span), formatShape(e.output)]);
    assert.deepEqual(blocks, [
      [{ cell: 3, line: 3 }, '16x32x32'],
      [{ cell: 3, line: 4 }, '16x16x16'],
      [{ cell: 3, line: 5 }, '32x16x16'],
    ]);
    // The hints sit on the lines of the cell that holds the calls.
    const hintLines = lineHints(a).map((h) => cellLine(j, { start: j.cells[1].start, line: h.line }).line);
    assert.ok(hintLines.includes(3) && hintLines.includes(5), JSON.stringify(hintLines));
  });

  it('IPython lines are skipped, never a parse problem: %magic, !shell, x = !cmd, obj?, %%time, top-level await', () => {
    const cells = [
      code('%matplotlib inline\n!pip install torch\n' + BLOCK + '\nfiles = !ls\nblk?'),
      code('%%time\n' + NET + '\nawait asyncio.sleep(0)'),
      code('%%bash\nfor f in *; do echo $f; done\nnet = nonsense('),
    ];
    const { a, j } = analyseCells(cells);
    assert.equal(
      j.source.length,
      cells.reduce((n, c) => n + c.text.length + 1, -1),
      'same length: offsets kept',
    );
    const tree = parser.parse(j.source);
    try {
      assert.equal(tree.rootNode.hasError, false, j.source);
    } finally {
      tree.delete();
    }
    assert.deepEqual(a.diagnostics, []);
    assert.deepEqual(
      a.events.filter((e) => e.depth === 0).map((e) => formatShape(e.output)),
      ['16x32x32', '16x16x16', '32x16x16'],
    );
    assert.equal(blankIPython('x = !ls'), 'x = ...');
    assert.equal(blankIPython('  %time f()'), '  #time f()');
  });

  it('a name not defined in an earlier cell is unknown in the hover and not a diagnostic (a file still notes it)', () => {
    // The helper comes after its use: Run All fails there, so nothing may be assumed about it.
    const { a } = analyseCells([code(NET), code(BLOCK)]);
    assert.deepEqual(a.diagnostics, []);
    const at = NET.indexOf('blk(16, 32)');
    const ev = eventsAt(a, at);
    assert.ok(ev.length > 0);
    assert.equal(ev[0].output, null);
    assert.match(String(ev[0].problems[0]?.args.why), /blk is not defined in an earlier cell/);
    const file = analysePython(parser, NET);
    assert.ok(file.diagnostics.some((d) => /blk is not defined in this file/.test(String(d.args.why))));
  });

  it('an earlier cell redefining the helper changes the later cell’s shapes', () => {
    const wide = BLOCK.replace('nn.Conv2d(c_in, c_out, 3, padding=1)', 'nn.Conv2d(c_in, c_out * 2, 3, padding=1)');
    const { a } = analyseCells([code(BLOCK), code(wide.replace(/^import.*\n|^from.*\n/gm, '')), code(NET)]);
    assert.deepEqual(
      a.events.filter((e) => e.depth === 0).map((e) => formatShape(e.output)),
      ['32x32x32', '32x16x16', '64x16x16'],
    );
  });

  it('.ipynb reading: code cells of a Python notebook, sources as lists or strings; bad files name the problem', () => {
    const cells = parseIpynb(
      JSON.stringify({
        cells: [
          { cell_type: 'markdown', source: ['# t'] },
          { cell_type: 'code', source: ['a = 1\n', 'b = 2'] },
          { cell_type: 'raw', source: 'x' },
        ],
        metadata: { language_info: { name: 'python' } },
      }),
    );
    assert.deepEqual(cells, [markdown('# t'), code('a = 1\nb = 2'), { code: false, text: 'x' }]);
    const r = parseIpynb(
      JSON.stringify({ cells: [{ cell_type: 'code', source: 'x' }], metadata: { kernelspec: { language: 'R' } } }),
    );
    assert.deepEqual(r, [{ code: false, text: 'x' }]);
    assert.throws(() => parseIpynb('{', 'a.ipynb'), /a\.ipynb is not a notebook/);
    assert.throws(() => parseIpynb('{"nbformat": 4}', 'a.ipynb'), /a\.ipynb is not a notebook: it has no "cells" list/);
    const dir = mkdtempSync(join(tmpdir(), 'nin-nb-'));
    writeFileSync(join(dir, 'bad.ipynb'), '[1, 2');
    const cli = runCli(['annotate', join(dir, 'bad.ipynb')]);
    assert.equal(cli.code, 1);
    assert.match(cli.stderr, /bad\.ipynb is not a notebook/);
  });
});
