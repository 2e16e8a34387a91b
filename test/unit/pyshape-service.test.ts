// The editor's shape service in plain Node (a small vscode stand-in): whole-file analyses run
// in slices that a hover overtakes, an edit abandons a run in flight, edits reparse
// incrementally, and every answer equals a fresh analysis of the text.
import '../fixtures/pyshape/vscode-mock';
import * as assert from 'node:assert/strict';
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import type * as vscode from 'vscode';
import { analysePython, type AnalyseOptions } from '../../src/pyshape/analyse';
import type { TextChange } from '../../src/pyshape/documents';
import { loadPythonParser, type PythonParser } from '../../src/pyshape/parser';
import { eventsAt } from '../../src/pyshape/report';
import { ShapeService } from '../../src/extension/language/service';
import { fileUri } from '../fixtures/pyshape/vscode-mock';
import { generateLongFile } from '../fixtures/pyshape/generate';
import { ROOT } from './helpers';

/** A text document with what the service reads; `edit` makes the next version. */
class FakeDoc {
  isClosed = false;
  readonly languageId = 'python';
  constructor(
    readonly uri: { fsPath: string; toString(): string },
    private text: string,
    public version = 1,
  ) {}
  getText(): string {
    return this.text;
  }
  /** Replace [offset, offset + length) and return the change as VS Code reports it. */
  edit(offset: number, length: number, insert: string): TextChange {
    const pos = (o: number): { line: number; character: number } => {
      const before = this.text.slice(0, o).split('\n');
      return { line: before.length - 1, character: before[before.length - 1].length };
    };
    const change = {
      range: { start: pos(offset), end: pos(offset + length) },
      rangeOffset: offset,
      rangeLength: length,
      text: insert,
    };
    this.text = this.text.slice(0, offset) + insert + this.text.slice(offset + length);
    this.version++;
    return change;
  }
  get asDocument(): vscode.TextDocument {
    return this as unknown as vscode.TextDocument;
  }
}

const SETTING: AnalyseOptions = { input: [1, 224, 224], inputSource: 'setting' };
const nextTurn = (): Promise<void> => new Promise((r) => setImmediate(r));

let parser: PythonParser;
let service: ShapeService;
before(async () => {
  parser = await loadPythonParser(join(ROOT, 'out', 'wasm'));
  const context = {
    extensionUri: fileUri(ROOT),
    workspaceState: { get: <T>(_k: string, d: T): T => d, update: async (): Promise<void> => undefined },
  };
  service = new ShapeService(context as unknown as vscode.ExtensionContext, undefined);
});
after(() => service.dispose());

describe('pyshape: the editor service', () => {
  it('a hover asked while the whole file is analysed is answered first, and both equal fresh analyses', async () => {
    const text = generateLongFile(2000);
    const doc = new FakeDoc(fileUri('/virtual/long.py'), text);
    const order: string[] = [];
    const full = service.analyse(doc.asDocument).then((r) => (order.push('full'), r));
    await nextTurn();
    const at = text.indexOf('nin_block_33(256, 384') + 2;
    const hover = await service.analyseRange(doc.asDocument, at, at + 1);
    order.push('hover');
    const whole = await full;
    assert.deepEqual(order, ['hover', 'full']);
    assert.ok(whole);
    assert.equal(JSON.stringify(whole.analysis), JSON.stringify(analysePython(parser, text, SETTING)));
    assert.deepEqual(
      eventsAt(hover.analysis, at).map((e) => e.output),
      [[384, 12, 12]],
    );
    assert.equal(hover.analysis.models.length, 1);
    // Now current: a hover uses the whole-file analysis (cached).
    assert.equal((await service.analyseRange(doc.asDocument, at, at + 1)).analysis, whole.analysis);
    service.forget(doc.uri as unknown as vscode.Uri);
  });

  it('an edit abandons the run in flight; the next answers come from the incrementally reparsed text', async () => {
    const text = generateLongFile(2000);
    const doc = new FakeDoc(fileUri('/virtual/edited.py'), text);
    const stale = service.analyse(doc.asDocument);
    await nextTurn();
    // The user changes the first block of nin_40() from 96 to 64 output channels.
    const at = doc.getText().indexOf('nin_block_40(1, 96') + 'nin_block_40(1, '.length;
    const change = doc.edit(at, 2, '64');
    service.edited(doc.asDocument, [change]);
    assert.equal(await stale, undefined);
    const now = doc.getText();
    const next = now.indexOf('nin_block_40(96, 256');
    const hover = await service.analyseRange(doc.asDocument, next + 2, next + 3);
    const fresh = analysePython(parser, now, { ...SETTING, focus: { start: next + 2, end: next + 3 } });
    assert.equal(JSON.stringify(hover.analysis), JSON.stringify(fresh));
    // The helper now gets 64 channels where the article's code passes 96: an error on that line.
    assert.match(JSON.stringify(hover.analysis.diagnostics), /"line":\d+/);
    assert.ok(hover.analysis.diagnostics.some((d) => d.severity === 'error'));
    const whole = await service.analyse(doc.asDocument);
    assert.ok(whole);
    assert.equal(JSON.stringify(whole.analysis), JSON.stringify(analysePython(parser, now, SETTING)));
    service.forget(doc.uri as unknown as vscode.Uri);
  });

  it('a hover in a helper that every model uses: 8 models at once, exact once the whole file is done', async () => {
    const text = generateLongFile(2000).replace(/(?<!def )nin_block_\d+\(/g, 'nin_block_0(');
    const doc = new FakeDoc(fileUri('/virtual/shared.py'), text);
    const at = text.indexOf('nn.Conv2d(in_channels') + 3;
    const first = await service.analyseRange(doc.asDocument, at, at + 1);
    assert.deepEqual(first.analysis.partial, { models: 8 });
    assert.equal(eventsAt(first.analysis, at).length, 32);
    // The service started the whole-file run; once it is done, the hover is exact.
    const whole = await service.analyse(doc.asDocument);
    assert.ok(whole && !whole.analysis.partial);
    const next = await service.analyseRange(doc.asDocument, at, at + 1);
    assert.equal(next.analysis, whole.analysis);
    assert.equal(eventsAt(next.analysis, at).length, 176);
    service.forget(doc.uri as unknown as vscode.Uri);
  });

  it("the article's code: hover, inlay-hint range and diagnostics through the service", async () => {
    const text = readFileSync(join(ROOT, 'test', 'fixtures', 'pyshape', 'article_nin.py'), 'utf8');
    const doc = new FakeDoc(fileUri('/virtual/article.py'), text);
    const at = text.indexOf('nin_block(96, 256') + 3;
    const hover = await service.analyseRange(doc.asDocument, at, at + 1);
    assert.deepEqual(
      eventsAt(hover.analysis, at).map((e) => [e.output, e.params]),
      [[[256, 26, 26], 746240]],
    );
    const visible = await service.analyseRange(doc.asDocument, 0, text.length);
    assert.equal(
      JSON.stringify(visible.analysis),
      JSON.stringify(analysePython(parser, text, { ...SETTING, focus: { start: 0, end: text.length } })),
    );
    const whole = await service.analyse(doc.asDocument);
    assert.deepEqual(whole?.analysis.diagnostics, []);
    service.forget(doc.uri as unknown as vscode.Uri);
  });
});
