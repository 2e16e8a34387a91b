/**
 * What the shape analyser accepts: text of a sensible size, parsed within a time budget, with
 * lines numbered alike for CR, LF and CRLF endings; `annotate --input` exactly C,H,W or C,L.
 */
import * as assert from 'node:assert/strict';
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { analysePython } from '../../src/pyshape/analyse';
import { DocumentTrees } from '../../src/pyshape/documents';
import { loadPythonParser, type PythonParser } from '../../src/pyshape/parser';
import { annotations } from '../../src/pyshape/report';
import {
  checkSourceText,
  decodeSource,
  MAX_SOURCE_BYTES,
  normalizeLineEnds,
  SourceRejected,
} from '../../src/pyshape/textGuard';
import { ROOT, runCli } from './helpers';

/** Seeded bytes (xorshift32): "random" the same way every run. */
function randomBytes(n: number, seed = 7): Buffer {
  const b = Buffer.alloc(n);
  let x = seed;
  for (let i = 0; i < n; i++) {
    x ^= x << 13;
    x ^= x >>> 17;
    x ^= x << 5;
    b[i] = x & 0xff;
  }
  return b;
}

describe('shape analyser: input guards', () => {
  let dir: string;
  let parser: PythonParser;
  before(async () => {
    dir = mkdtempSync(join(tmpdir(), 'nin-pyguard-'));
    parser = await loadPythonParser(join(ROOT, 'out', 'wasm'));
  });
  after(() => rmSync(dir, { recursive: true, force: true }));

  it('annotate on 5 MB of random bytes: exit 1 at once, naming the size limit', () => {
    const file = join(dir, 'random.py');
    writeFileSync(file, randomBytes(5 * 1024 * 1024));
    const r = runCli(['annotate', file], 10_000);
    assert.equal(r.code, 1, r.stderr);
    assert.equal(
      r.stderr,
      `error: ${file}: ${5 * 1024 * 1024} bytes, more than the ${MAX_SOURCE_BYTES} the analyser reads\n`,
    );
  });

  it('binary (a NUL byte) and invalid UTF-8 are refused, naming why', () => {
    const bin = join(dir, 'bin.py');
    writeFileSync(bin, randomBytes(100_000));
    const r = runCli(['annotate', bin]);
    assert.equal(r.code, 1);
    assert.match(r.stderr, /bin\.py: a NUL byte at offset \d+: binary data, not Python source/);
    assert.throws(
      () => decodeSource(Buffer.from([0x78, 0x20, 0x3d, 0x20, 0xc3, 0x28]), 'latin.py'),
      /latin\.py: not valid UTF-8/,
    );
    assert.equal(decodeSource(Buffer.from('x = "é"\n'), 'ok.py'), 'x = "é"\n');
    assert.throws(() => checkSourceText('import torch\n\u0000', 'doc.py'), SourceRejected);
    // The editor's path: a document is checked before its tree is parsed.
    const trees = new DocumentTrees(parser);
    assert.throws(
      () => trees.tree('file:///bin.py', 1, 'import torch\n\u0000'),
      /file:\/\/\/bin\.py: a NUL character at offset 13/,
    );
    assert.throws(
      () => trees.tree('file:///big.py', 1, '#'.repeat(MAX_SOURCE_BYTES + 1)),
      /more than the \d+ the analyser reads/,
    );
  });

  it('a parse over its time budget stops with an error instead of blocking; the parser still works after it', () => {
    const big = 'import torch.nn as nn\n' + 'x = nn.Sequential(nn.Conv2d(1, 8, 3), nn.ReLU())\n'.repeat(20_000);
    assert.throws(
      () => parser.parse(big, undefined, 0),
      (e: unknown) => e instanceof SourceRejected && /more than 0 ms/.test((e as Error).message),
    );
    const tree = parser.parse('x = 1\n');
    assert.equal(tree.rootNode.text, 'x = 1\n');
    tree.delete();
  });

  it('CR, LF and CRLF files give the same line numbers', () => {
    const lf = readFileSync(join(ROOT, 'test', 'fixtures', 'pyshape', 'alexnet.py'), 'utf8').replace(/\r\n?/g, '\n');
    const lines = (source: string) => annotations(analysePython(parser, source)).map((a) => [a.line, a.call]);
    const want = lines(lf);
    assert.ok(want.length > 3 && want.some(([l]) => (l as number) > 10), JSON.stringify(want));
    assert.deepEqual(lines(lf.replace(/\n/g, '\r\n')), want, 'CRLF');
    assert.deepEqual(lines(lf.replace(/\n/g, '\r')), want, 'CR');
    assert.equal(normalizeLineEnds('a\rb\r\nc').length, 'a\rb\r\nc'.length, 'offsets stay valid');
  });

  it('--input is exactly C,H,W or C,L and names what it rejects', () => {
    const file = join(ROOT, 'test', 'fixtures', 'pyshape', 'alexnet.py');
    const junk = runCli(['annotate', file, '--input', '1,224,224junk']);
    assert.equal(junk.code, 2);
    assert.match(
      junk.stderr,
      /--input "1,224,224junk": "224junk" is not a positive integer; expected C,H,W \(or C,L\)/,
    );
    const five = runCli(['annotate', file, '--input', '1,2,3,4,5']);
    assert.equal(five.code, 2);
    assert.match(five.stderr, /--input "1,2,3,4,5": 5 numbers; expected 3 \(C,H,W\) or 2 \(C,L\)/);
    assert.equal(runCli(['annotate', file, '--input', '1,224,224']).code, 0);
  });
});
