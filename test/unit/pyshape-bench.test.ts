// Speed of the shape analyser on a generated 2,000-line file: printed with the machine's load,
// not asserted beyond a generous sanity bound (timing depends on the machine; the budget is
// 50 ms per answer). What the editor does: a hover is answered by a focused analysis on an
// incrementally reparsed tree; the whole file is analysed (debounced) for diagnostics.
import * as assert from 'node:assert/strict';
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { cpus, loadavg } from 'node:os';
import { analysePython, analyseSteps, analyseTree } from '../../src/pyshape/analyse';
import { AnalysisCache } from '../../src/pyshape/cache';
import { DocumentTrees, type TextChange } from '../../src/pyshape/documents';
import { joinCells, placeOf, type CellText, type JoinedCells } from '../../src/pyshape/notebook';
import type { ShapeEvent } from '../../src/pyshape/forward';
import { loadPythonParser, type SyntaxTree } from '../../src/pyshape/parser';
import { eventsAt } from '../../src/pyshape/report';
import { warmUp } from '../../src/pyshape/warmup';
import { generateLongFile, generateMostlyOtherCode } from '../fixtures/pyshape/generate';
import { ROOT } from './helpers';

const median = (xs: readonly number[]): number => [...xs].sort((a, b) => a - b)[Math.floor(xs.length / 2)];
const spread = (xs: readonly number[]): string => {
  const s = [...xs].sort((a, b) => a - b);
  return `median ${median(s).toFixed(1)} ms (min ${s[0].toFixed(1)}, max ${s.at(-1)!.toFixed(1)}, n=${s.length})`;
};
const cpuMs = (u: NodeJS.CpuUsage): number => (u.user + u.system) / 1000;
const time = (f: () => void): number => {
  const s = performance.now();
  f();
  return performance.now() - s;
};

