// Fast answers: a focused analysis (only the models that can show something at a position)
// gives exactly the hovers of the whole-file analysis, and incremental reparsing after edits
// gives exactly the analysis of a fresh parse.
import * as assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import { mkdtempSync, readdirSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { analysePython, analyseTree, type Analysis } from '../../src/pyshape/analyse';
import { DocumentTrees, type TextChange } from '../../src/pyshape/documents';
import { loadPythonParser, type PythonParser } from '../../src/pyshape/parser';
import { eventsAt, lineHints } from '../../src/pyshape/report';
import { generateLongFile } from '../fixtures/pyshape/generate';
import { ROOT } from './helpers';

const FIXTURES = join(ROOT, 'test', 'fixtures', 'pyshape');

let parser: PythonParser;
before(async () => {
  parser = await loadPythonParser(join(ROOT, 'out', 'wasm'));
});

/** What a hover shows at an offset, without the model index (which differs between the two). */
function hoverAt(a: Analysis, offset: number): string {
  return JSON.stringify(
    eventsAt(a, offset).map((e) => [e.site, e.use, e.input, e.output, e.params, e.formula, e.problems, e.args]),
  );
}

function focused(text: string, offset: number): Analysis {
  return analysePython(parser, text, { focus: { start: offset, end: offset + 1 } });
}

describe('pyshape: focused analysis answers a hover like the whole file does', () => {
  const files = readdirSync(FIXTURES).filter((f) => f.endsWith('.py'));
  for (const f of files) {
    it(`${f}: every layer and call site`, () => {
      const text = readFileSync(join(FIXTURES, f), 'utf8');
      const full = analysePython(parser, text);
      assert.ok(full.events.length > 0);
      const offsets = new Set(full.events.flatMap((e) => [e.site.span.start + 1, ...(e.use ? [e.use.start] : [])]));
      for (const off of offsets) {
        const line = text.slice(0, off).split('\n').length;
        assert.equal(hoverAt(focused(text, off), off), hoverAt(full, off), `${f} line ${line}`);
      }
      // Errors on the focused model's lines are reported too.
      for (const d of full.diagnostics.filter((x) => x.severity === 'error')) {
        const mine = focused(text, d.span.start).diagnostics.filter((x) => x.severity === 'error');
        assert.deepEqual(mine, [d]);
      }
    });
  }

  it('inlay hints for a range of lines (the visible ones) match the whole file, on every fixture', () => {
    for (const f of files) {
      const text = readFileSync(join(FIXTURES, f), 'utf8');
      const lineStarts = [0, ...[...text.matchAll(/\n/g)].map((m) => m.index + 1)];
      const full = lineHints(analysePython(parser, text));
      for (let first = 0; first < lineStarts.length; first += 7) {
        const last = Math.min(first + 10, lineStarts.length - 1);
        const a = analysePython(parser, text, { focus: { start: lineStarts[first], end: lineStarts[last] } });
        const inRange = (h: { line: number }): boolean => h.line >= first && h.line < last;
        assert.deepEqual(lineHints(a).filter(inRange), full.filter(inRange), `${f} lines ${first + 1}-${last}`);
      }
    }
  });

  it('on a 2,000-line file: one model is run (the one hovered, or the one using the hovered helper)', () => {
    const text = generateLongFile(2000);
    const full = analysePython(parser, text);
    const call = text.indexOf('nin_block_17(96, 256');
    const a = focused(text, call + 2);
    assert.deepEqual(
      a.models.map((m) => m.name),
      ['nin_17()'],
    );
    assert.equal(hoverAt(a, call + 2), hoverAt(full, call + 2));
    assert.match(hoverAt(a, call + 2), /\[256,26,26\]/);
    const inHelper = text.indexOf('nn.Conv2d(in_channels', text.indexOf('def nin_block_30(')) + 3;
    const b = focused(text, inHelper);
    assert.deepEqual(
      b.models.map((m) => m.name),
      ['nin_30()'],
    );
    assert.equal(hoverAt(b, inHelper), hoverAt(full, inHelper));
    const cls = text.indexOf('self.fc = nn.Linear', text.indexOf('class Net5(')) + 12;
    assert.equal(hoverAt(focused(text, cls), cls), hoverAt(full, cls));
    // Training code: nothing to show, and nothing run.
    const train = text.indexOf('optimizer.step()', text.indexOf('def train_9('));
    const c = focused(text, train);
    assert.deepEqual(c.models, []);
    assert.ok(c.steps < full.steps / 20, `${c.steps} steps vs ${full.steps}`);
  });

  it('a helper every model uses: with maxCallers, a few of its runs and `partial`; exact without', () => {
    const text = generateLongFile(2000).replace(/(?<!def )nin_block_\d+\(/g, 'nin_block_0(');
    const at = text.indexOf('nn.Conv2d(in_channels') + 3;
    const full = analysePython(parser, text);
    const all = eventsAt(full, at);
    assert.equal(all.length, 4 * full.models.filter((m) => m.name.startsWith('nin_')).length);
    const capped = analysePython(parser, text, { focus: { start: at, end: at + 1 }, maxCallers: 8 });
    assert.deepEqual(capped.partial, { models: 8 });
    const runs = eventsAt(capped, at);
    assert.equal(runs.length, 32);
    const shapes = (es: typeof runs): string[] => es.map((e) => JSON.stringify([e.input, e.output, e.params]));
    for (const r of shapes(runs)) assert.ok(shapes(all).includes(r), r);
    assert.equal(analysePython(parser, text, { focus: { start: at, end: at + 1 } }).partial, undefined);
    // A model's own lines: it is in the range, never left out; nothing else is needed.
    const own = text.indexOf('nin_block_0(96, 256', text.indexOf('def nin_7(')) + 3;
    const a = analysePython(parser, text, { focus: { start: own, end: own + 1 }, maxCallers: 0 });
    assert.equal(a.partial, undefined);
    assert.equal(hoverAt(a, own), hoverAt(full, own));
  });

  it('a global model built from helpers and a loop elsewhere in the file', () => {
    const text = [
      'from torch import nn',
      'def block(c_in, c_out):',
      '    return nn.Sequential(nn.Conv2d(c_in, c_out, 3, padding=1), nn.ReLU())',
      'def unused():',
      '    return nn.Linear(3, 4)',
      'layers = []',
      'for c in [8, 16]:',
      '    layers.append(block(3 if c == 8 else 8, c))',
      '# input shape: 3x32x32',
      'net = nn.Sequential(*layers, nn.MaxPool2d(2))',
      '',
    ].join('\n');
    const full = analysePython(parser, text);
    for (const needle of ['nn.Conv2d(c_in', 'nn.MaxPool2d', 'block(3 if']) {
      const off = text.indexOf(needle) + 1;
      assert.notEqual(hoverAt(full, off), '[]', needle);
      assert.equal(hoverAt(focused(text, off), off), hoverAt(full, off), needle);
    }
  });
});

/** Apply a change to a text, returning the change as an editor reports it. */
function change(text: string, offset: number, length: number, insert: string): [string, TextChange] {
  const pos = (o: number): { line: number; character: number } => {
    const before = text.slice(0, o).split('\n');
    return { line: before.length - 1, character: before[before.length - 1].length };
  };
  return [
    text.slice(0, offset) + insert + text.slice(offset + length),
    {
      range: { start: pos(offset), end: pos(offset + length) },
      rangeOffset: offset,
      rangeLength: length,
      text: insert,
    },
  ];
}

describe('pyshape: incremental reparsing after edits', () => {
  for (const eol of ['\n', '\r\n']) {
    it(`gives the analysis of a fresh parse after each of many edits (also beyond ASCII; ${JSON.stringify(eol)} line ends)`, () => {
      const trees = new DocumentTrees(parser);
      let text = (readFileSync(join(FIXTURES, 'article_nin.py'), 'utf8') + '\n# 中文 😀 é\n').replace(/\n/g, eol);
      let version = 1;
      trees.tree('doc', version, text);
      // A fixed pseudo-random sequence: typing, deleting, new lines, brackets, non-ASCII.
      let seed = 7;
      const rand = (n: number): number => ((seed = (seed * 1103515245 + 12345) % 2 ** 31), seed % n);
      const inserts = ['x', eol, '😀', '(', ')', `nn.ReLU(),${eol}    `, '', '中', '  '];
      for (let i = 0; i < 60; i++) {
        let off = rand(text.length);
        if (text[off - 1] === '\r') off--; // editors never split a line end
        let len = rand(4);
        if (text[off + len - 1] === '\r') len++;
        const [next, c] = change(text, off, len, inserts[i % inserts.length]);
        text = next;
        trees.edit('doc', ++version, [c]);
        const tree = trees.tree('doc', version, text);
        assert.equal(
          JSON.stringify(analyseTree(tree, text)),
          JSON.stringify(analysePython(parser, text)),
          `edit ${i} at ${off}`,
        );
      }
      assert.deepEqual(trees.stats, { full: 1, incremental: 60 });
    });
  }

  it('several changes in one event, a missed version and a wrong edit fall back safely', () => {
    const trees = new DocumentTrees(parser);
    const text = readFileSync(join(FIXTURES, 'lenet.py'), 'utf8');
    trees.tree('d', 1, text);
    // Two replacements reported against the text before the event (multi-cursor).
    const a = text.indexOf('nn.Conv2d(1, 6');
    const b = text.indexOf('nn.Conv2d(6, 16');
    const [t1, c1] = change(text, a + 10, 1, '2');
    const [t2, c2] = change(t1, b + 10, 1, '7');
    const c2old = { ...c2, rangeOffset: b + 10 }; // b is after a and the lengths match: same offsets
    trees.edit('d', 2, [c1, c2old]);
    assert.equal(JSON.stringify(analyseTree(trees.tree('d', 2, t2), t2)), JSON.stringify(analysePython(parser, t2)));
    // A skipped version: the tree is dropped and parsed afresh.
    trees.edit('d', 4, [change(t2, 0, 0, '\n')[1]]);
    const t4 = '\n' + t2;
    assert.equal(JSON.stringify(analyseTree(trees.tree('d', 4, t4), t4)), JSON.stringify(analysePython(parser, t4)));
    // An edit that does not match the text (the document changed under us): the kept tree's
    // length gives it away and a full parse follows.
    trees.edit('d', 5, [change(t4, 0, 0, 'xx')[1]]);
    const t5 = t4 + '\n';
    assert.equal(JSON.stringify(analyseTree(trees.tree('d', 5, t5), t5)), JSON.stringify(analysePython(parser, t5)));
    assert.equal(trees.stats.full, 3);
    trees.forget();
  });
});

describe('pyshape: pathological input stays bounded (times printed)', () => {
  const deepIf = (n: number): string =>
    Array.from({ length: n }, (_, i) => `${' '.repeat(i)}if True:`).join('\n') + `\n${' '.repeat(n)}net = 1\n`;
  const deepDef = (n: number): string =>
    Array.from({ length: n }, (_, i) => `${' '.repeat(i)}def f${i}(x=1):`).join('\n') + `\n${' '.repeat(n)}return x\n`;
  const cases: [string, string][] = [
    ['10k nested parentheses', 'x = ' + '('.repeat(10_000) + '1' + ')'.repeat(10_000)],
    [
      '10k nested brackets in a model',
      'from torch import nn\nnet = nn.Sequential(*' + '['.repeat(10_000) + ']'.repeat(10_000) + ')',
    ],
    ['10k unclosed parentheses', 'net = nn.Sequential(' + '('.repeat(10_000)],
    ['3k nested nn.Sequential', 'net = ' + 'nn.Sequential('.repeat(3000) + 'nn.ReLU()' + ')'.repeat(3000)],
    ['500 nested if blocks', deepIf(500)],
    ['300 nested defs', deepDef(300)],
    ['a 20k-term sum', 'n = ' + Array(20_000).fill('1').join(' + ') + '\nnet = nn.Linear(n, 2)\n'],
    ['a 2k-item list of layers', 'net = nn.Sequential(' + Array(2_000).fill('nn.ReLU()').join(', ') + ')\n'],
    [
      'nested huge loops',
      'layers = []\nfor i in range(10**6):\n    for j in range(10**6):\n        layers.append(nn.ReLU())\nnet = nn.Sequential(*layers)\n',
    ],
    ['mutual recursion', 'def a(n):\n    return b(n)\ndef b(n):\n    return a(n)\nnet = nn.Sequential(a(1))\n'],
    ['while True', 'while True:\n    x = [1] * 10000\n'],
    // Nesting inside recursion: each factor is bounded, the product must be too (stack).
    [
      '115-deep lists inside 40-deep recursion',
      `def f(n):\n    return ${'['.repeat(115)}f(n)${']'.repeat(115)}\nnet = f(1)\n`,
    ],
    [
      '58-deep calls of a 115-deep helper inside recursion',
      `def f(n):\n    return ${'g('.repeat(58)}f(n)${')'.repeat(58)}\ndef g(x):\n    return ${'['.repeat(115)}x${']'.repeat(115)}\nnet = f(1)\n`,
    ],
    [
      '45 helpers each nesting 50 nn.Sequential',
      Array.from(
        { length: 45 },
        (_, i) =>
          `def h${i}():\n    return ${'nn.Sequential('.repeat(50)}${i < 44 ? `h${i + 1}()` : 'nn.ReLU()'}${')'.repeat(50)}\n`,
      ).join('') + 'net = h0()\n',
    ],
    [
      'a forward() that calls itself through 50 nested layers',
      `class M(nn.Module):\n    def __init__(self):\n        super().__init__()\n        self.l = nn.Linear(4, 4)\n    def forward(self, x):\n        return self.forward(${'self.l('.repeat(50)}x${')'.repeat(50)})\n# input shape: 4\nnet = M()\n`,
    ],
    ['a list doubling 60 times', 'x = [nn.ReLU()]\nfor i in range(60):\n    x = x + x\nnet = nn.Sequential(*x)\n'],
    ['a string squaring itself', "s = 'ab'\nwhile True:\n    s = s * len(s)\n"],
    [
      'a lambda-free class that builds itself',
      'class M(nn.Module):\n    def __init__(self):\n        super().__init__()\n        self.m = M()\n',
    ],
  ];
  for (const [name, text] of cases) {
    it(name, () => {
      const times: string[] = [];
      for (const focus of [undefined, { start: Math.floor(text.length / 2), end: Math.floor(text.length / 2) + 1 }]) {
        const t0 = performance.now();
        const a = analysePython(parser, text, { focus });
        // Everything a hover or the inlay hints would compute on it.
        eventsAt(a, Math.floor(text.length / 2));
        lineHints(a);
        const ms = performance.now() - t0;
        times.push(`${focus ? 'focused' : 'whole'} ${ms.toFixed(1)} ms, ${a.steps} steps`);
        assert.ok(a.steps <= 200_001, `${a.steps} steps`);
        assert.ok(a.events.length <= 50_000);
        assert.ok(ms < 20_000, `${ms} ms`);
      }
      console.log(`      ${name} (${text.length} chars): ${times.join('; ')}`);
    });
  }

  it('with half the default stack, the deepest cases still finish (nin annotate, node --stack-size=450)', () => {
    const dir = mkdtempSync(join(tmpdir(), 'pyshape-'));
    try {
      for (const [name, text] of cases.filter(([n]) => /58-deep calls|45 helpers/.test(n))) {
        const file = join(dir, 'deep.py');
        writeFileSync(file, text);
        const r = spawnSync(
          process.execPath,
          ['--stack-size=450', join(ROOT, 'out', 'cli.js'), 'annotate', file, '--json'],
          {
            encoding: 'utf8',
            timeout: 60_000,
          },
        );
        assert.ok(r.status === 0 || r.status === 1, `${name}: exit ${r.status}\n${r.stderr.slice(0, 500)}`);
        assert.ok(Array.isArray((JSON.parse(r.stdout) as { annotations: unknown[] }).annotations), name);
      }
    } finally {
      rmSync(dir, { recursive: true, force: true });
    }
  });
});