describe('pyshape: speed on a 2,000-line file (printed)', () => {
  it('hover answers (focused, incremental) and whole-file analyses, cold and warm', async () => {
    const conditions = `load average ${loadavg()
      .map((x) => x.toFixed(2))
      .join(' ')} on ${cpus().length} CPUs, node ${process.version}`;
    const t0 = performance.now();
    const parser = await loadPythonParser(join(ROOT, 'out', 'wasm'));
    const load = performance.now() - t0;
    const text = generateLongFile(2000);
    const lineCount = text.split('\n').length;
    const trees = new DocumentTrees(parser);
    const hoverAt = text.indexOf('nin_block_20(96, 256') + 2;
    const focus = { start: hoverAt, end: hoverAt + 1 };

    // Cold: the first analyser call in this bundle (nothing compiled yet), as a hover on a
    // freshly opened document: full parse + focused analysis.
    let hovered: readonly ShapeEvent[] = [];
    const coldHover = time(() => {
      hovered = eventsAt(analyseTree(trees.tree('doc', 1, text), text, { focus }), hoverAt);
    });
    const warmUpMs = warmUp(parser);
    // A document opened after the warm-up (as in the editor): its first hover parses it whole.
    const other = generateLongFile(2000).replace(/nin_/g, 'nim_');
    const otherAt = other.indexOf('nin_block_20(96, 256'.replace('nin_', 'nim_')) + 2;
    const firstHover = time(() => {
      const a = analyseTree(trees.tree('other', 1, other), other, { focus: { start: otherAt, end: otherAt + 1 } });
      assert.equal(eventsAt(a, otherAt).length, 1);
    });
    trees.forget('other');
    let models = 0;
    const coldFull = time(() => (models = analyseTree(trees.tree('doc', 1, text), text).models.length));

    // A hover after each edit: the user types in the hovered model, the tree is edited,
    // reparsed incrementally and the focused analysis answers.
    let cur = text;
    let version = 1;
    const afterEdit: number[] = [];
    const reparse: number[] = [];
    // CPU time as well as wall time: on a shared machine the wall clock mostly measures the queue.
    const cpu0 = process.cpuUsage();
    for (let i = 0; i < 20; i++) {
      const at = cur.indexOf('kernel_size=5, strides=1', cur.indexOf('def nin_20(')) + 12;
      const [next, change] = replaceChar(cur, at, i % 2 ? '5' : '3');
      cur = next;
      trees.edit('doc', ++version, [change]);
      afterEdit.push(
        time(() => {
          let tree!: SyntaxTree;
          reparse.push(time(() => (tree = trees.tree('doc', version, cur))));
          eventsAt(analyseTree(tree, cur, { focus }), hoverAt);
        }),
      );
    }
    const cpuAfterEdit = cpuMs(process.cpuUsage(cpu0)) / 20;
    const focusedWarm: number[] = [];
    for (let i = 0; i < 20; i++)
      focusedWarm.push(time(() => analyseTree(trees.tree('doc', version, cur), cur, { focus })));
    // The worst case for a hover: a helper every model uses (the hover counts all its runs).
    const shared = text.replace(/(?<!def )nin_block_\d+\(/g, 'nin_block_0(');
    const sharedAt = shared.indexOf('nn.Conv2d(in_channels') + 3;
    const sharedTree = parser.parse(shared);
    const sharedHover: number[] = [];
    const sharedCapped: number[] = [];
    let sharedRuns = 0;
    let cappedRuns = 0;
    for (let i = 0; i < 3; i++) {
      sharedHover.push(
        time(() => {
          const a = analyseTree(sharedTree, shared, { focus: { start: sharedAt, end: sharedAt + 1 } });
          sharedRuns = eventsAt(a, sharedAt).length;
        }),
      );
      sharedCapped.push(
        time(() => {
          const a = analyseTree(sharedTree, shared, { focus: { start: sharedAt, end: sharedAt + 1 }, maxCallers: 8 });
          cappedRuns = eventsAt(a, sharedAt).length;
        }),
      );
    }
    sharedTree.delete();
    const fullWarm: number[] = [];
    const cpu1 = process.cpuUsage();
    for (let i = 0; i < 5; i++) fullWarm.push(time(() => analysePython(parser, text)));
    const cpuFull = cpuMs(process.cpuUsage(cpu1)) / 5;
    // Sliced (as the editor runs it for diagnostics): how long each stretch between pauses is.
    const slices: number[] = [];
    const firstSlice: number[] = [];
    for (let i = 0; i < 3; i++) {
      const tree = parser.parse(text);
      const steps = analyseSteps(tree, text);
      for (let s = performance.now(), first = true; ; s = performance.now(), first = false) {
        const r = steps.next();
        (first ? firstSlice : slices).push(performance.now() - s);
        if (r.done) break;
      }
      tree.delete();
    }
    const p95 = [...slices].sort((a, b) => a - b)[Math.floor(slices.length * 0.95)];
    const parse: number[] = [];
    for (let i = 0; i < 5; i++) parse.push(time(() => parser.parse(text).delete()));
    const cache = new AnalysisCache();
    cache.get('doc', 1, '', () => analysePython(parser, text));
    const cached =
      time(() => {
        for (let i = 0; i < 1000; i++) cache.get('doc', 1, '', () => analysePython(parser, text));
      }) / 1000;
    const article = readFileSync(join(ROOT, 'test', 'fixtures', 'pyshape', 'article_nin.py'), 'utf8');
    const small: number[] = [];
    for (let i = 0; i < 10; i++) small.push(time(() => analysePython(parser, article)));
    const realistic = generateMostlyOtherCode(2000, article);
    const real: number[] = [];
    for (let i = 0; i < 5; i++) real.push(time(() => analysePython(parser, realistic)));
    const lines = [
      `conditions: ${conditions}`,
      `parser load ${load.toFixed(1)} ms; warm-up sample ${warmUpMs.toFixed(1)} ms`,
      `${lineCount} lines, ${models} models:`,
      `  hover, cold (first call, full parse + focused analysis): ${coldHover.toFixed(1)} ms`,
      `  hover on a newly opened document after the warm-up (full parse + focused analysis): ${firstHover.toFixed(1)} ms`,
      `  hover after an edit (incremental reparse + focused analysis): ${spread(afterEdit)}; CPU time ${cpuAfterEdit.toFixed(1)} ms on average; reparse alone ${spread(reparse)}`,
      `  hover, focused analysis on a current tree: ${spread(focusedWarm)}`,
      `  hover inside a helper that all models use: all ${sharedRuns} runs ${spread(sharedHover)}; ` +
        `the editor's answer (8 models, ${cappedRuns} runs, then the whole file in slices) ${spread(sharedCapped)}`,
      `  whole file (diagnostics): first after warm-up ${coldFull.toFixed(1)} ms; then ${spread(fullWarm)}, CPU time ${cpuFull.toFixed(1)} ms on average; full parse ${spread(parse)}`,
      `  whole file in slices: ${Math.round(slices.length / 3)} pauses; first slice (convert + run the top level) ${spread(firstSlice)}; ` +
        `others median ${median(slices).toFixed(2)} ms, 95th percentile ${p95.toFixed(1)} ms, max ${Math.max(...slices).toFixed(1)} ms`,
      `  cached answer ${(cached * 1000).toFixed(2)} µs`,
      `article file (36 lines): ${spread(small)}`,
      `${realistic.split('\n').length} lines of training code + the article's model: ${spread(real)}`,
    ];
    console.log(lines.map((l) => `      ${l}`).join('\n'));
    assert.ok(models >= 40);
    assert.deepEqual(
      hovered.map((e) => e.output),
      [[256, 26, 26]],
    );
    // A sanity bound only (a loaded CI machine is slow): the answer must not be the whole file's.
    assert.ok(median(afterEdit) < 1000, `hover after edit ${median(afterEdit)} ms`);
  });
});

describe('pyshape: speed in a notebook of the same 2,000 lines, one cell per top-level statement (printed)', () => {
  it('a hover in a later cell after editing an earlier one: join the cells, reparse by comparing texts, focused analysis', async () => {
    const parser = await loadPythonParser(join(ROOT, 'out', 'wasm'));
    warmUp(parser);
    // One cell per top-level def/class (and what runs between them), markdown between every few.
    const text = generateLongFile(2000);
    const cells: CellText[] = [];
    for (const part of text.split(/\n(?=(?:def|class) )/)) {
      if (cells.length % 5 === 4) cells.push({ code: false, text: '## notes' });
      cells.push({ code: true, text: part });
    }
    const trees = new DocumentTrees(parser);
    const target = cells.findIndex((c) => c.code && c.text.includes('nin_block_20(96, 256'));
    const edited = cells.findIndex((c) => c.code && c.text.startsWith('def nin_block_20('));
    assert.ok(edited >= 0 && target > edited, `cells ${edited} -> ${target}`);
    let version = 1;
    const hoverIn = (j: JoinedCells): number =>
      placeOf(j, target)!.start + cells[target].text.indexOf('nin_block_20(96, 256') + 2;
    let j = joinCells(cells);
    trees.treeOfText('nb', version, j.source);
    const afterEdit: number[] = [];
    const join_: number[] = [];
    const reparse: number[] = [];
    let shown: (readonly (number | null)[] | null)[] = [];
    for (let i = 0; i < 20; i++) {
      // Type in the helper's cell (one 1x1 convolution's width): the later cell is analysed against it.
      const width = i % 2 ? 'out_channels' : 'out_channels * 2';
      cells[edited] = {
        code: true,
        text: cells[edited].text.replace(
          /nn\.Conv2d\(out_channels(?: \* 2)?, out_channels(?: \* 2)?, kernel_size=1\)/,
          `nn.Conv2d(out_channels, ${width}, kernel_size=1)`,
        ),
      };
      version++;
      afterEdit.push(
        time(() => {
          join_.push(time(() => (j = joinCells(cells))));
          let tree!: SyntaxTree;
          reparse.push(time(() => (tree = trees.treeOfText('nb', version, j.source))));
          const at = hoverIn(j);
          shown = eventsAt(analyseTree(tree, j.source, { focus: { start: at, end: at + 1 }, notebook: true }), at).map(
            (e) => e.output,
          );
        }),
      );
    }
    console.log(
      [
        `conditions: load average ${loadavg()[0].toFixed(2)} on ${cpus().length} CPUs`,
        `${cells.length} cells (${cells.filter((c) => c.code).length} code), ${j.source.split('\n').length} lines:`,
        `  hover in cell ${target} after an edit in cell ${edited}: ${spread(afterEdit)}; joining the cells ${spread(join_)}; reparse ${spread(reparse)}`,
        `  parses: ${trees.stats.full} full, ${trees.stats.incremental} incremental`,
      ]
        .map((l) => `      ${l}`)
        .join('\n'),
    );
    // The last edit (i = 19) left the article's widths: the later cell shows them.
    assert.deepEqual(shown, [[256, 26, 26]]);
    assert.deepEqual(trees.stats, { full: 1, incremental: 20 }, 'every edit after the first parse is incremental');
    assert.ok(median(afterEdit) < 1000, `hover after edit ${median(afterEdit)} ms`);
  });
});

/** Replace one character, returning the new text and the change as an editor reports it. */
function replaceChar(text: string, offset: number, ch: string): [string, TextChange] {
  const before = text.slice(0, offset).split('\n');
  const start = { line: before.length - 1, character: before[before.length - 1].length };
  return [
    text.slice(0, offset) + ch + text.slice(offset + 1),
    {
      range: { start, end: { ...start, character: start.character + 1 } },
      rangeOffset: offset,
      rangeLength: 1,
      text: ch,
    },
  ];
}
